"""TC_032_2_CS: a power loss without back-up power."""

from certify.judging.sequence import MISSING
from certify.judging.steps import AnyOrder, Expect, OneOf, Var

from ..case import OcttCase
from ..states import CHARGING, OF_THE_TRANSACTION, power_cycle

CASE = OcttCase(
    id="TC_032_2_CS",
    title="Power loss without back-up power: the transaction ends after the restart",
    group="core",
    needs=("!backup_power",),
    before=(
        "If the charger resumes charging after the restart, stop it with the starting tag: the case waits for "
        "the stop.",
    ),
    purpose="After a power loss the charger registers again and the interrupted transaction ends: stopped by the "
    "charger (PowerLoss) or, if charging resumed, by the starting tag.",
    steps=(
        *CHARGING,
        power_cycle(),
        AnyOrder(
            Expect("BootNotification", within=Var("reboot_timeout"), ours={"status": "Accepted"}),
            Expect(
                "StopTransaction",
                {"reason": OneOf("PowerLoss", "Local", MISSING)},
                match=OF_THE_TRANSACTION,
                label="The transaction ends: PowerLoss, or Local when charging resumed and the tag stopped it",
            ),
        ),
    ),
    criteria=(
        "The charger registers again after the power cycle.",
        "StopTransaction of the interrupted transaction: reason PowerLoss, or Local (or none) when stopped by the tag.",
    ),
    clauses=("4.10 Stop Transaction", "4.2 Boot Notification", "3.7 Transaction-related messages"),
    data=("reboot_timeout",),
    differs="We do not check the statuses after the boot, which the document lets come in any order; a "
    "transaction that resumes is stopped by the person at the bench (the run does not present the tag itself).",
)
