"""TC_053_CS: a reservation used by another tag of the same group."""

from certify.judging.steps import Var

from ..case import OcttCase
from ..states import TAG_2, authorize, plug, started, swipe
from ._reserve import RESERVATION, reserved

PARENT = {"status": "Accepted", "parentIdTag": "{parent_id_tag}"}

CASE = OcttCase(
    id="TC_053_CS",
    title="Reserved connector used by another tag of the same group (parentIdTag)",
    group="reservation",
    purpose="A reservation made with a parentIdTag lets another tag of that group start there.",
    before=("Other connectors of the charger are Unavailable.",),
    steps=(
        *reserved(parent=True),
        swipe(TAG_2, "another tag of the same group"),
        authorize(TAG_2, {"idTagInfo": {"status": "Accepted", "parentIdTag": Var("parent_id_tag")}}, optional=True),
        plug(),
        started(TAG_2, reservationId=RESERVATION),
    ),
    criteria=("The transaction of the group's other tag starts and carries the reservationId.",),
    clauses=("5.13 Reserve Now", "3.12 Reservations"),
    data=("id_tag_2", "parent_id_tag"),
    answers={"idTagInfo": {"id_tag": PARENT, "id_tag_2": PARENT}},
)
