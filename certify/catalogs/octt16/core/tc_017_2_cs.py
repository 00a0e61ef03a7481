"""TC_017_2_CS: unlocking an idle connector with a fixed cable."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_017_2_CS",
    title="Unlock an idle connector (fixed cable)",
    group="core",
    purpose="A connector with a fixed cable has no lock to open: UnlockConnector is answered NotSupported.",
    needs=("fixed_cable",),
    steps=(Send("UnlockConnector", {"connectorId": "{connector}"}, {"status": "NotSupported"}),),
    criteria=("UnlockConnector answered NotSupported.",),
    clauses=("5.18 Unlock Connector",),
)
