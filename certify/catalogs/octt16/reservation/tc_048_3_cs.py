"""TC_048_3_CS: reserving an unavailable connector."""

from ..case import OcttCase
from ..states import CONNECTOR_UNAVAILABLE
from ._reserve import reserve

CASE = OcttCase(
    id="TC_048_3_CS",
    title="Reserve an unavailable connector",
    group="reservation",
    purpose="ReserveNow for a connector set Inoperative is answered Unavailable.",
    steps=(*CONNECTOR_UNAVAILABLE, reserve("Unavailable")),
    criteria=("ReserveNow answered Unavailable.",),
    clauses=("5.13 Reserve Now", "5.2 Change Availability"),
)
