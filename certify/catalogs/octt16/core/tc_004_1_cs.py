"""TC_004_1_CS: a session started at the charger, tag first."""

from ..case import OcttCase
from ..states import AUTHORIZED, plug, started

CASE = OcttCase(
    id="TC_004_1_CS",
    title="Charging at the charger: the tag first, then the cable",
    group="core",
    purpose="An authorized tag and then a plug-in start a transaction.",
    config={"MeterValueSampleInterval": "{meter_value_interval}"},
    steps=(*AUTHORIZED, plug(), started()),
    criteria=(
        "The presented tag is authorized and the connector prepares.",
        "After plugging in, a StartTransaction for that tag and the connector charging, in either order.",
    ),
    clauses=("4.1 Authorize", "4.8 Start Transaction", "4.9 Status Notification"),
    data=("meter_value_interval",),
)
