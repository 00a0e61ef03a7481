"""TC_003_CS: a session started at the charger, cable first."""

from ..case import OcttCase
from ..states import authorize, plug, started, status, swipe

CASE = OcttCase(
    id="TC_003_CS",
    title="Charging at the charger: cable first, then the tag",
    group="core",
    purpose="The charger reports the plug-in, has the presented tag authorized by us and starts a transaction.",
    steps=(plug(), status("Preparing"), swipe(), authorize(), started()),
    criteria=(
        "Plugging in gives StatusNotification Preparing.",
        "The presented tag is sent in an Authorize.req (we accept it).",
        "A StartTransaction for that tag on that connector, and the connector charging, in either order.",
    ),
    clauses=("4.9 Status Notification", "4.1 Authorize", "4.8 Start Transaction"),
    differs="SuspendedEV and SuspendedEVSE count as charging (§4.9): an EV that does not draw energy at once "
    "does not fail the case.",
)
