"""TC_057_CS: a profile for the running transaction."""

from ..case import OcttCase
from ..states import CHARGING
from ._profiles import TAIL, composite, install

CASE = OcttCase(
    id="TC_057_CS",
    title="Smart charging: a profile for the running transaction",
    group="smart-charging",
    purpose="A TxProfile for the running transaction is installed, and the composite schedule reflects it.",
    steps=(*CHARGING, install(2, "TxProfile", [(0, 6)], transaction="{transaction_id}"), composite([(0, 6)])),
    criteria=("SetChargingProfile TxProfile accepted; the composite schedule has its limit.",),
    clauses=("5.16 Set Charging Profile", "5.7 Get Composite Schedule", "3.13 Smart Charging"),
    data=("rate_unit", "number_phases", "profile_duration", "max_time_deviation"),
    differs=TAIL,
)
