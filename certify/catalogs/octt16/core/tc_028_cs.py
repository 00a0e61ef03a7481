"""TC_028_CS: a remote stop for a transaction that does not exist."""

from certify.judging.steps import Absent, Send, Var

from ..case import OcttCase
from ..states import CHARGING

CASE = OcttCase(
    id="TC_028_CS",
    title="Remote stop refused: unknown transaction",
    group="core",
    purpose="RemoteStopTransaction for an unknown transactionId is rejected and the running transaction goes on.",
    steps=(
        *CHARGING,
        Send("RemoteStopTransaction", {"transactionId": "{unknown_transaction_id}"}, {"status": "Rejected"}),
        Absent("StopTransaction", within=Var("transaction_duration"), label="The running transaction goes on"),
    ),
    criteria=("Answered Rejected; no StopTransaction follows.",),
    clauses=("5.12 Remote Stop Transaction",),
    data=("transaction_duration",),
)
