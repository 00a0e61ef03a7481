"""TC_050_4_CS: reserving connector 0 on a charger without reservations."""

from ..case import OcttCase
from ._reserve import reserve

CASE = OcttCase(
    id="TC_050_4_CS",
    title="Reserve the charge point (connector 0) on a charger that does not support reservations",
    group="reservation",
    purpose="A charger without the Reservation profile refuses ReserveNow for connector 0.",
    profile_optional=True,
    needs=("!Reservation",),
    steps=(reserve("Rejected", connector=0, errors=("NotImplemented", "NotSupported"), unsupported=()),),
    criteria=("ReserveNow answered Rejected (or CALLERROR NotImplemented).",),
    clauses=("5.13 Reserve Now", "3.3 Feature Profiles"),
)
