"""TC_084_CS: moving down a security profile is refused."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_084_CS",
    title="Security: downgrade of the security profile refused",
    group="security",
    purpose="A lower SecurityProfile is rejected.",
    needs=("sp2",),
    steps=(
        Send(
            "ChangeConfiguration",
            {"key": "SecurityProfile", "value": "{lower_security_profile}"},
            {"status": "Rejected"},
        ),
    ),
    criteria=("ChangeConfiguration SecurityProfile (one lower) answered Rejected.",),
    clauses=("Security white paper: Security profiles", "Security white paper: SecurityProfile"),
    data=("lower_security_profile",),
)
