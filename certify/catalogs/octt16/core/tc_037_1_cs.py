"""TC_037_1_CS: a transaction started offline with a valid tag."""

from certify.judging.steps import Expect, Var

from ..case import OcttCase
from ..states import CHARGING_STATES, CONNECTOR, TAG, TAG_ACCEPTED, offline, plug, reconnected, status, swipe

OFFLINE_CONFIG = {"LocalAuthorizeOffline": "true"}
OFFLINE_IF_PRESENT = {
    "LocalAuthListEnabled": "true",
    "AuthorizationCacheEnabled": "true",
    "AllowOfflineTxForUnknownId": "true",
}

CASE = OcttCase(
    id="TC_037_1_CS",
    title="Offline start with a valid tag",
    group="core",
    purpose="A transaction started while offline is reported once the charger is back, and we accept it.",
    needs=("offline_transactions",),
    config=OFFLINE_CONFIG,
    config_if_present=OFFLINE_IF_PRESENT,
    steps=(
        offline(),
        swipe(),
        plug(),
        reconnected(),
        Expect(
            "StartTransaction",
            {"idTag": TAG},
            match={"connectorId": CONNECTOR},
            ours=TAG_ACCEPTED,
            within=Var("reboot_timeout"),
            name="start",
            label="Back online, the charger reports the start; we accept it",
        ),
        status(CHARGING_STATES, state=True, label="The connector is charging"),
    ),
    criteria=("The queued StartTransaction arrives after the reconnect and is accepted; the connector charges.",),
    clauses=("3.5 Local Authorization & Offline Behavior", "3.7 Transaction-related messages", "4.8 Start Transaction"),
    data=("offline_seconds",),
    differs="We rely on AllowOfflineTxForUnknownId (where present) rather than first putting the tag in the "
    "cache or local list as OCTT's memory state does.",
)
