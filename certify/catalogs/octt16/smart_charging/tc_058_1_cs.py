"""TC_058_1_CS: a transaction profile with no transaction running."""

from ..case import OcttCase
from ._profiles import install

CASE = OcttCase(
    id="TC_058_1_CS",
    title="Smart charging refused: a transaction profile with no transaction",
    group="smart-charging",
    purpose="A TxProfile when no transaction runs is rejected.",
    steps=(
        install(
            3,
            "TxProfile",
            [(0, 6)],
            transaction="{unknown_transaction_id}",
            answer="Rejected",
            errors=("PropertyConstraintViolation",),
        ),
    ),
    criteria=("Answered Rejected, or CALLERROR PropertyConstraintViolation.",),
    clauses=("5.16 Set Charging Profile", "3.13.2 Charging profile purposes"),
)
