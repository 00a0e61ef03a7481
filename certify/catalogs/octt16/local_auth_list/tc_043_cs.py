"""TC_043_CS: full and differential local list updates."""

from ..case import OcttCase
from ._lists import send_list, version_is

CASE = OcttCase(
    id="TC_043_CS",
    title="Send the local authorization list: full, then differential",
    group="local-auth-list",
    purpose="The charger stores a full list and then a differential update of it.",
    config={"LocalAuthListEnabled": "true"},
    steps=(send_list(1, "Full", ("id_tag",)), send_list(2, "Differential", ("id_tag_2",)), version_is(2)),
    criteria=("Both updates accepted; the list's version is then that of the differential update.",),
    clauses=("5.15 Send Local List", "3.5.2 Local Authorization List"),
    data=("id_tag_2",),
    differs="We read the version back instead of presenting the listed tags offline.",
)
