"""TC_002_CS: a cold boot held Pending while we configure the charger."""

from certify.judging.steps import Expect, Ref, Send, Var

from ..case import OcttCase
from ..states import TAKEN, all_connectors, power_cycle

CASE = OcttCase(
    id="TC_002_CS",
    title="Cold boot: registration pending, configured meanwhile, then accepted",
    group="core",
    purpose="While its registration is pending the charger answers our configuration requests, then registers again.",
    steps=(
        power_cycle(),
        Expect(
            "BootNotification",
            name="pending",
            ours={"status": "Pending"},
            label="The charger registers; we say Pending",
        ),
        Send("GetConfiguration", {}, label="We read the whole configuration while it is pending"),
        Send(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "{meter_value_interval}"},
            TAKEN,
            label="We set MeterValueSampleInterval while it is pending",
        ),
        Expect(
            "BootNotification",
            name="boot",
            since="pending",
            after=Ref("pending", "answer.interval"),
            within=Var("reboot_timeout"),
            ours={"status": "Accepted"},
            label="It registers again after the pending interval; we accept",
        ),
        all_connectors("Available"),
        Expect(
            "Heartbeat",
            since="boot",
            within=Ref("boot", "answer.interval"),
            idle=True,
            label="A heartbeat within our interval of inactivity",
        ),
    ),
    criteria=(
        "While pending, the charger answers GetConfiguration and accepts the ChangeConfiguration "
        "(RebootRequired too: §7.22, the value applies from the next boot).",
        "It registers again no sooner than the pending interval; then every connector reports Available.",
        "Heartbeats follow at the interval of our Accepted answer.",
    ),
    clauses=("4.2 Boot Notification", "5.3 Change Configuration", "5.8 Get Configuration", "4.6 Heartbeat"),
    data=("heartbeat_interval", "pending_interval", "meter_value_interval"),
    answers={"BootNotification": ("Pending", "Accepted")},
)
