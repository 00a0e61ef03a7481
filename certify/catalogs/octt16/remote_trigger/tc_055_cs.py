"""TC_055_CS: a TriggerMessage for a connector that does not exist."""

from certify.judging.steps import Absent, Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_055_CS",
    title="Trigger refused: unknown connector",
    group="remote-trigger",
    purpose="TriggerMessage for a connector the charger does not have is rejected and nothing is sent.",
    steps=(
        Send(
            "TriggerMessage",
            {"requestedMessage": "MeterValues", "connectorId": "{unknown_connector}"},
            {"status": "Rejected"},
            errors=("PropertyConstraintViolation", "OccurenceConstraintViolation"),
            unsupported=("NotImplemented",),
        ),
        Absent("MeterValues", within=5, label="No MeterValues follows"),
    ),
    criteria=("Answered Rejected (or a CALLERROR for the value); no MeterValues follows.",),
    clauses=("5.17 Trigger Message",),
)
