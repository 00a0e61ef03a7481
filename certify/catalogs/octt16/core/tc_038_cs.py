"""TC_038_CS: a transaction stopped while offline."""

from certify.judging.steps import AnyOrder, Expect, Var

from ..case import OcttCase
from ..states import AFTER_STOP, CHARGING, LOCAL_REASON, OF_THE_TRANSACTION, TAG, offline, reconnected, status, swipe

CASE = OcttCase(
    id="TC_038_CS",
    title="Offline stop",
    group="core",
    purpose="A transaction stopped at the charger while it is offline is reported once it is back.",
    needs=("local_stop",),
    steps=(
        *CHARGING,
        offline(),
        swipe(TAG, "the starting tag to stop"),
        reconnected(),
        AnyOrder(
            Expect(
                "StopTransaction",
                {"reason": LOCAL_REASON},
                match=OF_THE_TRANSACTION,
                within=Var("reboot_timeout"),
                label="Back online, the charger reports the stop (reason Local or none)",
            ),
            status(AFTER_STOP, state=True),
        ),
    ),
    criteria=("The queued StopTransaction arrives after the reconnect, reason Local (or none); Finishing.",),
    clauses=("3.7 Transaction-related messages", "4.10 Stop Transaction"),
    data=("offline_seconds",),
)
