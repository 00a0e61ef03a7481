"""TC_046_2_CS: a reserved connector, used by a remote start."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, authorize, plug, started
from ._reserve import RESERVATION, reserved

CASE = OcttCase(
    id="TC_046_2_CS",
    title="Reserved connector: a remote start for the reserving tag",
    group="reservation",
    purpose="Our remote start for the reserving tag starts a transaction that carries the reservation.",
    steps=(
        *reserved(),
        plug(),
        Send("RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}, ACCEPTED),
        authorize(optional=True, label="The charger may authorize the tag"),
        started(reservationId=RESERVATION),
    ),
    criteria=("The transaction starts for the reserving tag and carries the reservationId.",),
    clauses=("5.13 Reserve Now", "5.11 Remote Start Transaction", "4.8 Start Transaction"),
)
