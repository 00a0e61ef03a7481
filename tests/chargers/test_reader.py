"""The one reader of the evidence log: stored frames parsed once, each CALL linked
to its answer (OCPP-J §4: an answer carries its CALL's unique id and travels the
other way), indexed by action, connector and seq, read alike from Frame rows,
`.values()` dicts, the API's frame dicts and JSON Lines lines."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from chargers.frames import FrameRecord, store_frames
from chargers.frames.reader import Log, parse_time
from chargers.models import ApiToken, Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "V22"}
STATUS = {"connectorId": 1, "status": "Preparing", "errorCode": "NoError"}


def frame(direction, body, message_type=None, action="", uid="", sent_by="") -> FrameRecord:
    raw = body if isinstance(body, str) else json.dumps(body)
    return FrameRecord(direction, raw, message_type, action, uid, sent_by=sent_by)


# A boot and its answer, a status, our ClearCache answered with a CALLERROR, a
# connection event, a malformed frame, a CALLRESULT that answers nothing, and a
# CALL from the charger that is still unanswered.
SCRIPT = [
    frame("in", [2, "b1", "BootNotification", BOOT], 2, "BootNotification", "b1"),
    frame("out", [3, "b1", {"status": "Accepted", "interval": 60}], 3, "BootNotification", "b1"),
    frame("in", [2, "s1", "StatusNotification", STATUS], 2, "StatusNotification", "s1"),
    frame("out", [3, "s1", {}], 3, "StatusNotification", "s1"),
    frame("out", [2, "u1", "ClearCache", {}], 2, "ClearCache", "u1", sent_by="user:ada case:17"),
    frame("in", [4, "u1", "NotImplemented", "no cache", {}], 4, "ClearCache", "u1"),
    frame("event", {"event": "disconnected", "code": 1006}),
    frame("in", "[2, oops", None),
    frame("in", [3, "nobody", {}], 3, "", "nobody"),
    frame("in", [2, "s2", "StatusNotification", {**STATUS, "status": "Charging"}], 2, "StatusNotification", "s2"),
]


@pytest.fixture
def stored() -> Charger:
    charger = Charger.objects.create(charge_point_id="CP-READ")
    asyncio.run(store_frames(charger.pk, SCRIPT))
    return charger


def api_frames(charger: Charger) -> list[dict]:
    user = User.objects.create_user("reader-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    token = ApiToken.issue(user)[1]
    response = Client().get(f"/api/chargers/{charger.charge_point_id}/frames", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return response.json()


def json_lines(charger: Charger) -> list[str]:
    """The export's shape: ts as UTC text with Z; a line may carry only ts, direction and raw."""
    return [
        json.dumps({"ts": f.ts.isoformat().replace("+00:00", "Z"), "direction": f.direction, "raw": f.raw})
        for f in Frame.objects.filter(charger=charger).order_by("seq")
    ]


SOURCES = {
    "Frame rows": lambda c: Log(Frame.objects.filter(charger=c).order_by("seq")),
    ".values() dicts": lambda c: Log(Frame.objects.filter(charger=c).order_by("seq").values()),
    "API frame dicts": lambda c: Log(api_frames(c)),
    "JSON Lines": lambda c: Log.from_lines(json_lines(c)),
}


def summary(log: Log) -> list[tuple]:
    return [
        (r.seq, r.direction, r.message_type, r.action, r.unique_id, r.payload, r.event, r.answer and r.answer.seq)
        for r in log
    ]


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_reads_as_the_same_log(stored, source):
    assert summary(SOURCES[source](stored)) == [
        (1, "in", 2, "BootNotification", "b1", BOOT, "", 2),
        (2, "out", 3, "BootNotification", "b1", {"status": "Accepted", "interval": 60}, "", None),
        (3, "in", 2, "StatusNotification", "s1", STATUS, "", 4),
        (4, "out", 3, "StatusNotification", "s1", {}, "", None),
        (5, "out", 2, "ClearCache", "u1", {}, "", 6),
        (6, "in", 4, "ClearCache", "u1", {"errorCode": "NotImplemented", "errorDescription": "no cache", "errorDetails": {}}, "", None),
        (7, "event", None, "", "", {"event": "disconnected", "code": 1006}, "disconnected", None),
        (8, "in", None, "", "", None, "", None),
        (9, "in", 3, "", "nobody", {}, "", None),
        (10, "in", 2, "StatusNotification", "s2", {**STATUS, "status": "Charging"}, "", None),
    ]  # fmt: skip


