"""TC_039_CS: a whole transaction while offline."""

from certify.judging.steps import Expect, Ref, Var

from ..case import OcttCase
from ..states import CONNECTOR, LOCAL_REASON, TAG, TAG_ACCEPTED, offline, plug, reconnected, swipe, unplug
from .tc_037_1_cs import OFFLINE_CONFIG, OFFLINE_IF_PRESENT

CASE = OcttCase(
    id="TC_039_CS",
    title="A whole transaction while offline",
    group="core",
    purpose="A transaction started and stopped while offline is reported, start then stop, once the charger is back.",
    needs=("offline_transactions", "local_stop"),
    config=OFFLINE_CONFIG,
    config_if_present=OFFLINE_IF_PRESENT,
    steps=(
        offline(),
        swipe(),
        plug(),
        swipe(TAG, "the same tag to stop"),
        unplug(),
        reconnected(),
        Expect(
            "StartTransaction",
            {"idTag": TAG},
            match={"connectorId": CONNECTOR},
            ours=TAG_ACCEPTED,
            within=Var("reboot_timeout"),
            name="start",
            label="Back online, the charger reports the start; we accept it",
        ),
        Expect(
            "StopTransaction",
            {"reason": LOCAL_REASON},
            match={"transactionId": Ref("start", "answer.transactionId")},
            label="Then the stop, for the transactionId we gave (reason Local or none)",
        ),
    ),
    criteria=("After the reconnect: StartTransaction (accepted), then StopTransaction with reason Local or none.",),
    clauses=("3.7 Transaction-related messages", "4.8 Start Transaction", "4.10 Stop Transaction"),
    data=("offline_seconds",),
)
