"""TC_023_CS: an invalid tag starts nothing."""

from certify.judging.steps import Absent, Var

from ..case import OcttCase
from ..states import authorize, plug, status, swipe

INVALID = Var("invalid_id_tag")

CASE = OcttCase(
    id="TC_023_CS",
    title="Start refused: the tag is invalid",
    group="core",
    purpose="A tag we answer Invalid does not start a transaction.",
    config={"LocalPreAuthorize": "true"},
    steps=(
        plug(),
        status("Preparing"),
        swipe(INVALID, "an invalid tag"),
        authorize(INVALID, {"idTagInfo": {"status": "Invalid"}}),
        Absent("StartTransaction", within=Var("transaction_duration"), label="No transaction starts"),
    ),
    criteria=("Preparing on plug-in; the invalid tag is sent in an Authorize.req; no transaction starts.",),
    clauses=("4.1 Authorize", "3.5 Local Authorization & Offline Behavior"),
    data=("invalid_id_tag", "transaction_duration"),
)
