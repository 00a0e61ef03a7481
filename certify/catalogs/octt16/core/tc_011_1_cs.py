"""TC_011_1_CS: a remote start before the cable is plugged in."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, authorize, plug, started, status

CASE = OcttCase(
    id="TC_011_1_CS",
    title="Remote start first, cable plugged in afterwards",
    group="core",
    purpose="Our RemoteStartTransaction prepares the connector; plugging in then starts the transaction.",
    steps=(
        Send("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]}, label="We read AuthorizeRemoteTxRequests"),
        Send("RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}, ACCEPTED),
        authorize(optional=True, label="The charger may authorize the tag (AuthorizeRemoteTxRequests)"),
        # §4.9 A2 describes Preparing after a remote start without requiring it: a charger
        # may stay Available until the cable comes (OCTT expects Preparing here).
        status("Preparing", optional=True, label="The connector may prepare"),
        plug(),
        started(),
    ),
    criteria=(
        "RemoteStartTransaction is accepted (the connector may prepare).",
        "After plugging in, the transaction starts for the tag and the connector charges.",
    ),
    clauses=("5.11 Remote Start Transaction", "4.8 Start Transaction", "4.9 Status Notification"),
    differs="Preparing before the cable is optional here (§4.9 lists it, no clause requires it); OCTT requires it.",
)
