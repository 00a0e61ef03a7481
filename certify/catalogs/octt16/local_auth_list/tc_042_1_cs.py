"""TC_042_1_CS: the list version of a charger without a usable local list."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_042_1_CS",
    title="Local list version when the local list is not supported or disabled",
    group="local-auth-list",
    purpose="A charger without the local list, or with it disabled, answers GetLocalListVersion with -1.",
    profile_optional=True,
    config_if_present={"LocalAuthListEnabled": "false"},
    steps=(
        Send(
            "GetLocalListVersion",
            {},
            {"listVersion": -1},
            errors=("NotSupported", "NotImplemented"),
            label="GetLocalListVersion answers -1 (or NotSupported)",
        ),
    ),
    criteria=("listVersion -1, or CALLERROR NotSupported.",),
    clauses=("5.10 Get Local List Version", "3.5.2 Local Authorization List"),
)
