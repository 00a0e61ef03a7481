"""TC_047_CS: a reservation that expires."""

from certify.judging.steps import Var

from ..case import OcttCase
from ..states import status
from ._reserve import reserved

CASE = OcttCase(
    id="TC_047_CS",
    title="Reservation expires",
    group="reservation",
    purpose="When a reservation's expiry passes, the connector is Available again.",
    before=("Other connectors of the charger are Unavailable.",),
    steps=(
        *reserved(expiry="{short_reservation_expiry}"),
        status(
            "Available",
            after=Var("short_reservation_seconds"),
            within=Var("short_reservation_seconds"),
            label="Available again when the reservation expires",
        ),
    ),
    criteria=("ReserveNow accepted; Reserved; Available once the expiry date has passed.",),
    clauses=("5.13 Reserve Now", "3.12 Reservations"),
    data=("short_reservation_seconds",),
    differs="We do not charge with another tag afterwards; Available is the proof the reservation ended.",
)
