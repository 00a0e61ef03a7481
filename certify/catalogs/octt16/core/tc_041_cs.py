"""TC_041_CS: no transaction while faulted."""

from certify.judging.steps import Absent, Var

from ..case import OcttCase
from ..states import clear_fault, fault, plug, status, swipe

CASE = OcttCase(
    id="TC_041_CS",
    title="A faulted connector starts nothing",
    group="core",
    purpose="A connector in a fault reports Faulted and refuses to start a transaction.",
    steps=(
        fault(),
        status("Faulted"),
        plug(),
        swipe(words="the valid tag to try to start"),
        Absent("StartTransaction", within=Var("transaction_duration"), label="No transaction starts while faulted"),
    ),
    criteria=("StatusNotification Faulted; no StartTransaction for the configured transaction duration.",),
    clauses=("4.9 Status Notification", "7.7 ChargePointStatus"),
    data=("transaction_duration",),
    cleanup=(clear_fault(),),
)
