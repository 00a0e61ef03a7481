"""TC_069_CS: a tag of the same group stops the transaction."""

from certify.judging.sequence import MISSING
from certify.judging.steps import OneOf, Var

from ..case import OcttCase
from ..states import CHARGING, LOCAL_REASON, TAG_2, authorize, stopped, swipe

PARENT = {"status": "Accepted", "parentIdTag": "{parent_id_tag}"}

CASE = OcttCase(
    id="TC_069_CS",
    title="Stopping with another tag of the same group (parentIdTag)",
    group="core",
    purpose="A different tag with the same parentIdTag as the starting tag stops the transaction.",
    before=("Where one card reader serves several connectors, the connector not under test is occupied.",),
    steps=(
        *CHARGING,
        swipe(TAG_2, "a second tag of the same group"),
        authorize(TAG_2, {"idTagInfo": {"status": "Accepted", "parentIdTag": Var("parent_id_tag")}}),
        stopped(LOCAL_REASON, idTag=OneOf(TAG_2, MISSING)),
    ),
    criteria=(
        "The second tag is sent in an Authorize.req; we answer with the group's parentIdTag.",
        "The transaction stops: StopTransaction (idTag the second tag) and Finishing, in either order.",
    ),
    clauses=("4.10 Stop Transaction", "4.1 Authorize", "3.5 Local Authorization & Offline Behavior"),
    data=("id_tag_2", "parent_id_tag"),
    answers={"idTagInfo": {"id_tag": PARENT, "id_tag_2": PARENT}},
    differs="A StopTransaction without idTag is allowed (§6.49: optional).",
)
