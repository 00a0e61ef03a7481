"""TC_032_1_CS: a power loss with back-up power stops the transaction before going down."""

from certify.judging.sequence import Expect, OneOf, Var

from ..case import OcttCase
from ..states import CHARGING, power_cycle, status, stopped

CASE = OcttCase(
    id="TC_032_1_CS",
    title="Power loss with back-up power: the transaction stops before the charger goes down",
    group="core",
    purpose="A charger with back-up power stops its transaction on a power loss, then registers again.",
    needs=("backup_power",),
    steps=(
        *CHARGING,
        power_cycle(),
        stopped("PowerLoss", after=OneOf("Finishing", "Available", "Unavailable")),
        Expect("BootNotification", within=Var("reboot_timeout"), ours={"status": "Accepted"}),
        status(
            OneOf("Finishing", "Preparing"), state=True, label="The connector is Finishing or Preparing after the boot"
        ),
    ),
    criteria=(
        "StopTransaction with reason PowerLoss before the charger goes down.",
        "It registers again; the connector of the transaction is Finishing or Preparing.",
    ),
    clauses=("4.10 Stop Transaction", "4.2 Boot Notification"),
    data=("reboot_timeout",),
)
