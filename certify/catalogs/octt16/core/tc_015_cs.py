"""TC_015_CS: a hard reset during a transaction."""

from certify.judging.steps import AnyOrder, Expect, OneOf, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, CHARGING, OF_THE_TRANSACTION, status

CASE = OcttCase(
    id="TC_015_CS",
    title="Hard reset during a transaction",
    group="core",
    purpose="A hard reset ends the running transaction (reported before or after the reboot) and the charger "
    "registers again.",
    steps=(
        *CHARGING,
        Send("Reset", {"type": "Hard"}, ACCEPTED, disconnects=True),
        AnyOrder(
            Expect("StopTransaction", {"reason": "HardReset"}, match=OF_THE_TRANSACTION, within=Var("reboot_timeout")),
            Expect("BootNotification", within=Var("reboot_timeout"), ours={"status": "Accepted"}),
        ),
        status(
            OneOf("Finishing", "Preparing"),
            state=True,
            label="The connector with the cable still in is Finishing or Preparing",
        ),
    ),
    criteria=(
        "Reset Hard is accepted; the charger registers again.",
        "StopTransaction with reason HardReset, before or after the reboot.",
        "The connector of the transaction reports Finishing or Preparing after the reboot.",
    ),
    clauses=("5.14 Reset", "4.10 Stop Transaction", "4.2 Boot Notification"),
    data=("reboot_timeout",),
    differs="We do not check the other connectors' statuses after the reboot.",
)
