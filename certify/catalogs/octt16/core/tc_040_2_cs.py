"""TC_040_2_CS: an invalid value for a configuration key."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_040_2_CS",
    title="Change a configuration key to an invalid value",
    group="core",
    purpose="ChangeConfiguration with a value the key cannot take is rejected.",
    steps=(
        Send(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "-1"},
            {"status": "Rejected"},
            errors=("PropertyConstraintViolation",),
        ),
    ),
    criteria=("MeterValueSampleInterval = -1 answered Rejected, or CALLERROR PropertyConstraintViolation.",),
    clauses=("5.3 Change Configuration", "OCPP-J 4.2.3 CallError"),
)
