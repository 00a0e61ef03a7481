"""TC_004_2_CS: tag first, no cable: the charger gives up after ConnectionTimeOut."""

from certify.judging.steps import Absent, Var

from ..case import OcttCase
from ..states import AUTHORIZED, status

CASE = OcttCase(
    id="TC_004_2_CS",
    title="Tag presented but no cable: back to Available after ConnectionTimeOut",
    group="core",
    purpose="When nobody plugs in after an authorization, the charger cancels it once ConnectionTimeOut has passed.",
    config={"ConnectionTimeOut": "{connection_timeout}"},
    steps=(
        *AUTHORIZED,
        Absent("StartTransaction", label="No transaction starts"),
        status(
            "Available",
            after=Var("connection_timeout"),
            within=Var("connection_timeout"),
            label="Available again once ConnectionTimeOut has passed",
        ),
    ),
    criteria=(
        "No StartTransaction.",
        "StatusNotification Available when ConnectionTimeOut has passed (not long before, not long after).",
    ),
    clauses=("9.1.6 ConnectionTimeOut", "4.9 Status Notification"),
    data=("connection_timeout",),
)
