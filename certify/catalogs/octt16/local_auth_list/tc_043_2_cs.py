"""TC_043_2_CS: a differential update older than the list."""

from ..case import OcttCase
from ._lists import send_list, version_is

CASE = OcttCase(
    id="TC_043_2_CS",
    title="Send the local authorization list: version mismatch",
    group="local-auth-list",
    purpose="A differential update whose version is not newer than the list's is refused with VersionMismatch.",
    config={"LocalAuthListEnabled": "true"},
    steps=(
        send_list(2, "Full", ("id_tag",)),
        version_is(2),
        send_list(5, "Differential", ("id_tag_2",)),
        version_is(5),
        send_list(4, "Differential", ("id_tag_2",), answer="VersionMismatch"),
        version_is(5),
    ),
    criteria=("Full v2 and differential v5 accepted; differential v4 answered VersionMismatch; the version stays 5.",),
    clauses=("5.15 Send Local List",),
)
