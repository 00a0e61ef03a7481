"""TC_016_CS: a soft reset during a transaction."""

from certify.judging.steps import Expect, OneOf, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, CHARGING, stopped

CASE = OcttCase(
    id="TC_016_CS",
    title="Soft reset during a transaction",
    group="core",
    purpose="A soft reset stops the running transaction gracefully before the charger restarts.",
    steps=(
        *CHARGING,
        Send("Reset", {"type": "Soft"}, ACCEPTED, disconnects=True),
        stopped("SoftReset", after=OneOf("Finishing", "Preparing", "Available")),
        Expect(
            "BootNotification",
            within=Var("reboot_timeout"),
            ours={"status": "Accepted"},
            optional=True,
            label="The charger may register again",
        ),
    ),
    criteria=(
        "Reset Soft is accepted.",
        "StopTransaction with reason SoftReset; the connector Finishing (or Preparing after a reboot).",
    ),
    clauses=("5.14 Reset", "4.10 Stop Transaction"),
    data=("reboot_timeout",),
    differs="A charger that reboots at once reports Preparing after the boot instead of Finishing before it; both pass.",
)
