"""TC_007_CS: a remote start for a tag the charger has cached."""

from certify.judging.steps import Send

from ..case import OcttCase
from ..states import ACCEPTED, ID_TAG_CACHED, authorize, plug, started, status

CASE = OcttCase(
    id="TC_007_CS",
    title="Remote start with a tag in the authorization cache",
    group="core",
    purpose="A tag the charger has cached starts a transaction on our remote start.",
    needs=("authorization_cache",),
    config={"AuthorizationCacheEnabled": "true", "LocalPreAuthorize": "true"},
    config_if_present={"AuthorizeRemoteTxRequests": "true"},
    steps=(
        *ID_TAG_CACHED,
        plug(),
        status("Preparing"),
        Send("RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}, ACCEPTED),
        authorize(optional=True, label="The charger may still ask us (the tag is cached)"),
        started(),
    ),
    criteria=(
        "The tag is cached by a session it started and stopped.",
        "After plugging in, our RemoteStartTransaction is accepted and the transaction starts for that tag.",
    ),
    clauses=("3.5.1 Authorization Cache", "9.1.13 LocalPreAuthorize", "5.11 Remote Start Transaction"),
    differs="An Authorize.req for the cached tag is accepted: with AuthorizeRemoteTxRequests true the charger "
    "may authorize through the cache and/or us (§5.11).",
)
