"""TC_052_CS: cancelling a reservation that does not exist."""

from certify.judging.steps import Absent, Send

from ..case import OcttCase
from ._reserve import reserved

CASE = OcttCase(
    id="TC_052_CS",
    title="Cancel an unknown reservation",
    group="reservation",
    purpose="CancelReservation for an unknown reservationId is rejected and the existing reservation stays.",
    steps=(
        *reserved(),
        Send("CancelReservation", {"reservationId": "{other_reservation_id}"}, {"status": "Rejected"}),
        Absent("StatusNotification", {"status": "Available"}, within=5, label="The connector stays Reserved"),
    ),
    criteria=("CancelReservation answered Rejected; the connector stays Reserved.",),
    clauses=("5.1 Cancel Reservation",),
)
