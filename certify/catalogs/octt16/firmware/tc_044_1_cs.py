"""TC_044_1_CS: a firmware update downloaded and installed."""

from certify.judging.steps import AnyOrder, Expect, Send, Var

from ..case import OcttCase
from ..states import UNSUPPORTED, status

LONG = Var("reboot_timeout")


def firmware(state: str, **options) -> Expect:
    return Expect("FirmwareStatusNotification", {"status": state}, within=LONG, **options)


CASE = OcttCase(
    id="TC_044_1_CS",
    title="Firmware update: download and install",
    group="firmware",
    purpose="The charger downloads the firmware we host, installs it, restarts and says it is installed.",
    before=("The firmware file the manufacturer supplied is uploaded to the session.",),
    steps=(
        Send(
            "UpdateFirmware",
            {"location": "{firmware_url}", "retrieveDate": "{now}"},
            unsupported=UNSUPPORTED,
            disconnects=True,
        ),
        firmware("Downloading"),
        firmware("Downloaded"),
        firmware("Installing", optional=True, label="Installing (optional before the restart)"),
        AnyOrder(
            Expect("BootNotification", within=LONG, ours={"status": "Accepted"}),
            firmware("Installed"),
        ),
        status("Available", state=True, within=LONG, label="The connector is Available after the update"),
    ),
    criteria=(
        "FirmwareStatusNotification Downloading, Downloaded, Installing, then Installed (before or after the "
        "BootNotification of the restart).",
        "The connector is Available after the update.",
    ),
    clauses=("5.19 Update Firmware", "4.5 Firmware Status Notification"),
    data=("firmware_url", "reboot_timeout"),
    differs="Installing may be left out: a charger may report it only after the restart (§5.19 good practice).",
)
