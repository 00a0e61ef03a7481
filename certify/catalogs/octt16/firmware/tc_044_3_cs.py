"""TC_044_3_CS: a firmware that cannot be installed."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import UNSUPPORTED

LONG = Var("reboot_timeout")

CASE = OcttCase(
    id="TC_044_3_CS",
    title="Firmware update: the installation fails",
    group="firmware",
    purpose="A firmware file the charger cannot install ends in InstallationFailed; the charger goes on.",
    before=("A firmware file the charger downloads but cannot install is at the invalid firmware location.",),
    steps=(
        Send(
            "UpdateFirmware",
            {"location": "{invalid_firmware_url}", "retrieveDate": "{now}"},
            unsupported=UNSUPPORTED,
            disconnects=True,
        ),
        Expect("FirmwareStatusNotification", {"status": "Downloading"}, within=LONG),
        Expect("FirmwareStatusNotification", {"status": "Downloaded"}, within=LONG),
        Expect("FirmwareStatusNotification", {"status": "Installing"}, optional=True),
        Expect("FirmwareStatusNotification", {"status": "InstallationFailed"}, strict=False, within=LONG),
    ),
    criteria=("Downloading, Downloaded, (Installing,) InstallationFailed; the connector Available after.",),
    clauses=("5.19 Update Firmware", "4.5 Firmware Status Notification"),
    data=("invalid_firmware_url", "reboot_timeout"),
    differs="We do not check that the connector is Available afterwards (the next case starts from it).",
)
