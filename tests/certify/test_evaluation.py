"""How verdicts come about across attempts, on the real database: a failure
rests only on an attempt of the item's own, a pass may come from anywhere and
says where, optional profiles are Not supported, and every change is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from certify import attempts, sessions
from certify.evaluation import evaluate_session
from certify.models import ItemResult
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Frames:
    """Writes a charger's frames as the OCPP layer would, seq after seq."""

    def __init__(self, charger: Charger) -> None:
        self.charger = charger
        self.seq = Frame.objects.filter(charger=charger).count()
        self.t = 0.0

    def _add(self, direction, message_type, action, uid, body, sent_by=""):
        self.seq += 1
        self.t += 0.1
        Frame.objects.create(
            charger=self.charger,
            seq=self.seq,
            ts=T0 + timedelta(seconds=self.t),
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=uid,
            raw=json.dumps(body),
            sent_by=sent_by,
        )

    def us(self, action, payload, answer=None, error=None, sent_by="user:ada"):
        uid = f"u{self.seq}"
        self._add("out", 2, action, uid, [2, uid, action, payload], sent_by)
        if error:
            self._add("in", 4, action, uid, [4, uid, error, "", {}])
        else:
            self._add("in", 3, action, uid, [3, uid, answer or {}])


@pytest.fixture
def session():
    Charger.objects.create(charge_point_id="CP-EVAL", vendor="Acme", model="V1", firmware_version="1.0")
    return sessions.create_session("CP-EVAL")


def result(session, key: str) -> ItemResult:
    return ItemResult.objects.get(session=session, case=key)


def test_wrong_behaviour_outside_an_attempt_is_a_warning_not_a_failure(session):
    log = Frames(session.charger)
    log.us("GetConfiguration", {}, {"configurationKey": []}, sent_by="user:ada")  # from the charger page
    evaluate_session(session)
    item = result(session, "4")
    assert item.auto_verdict == "open"
    assert [w["reason"] for w in item.warnings] == [
        "GetConfiguration without keys was answered with no keys: §5.8 asks for all of them"
    ]


@pytest.mark.parametrize("tag", ["case:4", "item:4"])  # item:N: the tag of logs written before case keys
def test_the_same_behaviour_inside_the_items_attempt_fails_it(session, tag):
    attempts.start_attempt(session, "4", "user:ada")
    Frames(session.charger).us("GetConfiguration", {}, {"configurationKey": []}, sent_by=f"user:ada {tag}")
    evaluate_session(session)
    item = result(session, "4")
    assert (item.auto_verdict, item.clause) == ("failed", "§5.8 Get Configuration")
    assert item.attempts_list()[0].verdict == "failed"


def test_a_pass_seen_during_another_item_says_where_it_came_from(session):
    log = Frames(session.charger)
    log.us(
        "ChangeConfiguration",
        {"key": "HeartbeatInterval", "value": "60"},
        {"status": "Accepted"},
        sent_by="user:ada case:2",
    )
    log.us(
        "GetConfiguration",
        {"key": ["HeartbeatInterval"]},
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]},
        sent_by="user:ada case:2",
    )
    evaluate_session(session)
    item = result(session, "5")
    assert item.auto_verdict == "passed"
    assert item.source == "from item 2's ChangeConfiguration at 12:00:00"


def test_a_retry_after_a_failure_passes_and_keeps_the_first_attempt(session):
    attempts.start_attempt(session, "4", "user:ada")
    log = Frames(session.charger)
    log.us("GetConfiguration", {}, {"configurationKey": []}, sent_by="user:ada case:4")
    evaluate_session(session)
    attempts.start_attempt(session, "4", "user:ada")
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
    log.us("GetConfiguration", {}, {"configurationKey": keys}, sent_by="user:ada case:4")
    evaluate_session(session)
    item = result(session, "4")
    assert item.auto_verdict == "passed"
    assert item.attempt_summary().startswith("passed on attempt 2; attempt 1 failed: GetConfiguration without keys")
    assert [(h["from"], h["to"]) for h in item.history] == [("open", "failed"), ("failed", "passed")]


def test_an_items_steps_are_those_of_the_attempt_that_gave_its_verdict(session):
    attempts.start_attempt(session, "4", "user:ada")
    log = Frames(session.charger)
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
    log.us("GetConfiguration", {}, {"configurationKey": keys}, sent_by="user:ada case:4")
    evaluate_session(session)
    log.us("GetConfiguration", {}, {"configurationKey": keys * 2}, sent_by="user:ada")  # later, from the charger page
    evaluate_session(session)
    item = result(session, "4")
    assert item.remark == "Configuration (1)"
    assert {s["frame"] for s in item.steps if s["frame"]} <= set(item.evidence)


def test_a_profile_the_charger_lacks_is_not_supported_and_our_own_trigger_does_not_fail_it(session):
    log = Frames(session.charger)
    core = [{"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core"}]
    log.us("GetConfiguration", {}, {"configurationKey": core}, sent_by="certify:preflight")
    session.options = {**session.options, "not_supported": {"18": "SupportedFeatureProfiles lacks RemoteTrigger"}}
    session.save()
    log.us(
        "TriggerMessage",
        {"requestedMessage": "StatusNotification"},
        error="NotImplemented",
        sent_by="certify:auto case:18",
    )
    evaluate_session(session)
    item = result(session, "18")
    assert (item.auto_verdict, item.remark) == ("not_supported", "Not supported by Acme")


def test_an_abandoned_attempt_has_no_verdict_and_leaves_the_item_open(session):
    attempts.start_attempt(session, "9", "user:ada")
    attempts.abandon_attempt(session, "9", "user:ada")
    evaluate_session(session)
    [attempt] = result(session, "9").attempts_list()
    assert (attempt.verdict, result(session, "9").auto_verdict) == ("abandoned", "open")


def test_a_runs_notes_join_the_remark_once_the_item_has_a_verdict(session):
    ItemResult.objects.filter(session=session, case="4").update(notes=["card accepted offline from the local list"])
    evaluate_session(session)
    assert result(session, "4").remark == ""  # open: nothing to qualify yet
    attempts.start_attempt(session, "4", "certify:headless")
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
    Frames(session.charger).us("GetConfiguration", {}, {"configurationKey": keys}, sent_by="certify:headless case:4")
    evaluate_session(session)
    assert result(session, "4").remark == "Configuration (1); card accepted offline from the local list"


def test_the_labs_reboot_timeout_is_the_rules_and_a_sessions_option_overrides_it(session, settings):
    from certify.evaluation import session_scope

    settings.CERTIFY_REBOOT_TIMEOUT = 1200.0
    assert session_scope(session).opt("reboot_timeout") == 1200.0
    session.options = {**session.options, "reboot_timeout": 30}
    assert session_scope(session).opt("reboot_timeout") == 30
