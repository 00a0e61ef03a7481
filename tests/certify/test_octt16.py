"""The OCTT 1.6 catalogue as data: every case of the 2024-04 document by id, in
its group, with what a lab reads; the declaration decides which apply; a case's
steps judge a log the way the document reads. No database, no sockets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certify.catalogs.octt16 import BY_ID, CASES, GROUPS, in_groups
from certify.catalogs.octt16 import TEST_DATA as TEST_DATA_DEFAULTS
from certify.catalogs.octt16.answers import scripted
from certify.catalogs.octt16.case import Declaration
from certify.catalogs.octt16.judge import case_data, fill, judge_case, steps_of
from certify.judging.steps import Send, expand
from certify.judging.verdict import FAILED, INCONCLUSIVE, NOT_APPLICABLE, NOT_SUPPORTED, PASSED
from chargers.frames.reader import Log

from .test_sequence import Frames

REFERENCE = Path("/work/shared/reference/octt16-core.json")
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_case_ids_are_unique_and_in_catalogue_form() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("TC_") and i.endswith("_CS") for i in ids)


def test_the_catalogue_holds_the_102_cases_of_the_2024_04_document_by_profile() -> None:
    sizes = {group: len(in_groups([group])) for group in GROUPS}
    assert sizes == {
        "core": 48,
        "local-auth-list": 7,
        "firmware": 3,
        "diagnostics": 2,
        "reservation": 15,
        "remote-trigger": 2,
        "smart-charging": 10,
        "security": 15,
    }
    assert len(CASES) == 102


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is not on this machine")
def test_core_holds_the_48_cases_of_the_2024_04_document_in_its_order() -> None:
    reference = [entry["id"] for entry in json.loads(REFERENCE.read_text())]
    assert [case.id for case in in_groups(["core"])] == reference


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_case_says_what_a_lab_reads(case) -> None:
    assert case.title and case.purpose and case.criteria and case.clauses and case.steps
    assert case.group in GROUPS
    spec = ("Security white paper",) if case.group == "security" else ("OCPP-J",)
    assert all(clause[0].isdigit() or clause.startswith(spec) for clause in case.clauses), case.clauses


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_case_expands_with_the_default_test_data(case) -> None:
    steps = expand(steps_of(case), case_data(Declaration(connectors=2)))
    assert steps
    for step in steps:
        if isinstance(step, Send):  # what we send is filled from the test data, nothing left over
            filled = json.dumps(fill(dict(step.payload), case_data(Declaration())))
            for server in (
                "transaction_id",
                "other_transaction_id",
                "firmware_url",
                "diagnostics_url",
                "diagnostics_http_url",
                "diagnostics_auto_url",
            ):
                filled = filled.replace("{" + server + "}", "")
            assert '"{' not in filled, (case.id, filled)


@pytest.mark.parametrize(
    ("case", "declaration", "status"),
    [
        ("TC_017_1_CS", Declaration(fixed_cable=True), NOT_APPLICABLE),
        ("TC_017_2_CS", Declaration(fixed_cable=False), NOT_APPLICABLE),
        ("TC_017_2_CS", Declaration(fixed_cable=True), None),
        ("TC_007_CS", Declaration(authorization_cache=False), NOT_APPLICABLE),
        ("TC_032_1_CS", Declaration(backup_power=False), NOT_APPLICABLE),
        ("TC_003_CS", Declaration(profiles=frozenset({"Core"})), None),
        ("TC_054_CS", Declaration(profiles=frozenset({"Core"})), NOT_SUPPORTED),
        # Cases written for chargers without a profile (§3.3): they apply exactly then.
        ("TC_043_1_CS", Declaration(profiles=frozenset({"Core"})), None),
        ("TC_043_1_CS", Declaration(), NOT_APPLICABLE),
        ("TC_042_1_CS", Declaration(profiles=frozenset({"Core"})), None),
        ("TC_049_CS", Declaration(reserve_connector_zero=False), NOT_APPLICABLE),
        # A charger on plain ws lacks the security white paper: Not supported, not a verdict on it.
        ("TC_085_CS", Declaration(security_profile=0), NOT_SUPPORTED),
        ("TC_080_CS", Declaration(security_profile=1), NOT_SUPPORTED),
        ("TC_080_CS", Declaration(security_profile=1, security_extension=True), None),
        ("TC_084_CS", Declaration(security_profile=1), NOT_APPLICABLE),
        ("TC_084_CS", Declaration(security_profile=2), None),
    ],
)
def test_the_declaration_decides_which_cases_apply(case, declaration, status) -> None:
    ruled = BY_ID[case].ruled_out(declaration)
    assert (ruled[0] if ruled else None) == status


def test_a_profile_the_charger_lacks_is_not_supported() -> None:
    core_only = Declaration(profiles=frozenset({"Core"}))
    outcome = judge_case(BY_ID["TC_003_CS"], [], now=T0, declaration=core_only)
    assert outcome.status != NOT_SUPPORTED
    assert judge_case(BY_ID["TC_054_CS"], [], now=T0, declaration=core_only).status == NOT_SUPPORTED


def test_the_declaration_is_prefilled_from_the_configuration() -> None:
    declaration = Declaration.from_configuration(
        {
            "SupportedFeatureProfiles": "Core,RemoteTrigger",
            "NumberOfConnectors": "2",
            "ReserveConnectorZeroSupported": "true",
        }
    )
    assert declaration.profiles == {"Core", "RemoteTrigger"}
    assert declaration.connectors == 2
    assert declaration.reserve_connector_zero
    assert not declaration.authorization_cache  # no AuthorizationCacheEnabled key
    assert Declaration.from_dict(declaration.to_dict()) == declaration


def judged(case_id: str, frames: Frames, **data):
    return judge_case(
        BY_ID[case_id],
        list(Log(frames.frames)),
        now=frames.t + timedelta(seconds=1),
        declaration=Declaration(),
        data={"id_tag": "T1", **data},
        start=T0,
    )


def test_tc_003_passes_on_the_documents_sequence() -> None:
    f = (
        Frames()
        .at(1)
        .status(1, "Preparing")
        .at(5)
        .charger("Authorize", {"idTag": "T1"}, {"idTagInfo": {"status": "Accepted"}})
    )
    outcome = judged("TC_003_CS", f.at(6).start().at(7).status(1, "Charging"))
    assert outcome.status == PASSED, outcome.reason


def test_tc_040_1_fails_when_an_unknown_key_is_accepted() -> None:
    f = Frames().us("ChangeConfiguration", {"key": "Testing", "value": "true"}, {"status": "Accepted"})
    outcome = judged("TC_040_1_CS", f)
    assert outcome.status == FAILED
    assert outcome.expected == "ChangeConfiguration answered status NotSupported"


def test_a_configuration_state_the_charger_refuses_leaves_the_case_inconclusive() -> None:
    f = Frames().us("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "10"}, {"status": "Rejected"})
    assert judged("TC_004_1_CS", f).status == INCONCLUSIVE


def test_tc_012_waits_to_stop_the_transaction_it_started() -> None:
    f = Frames().us("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]}, {"configurationKey": []})
    f.at(2).status(1, "Preparing").at(3).us(
        "RemoteStartTransaction", {"connectorId": 1, "idTag": "T1"}, {"status": "Accepted"}
    )
    outcome = judged("TC_012_CS", f.at(4).start(tx=41).at(5).status(1, "Charging"))
    assert outcome.waiting["for"] == "we send RemoteStopTransaction"
    assert fill({"transactionId": "{transaction_id}"}, {}, outcome.named) == {"transactionId": 41}


# -- our scripted answers ---------------------------------------------------------------------

DATA = {**TEST_DATA_DEFAULTS, "id_tag": "T1", "id_tag_2": "T2", "invalid_id_tag": "BAD", "parent_id_tag": "P"}


@pytest.mark.parametrize(
    ("case", "action", "payload", "boots", "answer"),
    [
        # TC_001 (§4.2): refused first, with the interval to wait; then accepted with the heartbeat interval.
        ("TC_001_CS", "BootNotification", {}, 0, {"status": "Rejected", "interval": 10}),
        ("TC_001_CS", "BootNotification", {}, 1, {"status": "Accepted", "interval": 20}),
        # TC_002 (§4.2): Pending first.
        ("TC_002_CS", "BootNotification", {}, 0, {"status": "Pending", "interval": 15}),
        # Between cases or in a case that scripts no boot: Accepted with the heartbeat interval.
        (None, "BootNotification", {}, 3, {"status": "Accepted", "interval": 20}),
        # The configured tags (§4.1): valid ones Accepted, the invalid one Invalid.
        ("TC_003_CS", "Authorize", {"idTag": "T1"}, 0, {"idTagInfo": {"status": "Accepted"}}),
        ("TC_023_CS", "Authorize", {"idTag": "BAD"}, 0, {"idTagInfo": {"status": "Invalid"}}),
        # A tag the test data does not name: the lab's list decides.
        ("TC_003_CS", "Authorize", {"idTag": "SOMEONE"}, 0, None),
        # TC_069 (§4.10): both tags of one group carry its parentIdTag.
        ("TC_069_CS", "Authorize", {"idTag": "T2"}, 0, {"idTagInfo": {"status": "Accepted", "parentIdTag": "P"}}),
        # TC_037_2 (§9.1.24): accepted offline, called Invalid in the StartTransaction answer.
        ("TC_037_2_CS", "StartTransaction", {"idTag": "BAD"}, 0, {"idTagInfo": {"status": "Invalid"}}),
        ("TC_037_2_CS", "Authorize", {"idTag": "BAD"}, 0, {"idTagInfo": {"status": "Accepted"}}),
        # Actions whose answer no case decides.
        ("TC_003_CS", "StatusNotification", {"connectorId": 1}, 0, None),
    ],
)
def test_scripted_answers(case, action, payload, boots, answer) -> None:
    assert scripted(BY_ID[case] if case else None, DATA, action, payload, boots) == answer


def test_a_configuration_value_is_sent_as_text() -> None:
    payload = {"key": "MeterValueSampleInterval", "value": "{meter_value_interval}"}
    assert fill(payload, {"meter_value_interval": 10}) == {"key": "MeterValueSampleInterval", "value": "10"}


def test_the_command_line_declaration_and_test_data_read_as_values() -> None:
    from certify.management.commands.certify import pairs

    assert pairs("fixed_cable=true, security_profile=2,id_tag_2=CARD-2") == {
        "fixed_cable": True,
        "security_profile": 2,
        "id_tag_2": "CARD-2",
    }
    assert Declaration.from_dict(pairs("fixed_cable=true")).fixed_cable
