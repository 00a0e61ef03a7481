"""TC_013_CS: a hard reset with no transaction keeps an Inoperative connector Unavailable."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, CONNECTOR_UNAVAILABLE, status

CASE = OcttCase(
    id="TC_013_CS",
    title="Hard reset without a transaction",
    group="core",
    purpose="After a hard reset the charger registers again and a connector set Inoperative before stays Unavailable.",
    steps=(
        *CONNECTOR_UNAVAILABLE,
        Send("Reset", {"type": "Hard"}, ACCEPTED, disconnects=True),
        Expect("BootNotification", within=Var("reboot_timeout"), ours={"status": "Accepted"}),
        status("Unavailable", label="The connector is still Unavailable after the reboot"),
        Send("ChangeAvailability", {"connectorId": "{connector}", "type": "Operative"}, ACCEPTED),
        status("Available"),
    ),
    criteria=(
        "ChangeAvailability Inoperative and Reset Hard are accepted; the charger registers again.",
        "After the reboot the connector reports Unavailable; after Operative, Available.",
    ),
    clauses=("5.14 Reset", "5.2 Change Availability", "4.2 Boot Notification"),
    data=("reboot_timeout",),
)
