"""TC_018_2_CS: unlocking a connector with a fixed cable during a transaction."""

from certify.judging.steps import Absent, Send, Var

from ..case import OcttCase
from ..states import CHARGING

CASE = OcttCase(
    id="TC_018_2_CS",
    title="Unlock during a transaction (fixed cable)",
    group="core",
    purpose="A fixed cable cannot be unlocked: UnlockConnector is NotSupported and the transaction goes on.",
    needs=("fixed_cable",),
    steps=(
        *CHARGING,
        Send("UnlockConnector", {"connectorId": "{connector}"}, {"status": "NotSupported"}),
        Absent("StopTransaction", within=Var("transaction_duration"), label="The transaction goes on"),
    ),
    criteria=("UnlockConnector answered NotSupported; no StopTransaction follows.",),
    clauses=("5.18 Unlock Connector",),
    data=("transaction_duration",),
)
