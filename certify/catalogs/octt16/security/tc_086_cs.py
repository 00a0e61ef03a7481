"""TC_086_CS: TLS with our server certificate."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED

CASE = OcttCase(
    id="TC_086_CS",
    title="Security: TLS with a valid server certificate",
    group="security",
    purpose="After a reset the charger connects over TLS, trusting our server certificate.",
    needs=("sp2",),
    steps=(
        Send("Reset", {"type": "Hard"}, ACCEPTED, disconnects=True),
        Expect("event:connected", {"tls": True}, within=Var("reboot_timeout"), label="The charger connects over TLS"),
        Expect("BootNotification", ours={"status": "Accepted"}),
    ),
    criteria=("The charger connects over wss:// (security profile 2 refuses plain ws://) and boots.",),
    clauses=("Security white paper: Security profile 2",),
    data=("reboot_timeout",),
    differs="We judge that the charger connects over TLS (our wss:// endpoint, or a proxy we trust) and boots; "
    "the TLS version and cipher suites are the server's (daphne or the proxy) to enforce, not judged here.",
)
