"""TC_037_3_CS: an offline start with a tag we later call invalid; the transaction stops."""

from certify.judging.steps import Expect, Var

from ..case import OcttCase
from ..states import CONNECTOR, offline, plug, reconnected, stopped, swipe
from .tc_037_1_cs import OFFLINE_CONFIG, OFFLINE_IF_PRESENT

INVALID = Var("invalid_id_tag")

CASE = OcttCase(
    id="TC_037_3_CS",
    title="Offline start with a tag we call invalid: the transaction stops",
    group="core",
    purpose="With StopTransactionOnInvalidId true, a transaction started offline for a tag we answer Invalid stops.",
    needs=("offline_transactions",),
    config={**OFFLINE_CONFIG, "StopTransactionOnInvalidId": "true"},
    config_if_present=OFFLINE_IF_PRESENT,
    steps=(
        offline(),
        swipe(INVALID, "the tag that will be invalid"),
        plug(),
        reconnected(),
        Expect(
            "StartTransaction",
            {"idTag": INVALID},
            match={"connectorId": CONNECTOR},
            ours={"idTagInfo": {"status": "Invalid"}},
            within=Var("reboot_timeout"),
            name="start",
            label="Back online, the charger reports the start; we answer Invalid",
        ),
        stopped("DeAuthorized"),
    ),
    criteria=("After our Invalid answer: StopTransaction with reason DeAuthorized, and Finishing.",),
    clauses=("9.1.24 StopTransactionOnInvalidId", "4.10 Stop Transaction"),
    data=("invalid_id_tag", "offline_seconds"),
    answers={
        "idTagInfo": {"invalid_id_tag": {"status": "Accepted"}},
        "StartTransaction": {"invalid_id_tag": "Invalid"},
    },
)