def test_rows_keep_their_primary_key_and_dicts_without_one_use_the_seq(stored):
    rows = Log(Frame.objects.filter(charger=stored).order_by("seq"))
    pks = list(Frame.objects.filter(charger=stored).order_by("seq").values_list("pk", flat=True))
    assert [r.id for r in rows] == pks
    assert [r.id for r in Log(api_frames(stored))] == list(range(1, 11))


def test_an_answer_knows_its_call_and_the_call_its_status(stored):
    log = Log(Frame.objects.filter(charger=stored).order_by("seq"))
    boot, clear = log.calls("BootNotification")[0], log.calls("ClearCache")[0]
    assert (boot.ok, boot.answer_status(), boot.answer.call is boot) == (True, "Accepted", True)
    assert (clear.ok, clear.answer_status()) == (False, "NotImplemented")
    assert log.pending() == [log.by_seq[10]]


def test_an_answer_going_the_same_way_as_a_call_is_not_its_answer():
    # OCPP-J §4.1.3: the unique id is unique per sender; our u1 and the charger's u1 are different calls.
    log = Log.from_lines(
        json.dumps({"seq": n, "ts": "2026-01-01T12:00:00Z", "direction": d, "raw": json.dumps(raw)})
        for n, (d, raw) in enumerate(
            [("in", [2, "u1", "Heartbeat", {}]), ("in", [3, "u1", {}]), ("out", [3, "u1", {"currentTime": "x"}])], 1
        )
    )
    heartbeat = log.calls("Heartbeat", "in")[0]
    assert heartbeat.answer.seq == 3
    assert log.by_seq[2].call is None


def test_indexes_by_action_direction_seq_and_connector(stored):
    log = Log(Frame.objects.filter(charger=stored).order_by("seq"))
    assert [r.seq for r in log.calls("StatusNotification", "in")] == [3, 10]
    assert [r.seq for r in log.calls("StatusNotification", "in", lo=3)] == [10]
    assert [r.seq for r in log.calls("StatusNotification", "in", hi=9)] == [3]
    assert log.calls("ClearCache", "in") == []
    assert [r.get("status") for r in log.of_connector(1, "StatusNotification")] == ["Preparing", "Charging"]
    assert [r.seq for r in log.window(4, 6)] == [5, 6]
    assert [e.event for e in log.events_between()] == ["disconnected"]
    assert log.before(7, lambda r: r.direction == "in").seq == 6
    assert log.connected() is False


def test_extending_takes_newer_frames_only(stored):
    rows = Frame.objects.filter(charger=stored).order_by("seq")
    log = Log(rows[:4])
    assert [r.seq for r in log.extend(rows)] == list(range(5, 11))
    assert log.extend(rows) == []
    assert (len(log), log.last_seq) == (10, 10)


def test_an_answer_stored_after_a_later_extend_still_links():
    lines = [
        {"seq": 1, "ts": "2026-01-01T12:00:00Z", "direction": "out", "raw": '[2,"r1","Reset",{"type":"Soft"}]'},
        {"seq": 2, "ts": "2026-01-01T12:00:01Z", "direction": "in", "raw": '[3,"r1",{"status":"Accepted"}]'},
    ]
    log = Log(lines[:1])
    assert log.calls("Reset", "out")[0].answer is None
    log.extend(lines[1:])
    reset = log.calls("Reset", "out")[0]
    assert (reset.answer_status(), log.by_seq[2].action) == ("Accepted", "Reset")


def test_times_read_as_utc():
    assert parse_time("2026-01-01T13:00:00+01:00") == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert parse_time("2026-01-01T12:00:00") == datetime(2026, 1, 1, 12, tzinfo=UTC)  # no zone: read as UTC
    assert parse_time("yesterday") is None
