"""TC_043_1_CS: a local list sent to a charger without the profile."""

from ..case import OcttCase
from ._lists import send_list

CASE = OcttCase(
    id="TC_043_1_CS",
    title="Send the local authorization list to a charger that does not support it",
    group="local-auth-list",
    purpose="A charger without the Local Authorization List profile answers SendLocalList NotSupported.",
    profile_optional=True,
    needs=("!LocalAuthListManagement",),
    steps=(
        send_list(
            1, "Full", ("id_tag",), answer="NotSupported", errors=("NotSupported", "NotImplemented"), unsupported=()
        ),
    ),
    criteria=("Answered NotSupported, or CALLERROR NotSupported.",),
    clauses=("5.15 Send Local List", "3.3 Feature Profiles"),
)
