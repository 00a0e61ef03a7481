"""TC_066_CS: the composite of three profiles."""

from ..case import OcttCase
from ..states import CHARGING
from ._profiles import TAIL, composite, install

CASE = OcttCase(
    id="TC_066_CS",
    title="Smart charging: the composite schedule of three profiles",
    group="smart-charging",
    purpose="With a charge point maximum, a default and a transaction profile installed, the composite schedule "
    "is the transaction profile capped by the maximum.",
    before=("MaxChargingProfilesInstalled is at least 3; ChargingScheduleMaxPeriods at least 5.",),
    steps=(
        *CHARGING,
        install(10, "ChargePointMaxProfile", [(0, 10)], connector=0, duration=86400),
        install(11, "TxDefaultProfile", [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)], duration=400),
        install(
            12,
            "TxProfile",
            [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)],
            duration=400,
            transaction="{transaction_id}",
        ),
        composite([(0, 8), (50, 10), (200, 6), (240, 10)], duration=400),
    ),
    criteria=(
        "All three profiles accepted; the composite over 400 s: 8 A, 10 A from 50 s, 6 A from 200 s, 10 A from 240 s.",
    ),
    clauses=(
        "3.13.3 Stacking charging profiles",
        "3.13.4 Combining charging profile purposes",
        "5.7 Get Composite Schedule",
    ),
    data=("rate_unit", "number_phases", "max_time_deviation"),
    differs=TAIL,
)
