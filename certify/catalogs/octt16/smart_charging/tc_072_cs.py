"""TC_072_CS: two stacked default profiles."""

from ..case import OcttCase
from ._profiles import TAIL, composite, install

CASE = OcttCase(
    id="TC_072_CS",
    title="Smart charging: stacked profiles",
    group="smart-charging",
    purpose="Of two default profiles, the higher stack level rules while it lasts, then the lower one.",
    steps=(
        install(30, "TxDefaultProfile", [(0, 6), (100, 8), (200, 10)], stack=0, duration=400),
        install(31, "TxDefaultProfile", [(0, 7), (100, 9)], stack=1, duration=150),
        composite([(0, 7), (100, 9), (150, 8), (200, 10)], duration=350),
    ),
    criteria=("Both accepted; the composite over 350 s: 7 A, 9 A from 100 s, 8 A from 150 s, 10 A from 200 s.",),
    clauses=("3.13.3 Stacking charging profiles", "5.7 Get Composite Schedule"),
    data=("rate_unit", "number_phases", "max_time_deviation"),
    differs=TAIL,
)
