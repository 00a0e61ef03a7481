"""TC_054_CS: the charger sends what TriggerMessage asks for."""

from certify.judging.steps import Expect, OneOf, Send

from ..case import OcttCase
from ..states import ACCEPTED, CONNECTOR, UNSUPPORTED


def trigger(message: str, connector: bool = False, answer=ACCEPTED) -> Send:
    payload = {"requestedMessage": message, **({"connectorId": "{connector}"} if connector else {})}
    return Send("TriggerMessage", payload, answer, unsupported=UNSUPPORTED, label=f"We trigger {message}")


CASE = OcttCase(
    id="TC_054_CS",
    title="Trigger each message the charger can be asked for",
    group="remote-trigger",
    purpose="For each TriggerMessage accepted, the charger sends the message asked for.",
    steps=(
        trigger("MeterValues", connector=True),
        Expect("MeterValues", match={"connectorId": CONNECTOR}),
        trigger("Heartbeat"),
        Expect("Heartbeat"),
        trigger("StatusNotification", connector=True),
        Expect("StatusNotification", match={"connectorId": CONNECTOR}),
        trigger("DiagnosticsStatusNotification"),
        Expect("DiagnosticsStatusNotification", {"status": "Idle"}),
        trigger("FirmwareStatusNotification", answer={"status": OneOf("Accepted", "NotImplemented")}),
        Expect(
            "FirmwareStatusNotification",
            {"status": "Idle"},
            optional=True,
            label="FirmwareStatusNotification Idle (when the trigger was accepted)",
        ),
    ),
    criteria=(
        "TriggerMessage for MeterValues, Heartbeat, StatusNotification and DiagnosticsStatusNotification accepted, "
        "each followed by the message; DiagnosticsStatusNotification with status Idle.",
        "FirmwareStatusNotification triggered: Accepted (then sent, status Idle) or NotImplemented.",
    ),
    clauses=("5.17 Trigger Message", "4.4 Diagnostics Status Notification", "4.5 Firmware Status Notification"),
)
