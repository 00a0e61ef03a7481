"""TC_048_2_CS: reserving an occupied connector."""

from ..case import OcttCase
from ..states import CONNECTOR_OCCUPIED, unplug
from ._reserve import reserve

CASE = OcttCase(
    id="TC_048_2_CS",
    title="Reserve an occupied connector",
    group="reservation",
    purpose="ReserveNow for a connector in use (cable plugged in) is answered Occupied.",
    steps=(*CONNECTOR_OCCUPIED, reserve("Occupied")),
    criteria=("ReserveNow answered Occupied.",),
    clauses=("5.13 Reserve Now",),
    cleanup=(unplug(),),
)
