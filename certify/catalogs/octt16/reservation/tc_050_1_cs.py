"""TC_050_1_CS: reserving a faulted charge point."""

from ..case import OcttCase
from ..states import CHARGE_POINT_FAULTED, clear_fault
from ._reserve import reserve

CASE = OcttCase(
    id="TC_050_1_CS",
    title="Reserve a faulted charge point (connector 0)",
    group="reservation",
    purpose="ReserveNow for connector 0 of a charge point in a fault is answered Faulted.",
    needs=("reserve_connector_zero",),
    steps=(*CHARGE_POINT_FAULTED, reserve("Faulted", connector=0)),
    criteria=("ReserveNow answered Faulted.",),
    clauses=("5.13 Reserve Now",),
    cleanup=(clear_fault(0),),
)
