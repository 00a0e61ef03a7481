"""TC_048_4_CS: reserving on a charger without reservations."""

from ..case import OcttCase
from ._reserve import reserve

CASE = OcttCase(
    id="TC_048_4_CS",
    title="Reserve a connector on a charger that does not support reservations",
    group="reservation",
    purpose="A charger without the Reservation profile refuses ReserveNow.",
    profile_optional=True,
    needs=("!Reservation",),
    steps=(reserve("Rejected", errors=("NotImplemented", "NotSupported"), unsupported=()),),
    criteria=("ReserveNow answered Rejected (or CALLERROR NotImplemented).",),
    clauses=("5.13 Reserve Now", "3.3 Feature Profiles"),
)
