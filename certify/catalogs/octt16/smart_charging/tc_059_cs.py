"""TC_059_CS: a remote start carrying a charging profile."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, authorize, plug, started, status
from ._profiles import TAIL, composite, profile

CASE = OcttCase(
    id="TC_059_CS",
    title="Smart charging: a remote start with a profile",
    group="smart-charging",
    purpose="A RemoteStartTransaction carrying a TxProfile starts a transaction that follows it.",
    steps=(
        plug(),
        status("Preparing"),
        Send(
            "RemoteStartTransaction",
            {"connectorId": "{connector}", "idTag": "{id_tag}", "chargingProfile": profile(40, "TxProfile", [(0, 6)])},
            ACCEPTED,
        ),
        authorize(optional=True, label="The charger may authorize the tag"),
        started(),
        composite([(0, 6)]),
    ),
    criteria=(
        "RemoteStartTransaction with a TxProfile accepted; the transaction starts; the composite has its limit.",
    ),
    clauses=("5.11 Remote Start Transaction", "3.13.2 Charging profile purposes", "5.7 Get Composite Schedule"),
    data=("rate_unit", "number_phases", "profile_duration", "max_time_deviation"),
    differs=TAIL,
)
