"""TC_056_CS: a default profile for transactions, read back as a composite schedule."""

from ..case import OcttCase
from ._profiles import TAIL, composite, install

CASE = OcttCase(
    id="TC_056_CS",
    title="Smart charging: a default profile for transactions",
    group="smart-charging",
    purpose="A TxDefaultProfile is installed, and the composite schedule reflects it.",
    steps=(install(1, "TxDefaultProfile", [(0, 6)]), composite([(0, 6)])),
    criteria=(
        "SetChargingProfile TxDefaultProfile accepted.",
        "GetCompositeSchedule: for the connector, the configured unit and duration, starting now, limit 6 A (6000 W).",
    ),
    clauses=("5.16 Set Charging Profile", "5.7 Get Composite Schedule", "3.13 Smart Charging"),
    data=("rate_unit", "number_phases", "profile_duration", "max_time_deviation"),
    differs="We do not compare the composite's startSchedule with the time we asked. " + TAIL,
)
