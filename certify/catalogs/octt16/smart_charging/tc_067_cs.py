"""TC_067_CS: clearing charging profiles by id, by purpose and stack, and all."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED
from ._profiles import TAIL, composite, install

CASE = OcttCase(
    id="TC_067_CS",
    title="Smart charging: clear charging profiles",
    group="smart-charging",
    purpose="Profiles are cleared by id, by purpose and stack level, then all; each composite schedule shows what "
    "is left.",
    steps=(
        install(20, "TxDefaultProfile", [(0, 6), (60, 8), (200, 10)], stack=1, duration=400),
        install(21, "TxDefaultProfile", [(0, 11), (100, 12)], stack=0, duration=400),
        install(22, "ChargePointMaxProfile", [(0, 16)], connector=0, duration=86400),
        Send("ClearChargingProfile", {"id": 20}, ACCEPTED, label="We clear profile 20 by its id"),
        composite([(0, 11), (100, 12)], duration=400),
        Send(
            "ClearChargingProfile",
            {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0},
            ACCEPTED,
            label="We clear the default profiles of stack level 0",
        ),
        composite([(0, 16)], duration=400),
        Send("ClearChargingProfile", {}, ACCEPTED, label="We clear every profile"),
    ),
    criteria=(
        "Each ClearChargingProfile accepted.",
        "After each, the composite schedule shows only the profiles left (11 A then 12 A; then the 16 A maximum).",
    ),
    clauses=("5.5 Clear Charging Profile", "5.7 Get Composite Schedule"),
    data=("rate_unit", "number_phases", "max_time_deviation"),
    differs="Our three profiles are our own; we do not read the composite after the last clear (the charger's own "
    "limit is not known to us). " + TAIL,
)
