"""TC_010_CS: a remote start with the cable plugged in first."""

from ..case import OcttCase
from ..states import CHARGING

CASE = OcttCase(
    id="TC_010_CS",
    title="Remote start, cable plugged in first",
    group="core",
    purpose="With the EV plugged in, our RemoteStartTransaction starts a transaction on the connector for the tag.",
    steps=CHARGING,
    criteria=(
        "Plugging in gives Preparing; RemoteStartTransaction is accepted.",
        "StartTransaction carries the connector and the tag we asked for; the connector charges.",
    ),
    clauses=("5.11 Remote Start Transaction", "9.1.3 AuthorizeRemoteTxRequests", "4.8 Start Transaction"),
)
