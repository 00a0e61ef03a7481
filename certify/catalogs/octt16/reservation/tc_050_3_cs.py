"""TC_050_3_CS: reserving an unavailable charge point."""

from ..case import OcttCase
from ..states import CHARGE_POINT_UNAVAILABLE
from ._reserve import reserve

CASE = OcttCase(
    id="TC_050_3_CS",
    title="Reserve an unavailable charge point (connector 0)",
    group="reservation",
    purpose="ReserveNow for connector 0 of a charge point set Inoperative is answered Unavailable.",
    needs=("reserve_connector_zero",),
    steps=(*CHARGE_POINT_UNAVAILABLE, reserve("Unavailable", connector=0)),
    criteria=("ReserveNow answered Unavailable.",),
    clauses=("5.13 Reserve Now", "5.2 Change Availability"),
)
