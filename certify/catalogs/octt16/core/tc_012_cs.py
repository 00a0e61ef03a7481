"""TC_012_CS: a remote stop."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, CHARGING, stopped

CASE = OcttCase(
    id="TC_012_CS",
    title="Remote stop of a charging session",
    group="core",
    purpose="Our RemoteStopTransaction ends the running transaction.",
    steps=(
        *CHARGING,
        Send("RemoteStopTransaction", {"transactionId": "{transaction_id}"}, ACCEPTED),
        stopped("Remote"),
    ),
    criteria=(
        "RemoteStopTransaction is accepted.",
        "StopTransaction with reason Remote, and Finishing, in either order.",
    ),
    clauses=("5.12 Remote Stop Transaction", "4.10 Stop Transaction", "4.9 Status Notification"),
    differs="Available instead of Finishing is accepted where the cable is already gone (§4.9).",
)
