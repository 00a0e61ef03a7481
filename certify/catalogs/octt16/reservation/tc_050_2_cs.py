"""TC_050_2_CS: reserving a charge point whose connectors are all in use."""

from ..case import OcttCase
from ..states import CONNECTOR_OCCUPIED, unplug
from ._reserve import reserve

CASE = OcttCase(
    id="TC_050_2_CS",
    title="Reserve an occupied charge point (connector 0)",
    group="reservation",
    purpose="ReserveNow for connector 0 when every connector is in use is answered Occupied.",
    needs=("reserve_connector_zero",),
    steps=(*CONNECTOR_OCCUPIED, reserve("Occupied", connector=0)),
    criteria=("ReserveNow answered Occupied.",),
    clauses=("5.13 Reserve Now",),
    cleanup=(unplug(),),
    differs="We occupy the configured connector only: on a charger with several connectors, occupy the others by hand.",
)
