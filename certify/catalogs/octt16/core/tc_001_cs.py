"""TC_001_CS: a cold boot we first refuse, then accept."""

from certify.judging.steps import Absent, Expect, Ref, Var

from ..case import OcttCase
from ..states import all_connectors, power_cycle

CASE = OcttCase(
    id="TC_001_CS",
    title="Cold boot: registration refused once, then accepted",
    group="core",
    purpose="After a power cycle the charger registers; refused, it waits the interval we gave before it tries again.",
    steps=(
        power_cycle(),
        Expect(
            "BootNotification", name="refused", ours={"status": "Rejected"}, label="The charger registers; we refuse"
        ),
        Absent("", label="Refused, the charger sends nothing before its retry"),
        Expect(
            "BootNotification",
            name="boot",
            after=Ref("refused", "answer.interval"),
            within=Var("reboot_timeout"),
            ours={"status": "Accepted"},
            label="It retries no sooner than our interval; we accept",
        ),
        all_connectors("Available"),
        Expect(
            "Heartbeat",
            since="boot",
            within=Ref("boot", "answer.interval"),
            idle=True,
            label="A heartbeat within our interval of inactivity",
        ),
        Expect(
            "Heartbeat",
            after=Ref("boot", "answer.interval"),
            within=Ref("boot", "answer.interval"),
            label="The next heartbeat one interval later",
        ),
    ),
    criteria=(
        "The retry comes no sooner than the interval of our Rejected answer.",
        "Once accepted, every connector and connector 0 report Available.",
        "Heartbeats follow at the interval of our Accepted answer.",
    ),
    clauses=("4.2 Boot Notification", "4.6 Heartbeat", "4.9 Status Notification"),
    data=("heartbeat_interval", "rejected_interval"),
    answers={"BootNotification": ("Rejected", "Accepted")},
)
