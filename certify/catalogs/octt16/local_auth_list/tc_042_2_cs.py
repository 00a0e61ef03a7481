"""TC_042_2_CS: the version of an empty local list."""

from ..case import OcttCase
from ._lists import send_list, version_is

CASE = OcttCase(
    id="TC_042_2_CS",
    title="Local list version of an empty list",
    group="local-auth-list",
    purpose="After a full update with no entries the list is empty, and its version reads 0.",
    config={"LocalAuthListEnabled": "true"},
    steps=(send_list(1), version_is(0)),
    criteria=("SendLocalList accepted; GetLocalListVersion answers 0 (the list is empty).",),
    clauses=("5.10 Get Local List Version", "5.15 Send Local List"),
)
