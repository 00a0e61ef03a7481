"""TC_005_2_CS: unplugged at the EV: stop, but keep the cable locked."""

from certify.judging.steps import OneOf, Send

from ..case import OcttCase
from ..states import CHARGING, stopped, unplug_ev_side

CASE = OcttCase(
    id="TC_005_2_CS",
    title="EV side unplugged: the transaction stops, the cable stays locked until unlocked",
    group="core",
    purpose="With StopTransactionOnEVSideDisconnect true and UnlockConnectorOnEVSideDisconnect false, unplugging "
    "at the EV stops the transaction; our UnlockConnector then frees the cable.",
    config={
        "MinimumStatusDuration": "0",
        "StopTransactionOnEVSideDisconnect": "true",
        "UnlockConnectorOnEVSideDisconnect": "false",
    },
    steps=(
        *CHARGING,
        unplug_ev_side(),
        stopped("EVDisconnected"),
        Send("UnlockConnector", {"connectorId": "{connector}"}, {"status": OneOf("Unlocked", "NotSupported")}),
    ),
    criteria=(
        "StopTransaction with reason EVDisconnected, and Finishing or Available.",
        "UnlockConnector answered Unlocked (NotSupported for a fixed cable).",
    ),
    clauses=(
        "9.1.23 StopTransactionOnEVSideDisconnect",
        "9.1.33 UnlockConnectorOnEVSideDisconnect",
        "5.18 Unlock Connector",
    ),
)
