"""TC_005_3_CS: unplugged at the EV, but the transaction goes on."""

from certify.judging.steps import Absent, OneOf, Send

from ..case import OcttCase
from ..states import ACCEPTED, CHARGING, status, stopped, unplug_ev_side

CASE = OcttCase(
    id="TC_005_3_CS",
    title="EV side unplugged: the transaction continues until stopped remotely",
    group="core",
    purpose="With StopTransactionOnEVSideDisconnect false, unplugging at the EV suspends the transaction instead "
    "of stopping it; our RemoteStopTransaction ends it.",
    needs=("stop_on_ev_side_disconnect_writable",),
    config={
        "MinimumStatusDuration": "0",
        "StopTransactionOnEVSideDisconnect": "false",
        "UnlockConnectorOnEVSideDisconnect": "false",
    },
    steps=(
        *CHARGING,
        unplug_ev_side(),
        status(OneOf("SuspendedEV", "SuspendedEVSE"), label="The connector reports the transaction suspended"),
        Absent("StopTransaction", label="The transaction is not stopped by the unplug"),
        Send("RemoteStopTransaction", {"transactionId": "{transaction_id}"}, ACCEPTED),
        stopped("Remote"),
    ),
    criteria=(
        "Unplugging at the EV gives SuspendedEV or SuspendedEVSE, and no StopTransaction.",
        "RemoteStopTransaction is accepted; StopTransaction with reason Remote, and Finishing (Available with a "
        "fixed cable), in either order.",
    ),
    clauses=("9.1.23 StopTransactionOnEVSideDisconnect", "4.9 Status Notification", "5.12 Remote Stop Transaction"),
)
