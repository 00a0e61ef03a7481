"""TC_032_1_CS: a power loss with back-up power stops the transaction before going down."""

from certify.judging.steps import AnyOrder, Expect, OneOf, Var

from ..case import OcttCase
from ..states import CHARGING, OF_THE_TRANSACTION, power_cycle, status

CASE = OcttCase(
    id="TC_032_1_CS",
    title="Power loss with back-up power: the transaction stops before the charger goes down",
    group="core",
    purpose="A charger with back-up power stops its transaction on a power loss, then registers again.",
    needs=("backup_power",),
    steps=(
        *CHARGING,
        power_cycle(),
        AnyOrder(
            Expect("StopTransaction", {"reason": "PowerLoss"}, match=OF_THE_TRANSACTION, within=Var("reboot_timeout")),
            Expect("BootNotification", within=Var("reboot_timeout"), ours={"status": "Accepted"}),
        ),
        status(
            OneOf("Finishing", "Preparing"), state=True, label="The connector is Finishing or Preparing after the boot"
        ),
    ),
    criteria=(
        "StopTransaction with reason PowerLoss.",
        "It registers again; the connector of the transaction is Finishing or Preparing.",
    ),
    clauses=("4.10 Stop Transaction", "4.2 Boot Notification"),
    data=("reboot_timeout",),
    differs="The stop may reach us after the boot (queued while the power was out); no Finishing is asked for "
    "before the charger goes down.",
)
