"""TC_031_CS: unlocking a connector that does not exist."""

from certify.judging.steps import Send

from ..case import OcttCase

CASE = OcttCase(
    id="TC_031_CS",
    title="Unlock an unknown connector",
    group="core",
    purpose="UnlockConnector for a connector the charger does not have is answered NotSupported.",
    steps=(Send("UnlockConnector", {"connectorId": "{unknown_connector}"}, {"status": "NotSupported"}),),
    criteria=("UnlockConnector answered NotSupported.",),
    clauses=("5.18 Unlock Connector",),
)
