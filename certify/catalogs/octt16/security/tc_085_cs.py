"""TC_085_CS: Basic authentication with the right user and password."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED

CASE = OcttCase(
    id="TC_085_CS",
    title="Security: Basic authentication with a valid user and password",
    group="security",
    purpose="After a reset the charger connects with HTTP Basic credentials: its id and its AuthorizationKey.",
    needs=("sp1",),
    steps=(
        Send("Reset", {"type": "Hard"}, ACCEPTED, disconnects=True),
        Expect("event:connected", within=Var("reboot_timeout"), label="The charger connects, admitted"),
        Expect("BootNotification", ours={"status": "Accepted"}),
    ),
    criteria=("The charger connects with Basic credentials we accept (user = its id, password = its key) and boots.",),
    clauses=("Security white paper: Security profile 1",),
    data=("reboot_timeout",),
    differs="The admission checks the header (a wrong one is refused and logged); we do not check the key's length.",
)
