"""TC_008_CS: a remote start for a tag in the local list."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, authorize, plug, started, status
from ._lists import send_list

CASE = OcttCase(
    id="TC_008_CS",
    title="Start with a tag from the local authorization list",
    group="local-auth-list",
    purpose="A tag in the local list starts a transaction on our remote start.",
    config={"LocalPreAuthorize": "true", "LocalAuthListEnabled": "true"},
    config_if_present={"AuthorizationCacheEnabled": "false", "AuthorizeRemoteTxRequests": "true"},
    steps=(
        Send("GetLocalListVersion", {}, label="We read the list's version"),
        send_list(1, "Full", ("id_tag",)),
        plug(),
        status("Preparing"),
        Send("RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}, ACCEPTED),
        authorize(optional=True, label="The charger may still ask us (the tag is in its list)"),
        started(),
    ),
    criteria=(
        "SendLocalList accepted; RemoteStartTransaction accepted; the transaction starts; the connector charges.",
    ),
    clauses=("3.5.2 Local Authorization List", "5.15 Send Local List", "5.11 Remote Start Transaction"),
)
