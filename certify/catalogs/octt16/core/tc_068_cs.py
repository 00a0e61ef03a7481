"""TC_068_CS: only the tag that started a transaction stops it."""

from certify.judging.sequence import MISSING
from certify.judging.steps import Absent, OneOf

from ..case import OcttCase
from ..states import CHARGING, LOCAL_REASON, TAG, TAG_2, stopped, swipe

CASE = OcttCase(
    id="TC_068_CS",
    title="Stopping with the tag that started the transaction",
    group="core",
    purpose="Another valid tag does not stop a running transaction; the tag that started it does.",
    before=("Where one card reader serves several connectors, the connector not under test is occupied.",),
    steps=(
        *CHARGING,
        swipe(TAG_2, "a second valid tag (not in the same group)"),
        Absent("StopTransaction", label="The second tag stops nothing"),
        swipe(TAG, "the tag that started the transaction"),
        stopped(LOCAL_REASON, idTag=OneOf(TAG, MISSING)),
    ),
    criteria=(
        "The second tag does not stop the transaction.",
        "The starting tag stops it: StopTransaction (its idTag the starting tag) and Finishing, in either order.",
    ),
    clauses=("4.10 Stop Transaction", "3.5 Local Authorization & Offline Behavior", "4.9 Status Notification"),
    data=("id_tag_2",),
    differs="OCTT also forbids an Authorize.req for the second tag; OCPP 1.6 lets a charger ask us for that "
    "tag's parentIdTag (§4.10), so we accept one and only require that nothing stops. A StopTransaction "
    "without idTag is allowed (§6.49: optional); Available instead of Finishing where the cable is gone.",
)
