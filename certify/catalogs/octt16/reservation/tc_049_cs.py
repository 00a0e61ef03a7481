"""TC_049_CS: a reservation of the whole charge point, used."""

from ..case import OcttCase
from ..states import authorize, plug, started, swipe
from ._reserve import RESERVATION, reserve

CASE = OcttCase(
    id="TC_049_CS",
    title="Reserve the charge point (connector 0), then start with the reserving tag",
    group="reservation",
    purpose="A reservation of connector 0 lets the reserving tag start on a connector; the start names the "
    "reservation.",
    needs=("reserve_connector_zero",),
    before=("Other connectors of the charger are Unavailable.",),
    steps=(
        reserve(connector=0),
        swipe(),
        authorize(optional=True, label="The charger may authorize the reserving tag"),
        plug(),
        started(reservationId=RESERVATION),
    ),
    criteria=("ReserveNow for connector 0 accepted; the transaction of the reserving tag carries the reservationId.",),
    clauses=("5.13 Reserve Now", "9.4.1 ReserveConnectorZeroSupported"),
)
