"""TC_017_1_CS: unlocking an idle connector with a socket."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_017_1_CS",
    title="Unlock an idle connector (socket, no fixed cable)",
    group="core",
    purpose="UnlockConnector on a connector without a transaction unlocks it.",
    needs=("!fixed_cable",),
    steps=(Send("UnlockConnector", {"connectorId": "{connector}"}, {"status": "Unlocked"}),),
    criteria=("UnlockConnector answered Unlocked.",),
    clauses=("5.18 Unlock Connector",),
)
