"""TC_037_2_CS: an offline start with a tag we later call invalid; the transaction stays."""

from certify.judging.steps import Absent, Expect, Var

from ..case import OcttCase
from ..states import CONNECTOR, offline, plug, reconnected, status, swipe
from .tc_037_1_cs import OFFLINE_CONFIG, OFFLINE_IF_PRESENT

INVALID = Var("invalid_id_tag")

CASE = OcttCase(
    id="TC_037_2_CS",
    title="Offline start with a tag we call invalid: charging suspended, transaction kept",
    group="core",
    purpose="With StopTransactionOnInvalidId false, a transaction started offline for a tag we answer Invalid goes "
    "on without energy (SuspendedEVSE).",
    needs=("offline_transactions",),
    config={**OFFLINE_CONFIG, "StopTransactionOnInvalidId": "false"},
    config_if_present={**OFFLINE_IF_PRESENT, "MaxEnergyOnInvalidId": "0"},
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
        status("SuspendedEVSE", label="The charger suspends the energy"),
        Absent("StopTransaction", within=Var("transaction_duration"), label="The transaction is kept"),
    ),
    criteria=("After our Invalid answer the connector reports SuspendedEVSE and the transaction is not stopped.",),
    clauses=("9.1.24 StopTransactionOnInvalidId", "9.1.14 MaxEnergyOnInvalidId", "3.7 Transaction-related messages"),
    data=("invalid_id_tag", "offline_seconds", "transaction_duration"),
    answers={
        "idTagInfo": {"invalid_id_tag": {"status": "Accepted"}},
        "StartTransaction": {"invalid_id_tag": "Invalid"},
    },
)
