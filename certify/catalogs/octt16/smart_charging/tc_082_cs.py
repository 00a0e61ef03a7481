"""TC_082_CS: a default profile installed during a transaction."""

from ..case import OcttCase
from ..states import CHARGING
from ._profiles import TAIL, composite, install

CASE = OcttCase(
    id="TC_082_CS",
    title="Smart charging: a default profile during a transaction",
    group="smart-charging",
    purpose="A TxDefaultProfile installed while a transaction runs applies to it.",
    steps=(*CHARGING, install(5, "TxDefaultProfile", [(0, 6)]), composite([(0, 6)])),
    criteria=("SetChargingProfile TxDefaultProfile accepted; the composite schedule has its limit.",),
    clauses=("5.16 Set Charging Profile", "5.7 Get Composite Schedule", "3.13 Smart Charging"),
    data=("rate_unit", "number_phases", "profile_duration", "max_time_deviation"),
    differs=TAIL,
)
