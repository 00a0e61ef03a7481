"""TC_051_CS: a reservation cancelled."""

from certify.judging.sequence import MISSING
from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, TAG_2, authorize, plug, started, status, swipe
from ._reserve import reserved

CASE = OcttCase(
    id="TC_051_CS",
    title="Cancel a reservation",
    group="reservation",
    purpose="A cancelled reservation frees the connector: another tag starts there without a reservationId.",
    steps=(
        *reserved(),
        Send("CancelReservation", {"reservationId": "{reservation_id}"}, ACCEPTED),
        status("Available"),
        swipe(TAG_2, "another valid tag"),
        authorize(TAG_2),
        plug(),
        started(TAG_2, reservationId=MISSING),
    ),
    criteria=("CancelReservation accepted; Available; a transaction of another tag starts, with no reservationId.",),
    clauses=("5.1 Cancel Reservation", "3.12 Reservations"),
    data=("id_tag_2",),
)
