"""TC_046_1_CS: a reserved connector, used at the charger."""

from certify.judging.steps import Absent

from ..case import OcttCase
from ..states import TAG, TAG_2, authorize, plug, started, swipe
from ._reserve import RESERVATION, reserved

CASE = OcttCase(
    id="TC_046_1_CS",
    title="Reserved connector: another tag cannot use it, the reserving tag starts",
    group="reservation",
    purpose="A connector reserved for a tag refuses other tags and starts a transaction for that tag, naming the "
    "reservation.",
    before=("Other connectors of the charger are Unavailable.",),
    steps=(
        *reserved(),
        swipe(TAG_2, "another valid tag"),
        Absent("StartTransaction", label="The other tag starts nothing"),
        swipe(TAG, "the reserving tag"),
        authorize(optional=True, label="The charger may authorize the reserving tag"),
        plug(),
        started(reservationId=RESERVATION),
    ),
    criteria=(
        "ReserveNow accepted; the connector Reserved.",
        "Another tag starts nothing; the reserving tag starts a transaction that carries the reservationId.",
    ),
    clauses=("5.13 Reserve Now", "3.12 Reservations", "4.8 Start Transaction"),
    data=("id_tag_2",),
)
