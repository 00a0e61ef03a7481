"""TC_030_CS: an unlock that fails."""

from certify.judging.steps import Manual, Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_030_CS",
    title="Unlock fails",
    group="core",
    purpose="When the lock cannot open, UnlockConnector is answered UnlockFailed.",
    needs=("!fixed_cable", "unlock_failure"),
    steps=(
        Manual("block-unlock", "Block the connector's lock so that it cannot open", {"connector": "{connector}"}),
        Send("UnlockConnector", {"connectorId": "{connector}"}, {"status": "UnlockFailed"}),
    ),
    criteria=("UnlockConnector answered UnlockFailed.",),
    clauses=("5.18 Unlock Connector",),
)
