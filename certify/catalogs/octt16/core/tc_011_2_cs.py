"""TC_011_2_CS: a remote start nobody plugs in for."""

from certify.judging.steps import Absent, Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, authorize, status

CASE = OcttCase(
    id="TC_011_2_CS",
    title="Remote start without a cable: back to Available after ConnectionTimeOut",
    group="core",
    purpose="A remote start that nobody plugs in for is cancelled once ConnectionTimeOut has passed.",
    config={"ConnectionTimeOut": "{connection_timeout}"},
    steps=(
        Send("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]}, label="We read AuthorizeRemoteTxRequests"),
        Send("RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}, ACCEPTED),
        authorize(optional=True, label="The charger may authorize the tag (AuthorizeRemoteTxRequests)"),
        status("Preparing"),
        Absent("StartTransaction", label="No transaction starts"),
        status(
            "Available",
            after=Var("connection_timeout"),
            within=Var("connection_timeout"),
            label="Available again once ConnectionTimeOut has passed",
        ),
    ),
    criteria=(
        "RemoteStartTransaction is accepted and the connector prepares.",
        "No StartTransaction; Available when ConnectionTimeOut has passed.",
    ),
    clauses=("5.11 Remote Start Transaction", "9.1.6 ConnectionTimeOut"),
    data=("connection_timeout",),
)
