"""TC_060_CS: a remote start carrying a profile of the wrong purpose."""

from certify.judging.steps import Send

from ..case import OcttCase
from ._profiles import profile

CASE = OcttCase(
    id="TC_060_CS",
    title="Smart charging refused: a remote start with a profile that is not a TxProfile",
    group="smart-charging",
    purpose="A RemoteStartTransaction whose profile is not a TxProfile is rejected.",
    steps=(
        Send(
            "RemoteStartTransaction",
            {
                "connectorId": "{connector}",
                "idTag": "{id_tag}",
                "chargingProfile": profile(41, "TxDefaultProfile", [(0, 6)]),
            },
            {"status": "Rejected"},
            errors=("PropertyConstraintViolation",),
        ),
    ),
    criteria=("Answered Rejected, or CALLERROR PropertyConstraintViolation.",),
    clauses=("5.11 Remote Start Transaction", "3.13.2 Charging profile purposes"),
)
