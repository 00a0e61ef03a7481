"""TC_034_CS: Unavailable survives a power cycle."""

from certify.judging.steps import Expect, Var

from ..case import OcttCase
from ..states import CHARGE_POINT_UNAVAILABLE, all_connectors, power_cycle

CASE = OcttCase(
    id="TC_034_CS",
    title="Unavailable survives a power loss",
    group="core",
    purpose="A charge point set Inoperative is Unavailable again after a power cycle.",
    steps=(
        *CHARGE_POINT_UNAVAILABLE,
        power_cycle(),
        Expect("BootNotification", within=Var("reboot_timeout"), ours={"status": "Accepted"}),
        all_connectors("Unavailable"),
    ),
    criteria=(
        "ChangeAvailability Inoperative for connector 0 accepted; every connector Unavailable.",
        "After the power cycle every connector reports Unavailable again.",
    ),
    clauses=("5.2 Change Availability", "4.2 Boot Notification", "4.9 Status Notification"),
    data=("reboot_timeout",),
)
