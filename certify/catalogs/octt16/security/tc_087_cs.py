"""TC_087_CS: TLS with the charger's client certificate."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED

CASE = OcttCase(
    id="TC_087_CS",
    title="Security: TLS with a valid client certificate",
    group="security",
    purpose="After a reset the charger connects over mutual TLS with its own certificate.",
    needs=("sp3",),
    steps=(
        Send("Reset", {"type": "Hard"}, ACCEPTED, disconnects=True),
        Expect("event:connected", within=Var("reboot_timeout"), label="The charger connects over mutual TLS"),
        Expect("BootNotification", ours={"status": "Accepted"}),
    ),
    criteria=("The charger connects with its client certificate (checked by the TLS proxy) and boots.",),
    clauses=("Security white paper: Security profile 3",),
    data=("reboot_timeout",),
    differs="The client certificate (key size, subject CN = serial number) is checked by the TLS proxy, not here.",
    automatic=False,
)
