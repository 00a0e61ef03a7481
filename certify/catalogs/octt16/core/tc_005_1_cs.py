"""TC_005_1_CS: unplugged at the EV: stop, and unlock."""

from ..case import OcttCase
from ..states import CHARGING, stopped, unplug_ev_side

CASE = OcttCase(
    id="TC_005_1_CS",
    title="EV side unplugged: the transaction stops (stop and unlock on EV-side disconnect)",
    group="core",
    purpose="With StopTransactionOnEVSideDisconnect and UnlockConnectorOnEVSideDisconnect true, unplugging at "
    "the EV stops the transaction.",
    needs=("!fixed_cable",),
    config={
        "MinimumStatusDuration": "0",
        "StopTransactionOnEVSideDisconnect": "true",
        "UnlockConnectorOnEVSideDisconnect": "true",
    },
    steps=(*CHARGING, unplug_ev_side(), stopped("EVDisconnected")),
    criteria=("StopTransaction with reason EVDisconnected, and Finishing, in either order.",),
    clauses=(
        "9.1.23 StopTransactionOnEVSideDisconnect",
        "9.1.33 UnlockConnectorOnEVSideDisconnect",
        "4.10 Stop Transaction",
    ),
    differs="Available instead of Finishing is accepted: with the connector unlocked and the cable gone the "
    "connector is free (§4.9).",
)
