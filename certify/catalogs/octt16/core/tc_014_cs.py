"""TC_014_CS: a soft reset with no transaction keeps an Inoperative connector Unavailable."""

from certify.judging.steps import Expect, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, CONNECTOR_UNAVAILABLE, status

CASE = OcttCase(
    id="TC_014_CS",
    title="Soft reset without a transaction",
    group="core",
    purpose="After a soft reset a connector set Inoperative before is still Unavailable.",
    steps=(
        *CONNECTOR_UNAVAILABLE,
        Send("Reset", {"type": "Soft"}, ACCEPTED, disconnects=True),
        Expect(
            "BootNotification",
            within=Var("reboot_timeout"),
            ours={"status": "Accepted"},
            optional=True,
            label="The charger may register again (a soft reset need not reboot)",
        ),
        status("Unavailable", state=True, label="The connector is still Unavailable"),
        Send("ChangeAvailability", {"connectorId": "{connector}", "type": "Operative"}, ACCEPTED),
        status("Available"),
    ),
    criteria=(
        "Reset Soft is accepted.",
        "The connector stays Unavailable (across a reboot, if there is one); after Operative, Available.",
    ),
    clauses=("5.14 Reset", "5.2 Change Availability"),
    data=("reboot_timeout",),
)
