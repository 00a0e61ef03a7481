"""TC_058_2_CS: a transaction profile for another transaction."""

from ..case import OcttCase
from ..states import CHARGING
from ._profiles import install

CASE = OcttCase(
    id="TC_058_2_CS",
    title="Smart charging refused: a transaction profile for the wrong transaction",
    group="smart-charging",
    purpose="A TxProfile naming a transaction other than the running one is rejected.",
    steps=(*CHARGING, install(4, "TxProfile", [(0, 6)], transaction="{other_transaction_id}", answer="Rejected")),
    criteria=("Answered Rejected.",),
    clauses=("5.16 Set Charging Profile", "3.13.2 Charging profile purposes"),
)
