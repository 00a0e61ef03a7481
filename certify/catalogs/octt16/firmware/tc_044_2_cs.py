"""TC_044_2_CS: a firmware download that fails."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import UNSUPPORTED

CASE = OcttCase(
    id="TC_044_2_CS",
    title="Firmware update: the download fails",
    group="firmware",
    purpose="A firmware location the charger cannot download from ends in DownloadFailed; the charger goes on.",
    steps=(
        Send(
            "UpdateFirmware",
            {"location": "ftp://127.0.0.1:21/download_fail.fwi", "retrieveDate": "{now}", "retries": 0},
            unsupported=UNSUPPORTED,
        ),
        Expect("FirmwareStatusNotification", {"status": "Downloading"}, optional=True),
        Expect("FirmwareStatusNotification", {"status": "DownloadFailed"}, strict=False, within=Var("reboot_timeout")),
    ),
    criteria=("FirmwareStatusNotification DownloadFailed (Downloading before it is optional); Available after.",),
    clauses=("5.19 Update Firmware", "4.5 Firmware Status Notification"),
    data=("reboot_timeout",),
    differs="We do not check that the connector is Available afterwards (the next case starts from it).",
)
