"""TC_018_1_CS: unlocking a connector during a transaction (socket)."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import CHARGING, status, stopped, unplug

CASE = OcttCase(
    id="TC_018_1_CS",
    title="Unlock during a transaction (socket, no fixed cable)",
    group="core",
    purpose="UnlockConnector during a transaction stops it and unlocks the cable.",
    needs=("!fixed_cable",),
    steps=(
        *CHARGING,
        Send("UnlockConnector", {"connectorId": "{connector}"}, {"status": "Unlocked"}),
        stopped("UnlockCommand"),
        unplug(),
        status("Available", state=True, label="Available once the cable is out"),
    ),
    criteria=(
        "UnlockConnector answered Unlocked.",
        "StopTransaction with reason UnlockCommand, and Finishing; Available after unplugging.",
    ),
    clauses=("5.18 Unlock Connector", "4.10 Stop Transaction"),
)
