"""TC_043_3_CS: a local list the charger fails to store."""

from certify.judging.steps import Manual

from ..case import OcttCase
from ._lists import send_list

CASE = OcttCase(
    id="TC_043_3_CS",
    title="Send the local authorization list: storing it fails",
    group="local-auth-list",
    purpose="When the charger cannot store the list, SendLocalList is answered Failed.",
    needs=("local_list_failure",),
    config={"LocalAuthListEnabled": "true"},
    steps=(
        Manual("fail-local-list", "Bring the charger into a state where storing the list fails"),
        send_list(2, "Full", ("id_tag",), answer="Failed"),
    ),
    criteria=("SendLocalList answered Failed.",),
    clauses=("5.15 Send Local List",),
)
