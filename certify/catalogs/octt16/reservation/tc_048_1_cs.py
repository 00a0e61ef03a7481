"""TC_048_1_CS: reserving a faulted connector."""

from ..case import OcttCase
from ..states import CONNECTOR_FAULTED, clear_fault
from ._reserve import reserve

CASE = OcttCase(
    id="TC_048_1_CS",
    title="Reserve a faulted connector",
    group="reservation",
    purpose="ReserveNow for a connector in a fault is answered Faulted.",
    steps=(*CONNECTOR_FAULTED, reserve("Faulted")),
    criteria=("ReserveNow answered Faulted.",),
    clauses=("5.13 Reserve Now",),
    cleanup=(clear_fault(),),
)
