"""TC_026_CS: a remote start on a connector that is busy."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import CHARGING

CASE = OcttCase(
    id="TC_026_CS",
    title="Remote start refused: the connector already has a transaction",
    group="core",
    purpose="RemoteStartTransaction for a connector with a running transaction is rejected.",
    config={"LocalPreAuthorize": "false"},
    steps=(
        *CHARGING,
        Send(
            "RemoteStartTransaction",
            {"connectorId": "{connector}", "idTag": "{id_tag}"},
            {"status": "Rejected"},
            label="A second remote start on the same connector is rejected",
        ),
    ),
    criteria=("The second RemoteStartTransaction is answered Rejected.",),
    clauses=("5.11 Remote Start Transaction",),
)
