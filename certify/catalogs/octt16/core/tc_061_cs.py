"""TC_061_CS: ClearCache really empties the authorization cache."""

from certify.judging.steps import Send, Var

from ..case import OcttCase
from ..states import ACCEPTED, AUTHORIZED, authorize, status, swipe

CASE = OcttCase(
    id="TC_061_CS",
    title="Clearing the authorization cache",
    group="core",
    purpose="After ClearCache the charger asks us again for a tag it had cached.",
    needs=("authorization_cache",),
    config={
        "AuthorizationCacheEnabled": "true",
        "LocalPreAuthorize": "true",
        "ConnectionTimeOut": "{connection_timeout}",
    },
    steps=(
        *AUTHORIZED,
        status("Available", within=Var("connection_timeout"), label="Available again when ConnectionTimeOut passes"),
        Send("ClearCache", {}, ACCEPTED),
        swipe(words="the same tag again"),
        authorize(label="The charger asks us again: the tag is no longer cached"),
    ),
    criteria=(
        "ClearCache is accepted.",
        "The tag presented again is sent in an Authorize.req: it was not served from the cache.",
    ),
    clauses=("5.4 Clear Cache", "3.5.1 Authorization Cache", "9.1.2 AuthorizationCacheEnabled"),
    data=("connection_timeout",),
    differs="We let ConnectionTimeOut end the first authorization instead of presenting the tag a second time.",
)
