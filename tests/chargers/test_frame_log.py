"""The frame log the pages show: one line per frame, newest first, filtered by
action, direction, connector, transaction, id tag, time and free text, secrets
masked, page after page by seq."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict

from chargers import frame_log
from chargers.frame_log import frame_page
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "pw-Zq81-secret-value"


class Log:
    """A charger's frames as the OCPP layer stores them, one second apart."""

    def __init__(self) -> None:
        self.charger = Charger.objects.create(charge_point_id="CP-LOG")
        self.seq = 0

    def add(self, direction: str, message_type: int | None, action: str, raw, uid: str = "", **extra) -> Frame:
        self.seq += 1
        return Frame.objects.create(
            charger=self.charger,
            seq=self.seq,
            ts=T0 + timedelta(seconds=self.seq),
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=uid,
            raw=raw if isinstance(raw, str) else json.dumps(raw),
            **extra,
        )

    def call(self, action: str, payload: dict, answer: dict | None = None, direction: str = "in", **extra) -> None:
        uid = f"u{self.seq + 1}"
        self.add(direction, 2, action, [2, uid, action, payload], uid, **extra)
        if answer is not None:
            self.add("out" if direction == "in" else "in", 3, action, [3, uid, answer], uid)


@pytest.fixture
def log() -> Log:
    log = Log()
    log.call("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "V"}, {"status": "Accepted"})
    log.call("StatusNotification", {"connectorId": 1, "status": "Preparing", "errorCode": "NoError"}, {})
    log.call("StatusNotification", {"connectorId": 10, "status": "Available", "errorCode": "NoError"}, {})
    log.call("Authorize", {"idTag": "CARD-7"}, {"idTagInfo": {"status": "Accepted"}})
    log.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "CARD-7", "meterStart": 0, "timestamp": "2026-03-01T09:00:05Z"},
        {"transactionId": 42, "idTagInfo": {"status": "Accepted"}},
    )
    log.call("MeterValues", {"connectorId": 1, "transactionId": 42, "meterValue": []}, {})
    log.call(
        "GetDiagnostics",
        {"location": f"ftp://s1:{SECRET}@127.0.0.1:2121/"},
        {"fileName": "diag.log"},
        direction="out",
        sent_by="user:ada case:13",
    )
    log.call("StopTransaction", {"transactionId": 420, "meterStop": 5, "timestamp": "2026-03-01T09:00:09Z"}, {})
    log.add("event", None, "", {"event": "disconnected", "code": 1006}, note="socket closed")
    return log


def page(log: Log, secrets=(SECRET,), **params) -> dict:
    return frame_page(Frame.objects.filter(charger=log.charger), QueryDict(mutable=True) | params, secrets)


def seqs(found: dict) -> list[int]:
    return [frame.seq for frame in found["frames"]]


def actions(found: dict) -> list[str]:
    return [frame.line["action"] for frame in found["frames"]]


def test_the_log_is_newest_first(log):
    assert seqs(page(log)) == list(range(log.seq, 0, -1))


def test_each_frame_is_one_line_as_the_report_prints_it(log):
    line = next(f.line for f in page(log)["frames"] if f.action == "StartTransaction" and f.message_type == 2)
    assert (line["direction"], line["action"], line["time"]) == ("CP→CS", "StartTransaction", "09:00:09.000")
    assert line["fields"] == "connectorId=1, idTag=CARD-7, meterStart=0"


def test_a_frames_whole_text_is_there_to_open(log):
    frame = page(log)["frames"][-1]
    assert json.loads(frame.pretty)[2] == "BootNotification"


def test_the_action_filter_keeps_a_call_and_its_answer(log):
    assert actions(page(log, action="Authorize")) == ["Authorize result", "Authorize"]


def test_the_direction_filter_keeps_one_direction(log):
    assert {f.direction for f in page(log, direction="event")["frames"]} == {"event"}


def test_the_connector_filter_reads_the_payload_not_the_text(log):
    """connectorId 10 contains the text of connectorId 1, and is not connector 1."""
    found = page(log, connector="1")
    calls = [f.line["fields"] for f in found["frames"] if f.message_type == 2]
    assert all("connectorId=1," in fields for fields in calls), calls
    assert not any("connectorId=10" in fields for fields in calls)


def test_the_connector_filter_shows_each_frames_answer_beside_it(log):
    found = page(log, connector="1")
    assert actions(found).count("StatusNotification result") == 1


def test_the_transaction_filter_finds_its_start_by_the_answer_that_named_it(log):
    found = page(log, transaction="42")
    assert actions(found) == ["MeterValues result", "MeterValues", "StartTransaction result", "StartTransaction"]


def test_the_transaction_filter_does_not_take_420_for_42(log):
    assert "StopTransaction" not in actions(page(log, transaction="42"))


def test_the_id_tag_filter_finds_the_cards_frames(log):
    found = page(log, id_tag="CARD-7")
    assert [a for a in actions(found) if not a.endswith("result")] == ["StartTransaction", "Authorize"]


def test_the_time_filter_keeps_the_window(log):
    found = page(log, since="2026-03-01T09:00:03", until="2026-03-01T09:00:05")
    assert seqs(found) == [5, 4, 3]


def test_free_text_finds_a_note(log):
    assert seqs(page(log, q="SOCKET CLOSED")) == [log.seq]


def test_free_text_finds_the_sender(log):
    assert actions(page(log, q="ada")) == ["GetDiagnostics"]


def test_free_text_never_finds_a_secret(log):
    assert page(log, q=SECRET[:12])["frames"] == []


def test_the_secret_is_masked_in_the_line_and_the_whole_frame(log):
    frame = next(f for f in page(log)["frames"] if f.action == "GetDiagnostics" and f.message_type == 2)
    assert SECRET not in frame.line["fields"] + frame.pretty
    assert "ftp://s1:***@127.0.0.1:2121/" in frame.line["fields"]


def test_an_invalid_filter_is_said_beside_its_field_and_not_applied(log):
    found = page(log, connector="one")
    assert found["filters"].errors["connector"]
    assert seqs(found) == list(range(log.seq, 0, -1))


def test_a_page_ends_where_the_next_begins():
    log = Log()
    for n in range(frame_log.PER_PAGE + 5):
        log.add("in", 2, "Heartbeat", [2, f"h{n}", "Heartbeat", {}], f"h{n}")
    first = page(log)
    assert len(first["frames"]) == frame_log.PER_PAGE
    second = page(log, before=str(first["next_before"]))
    assert seqs(second) == [5, 4, 3, 2, 1]
    assert second["next_before"] is None


def test_a_payload_filter_reads_at_most_the_scan_limit_and_says_how_far_it_looked(monkeypatch):
    log = Log()
    monkeypatch.setattr(frame_log, "SCAN_LIMIT", 40)
    monkeypatch.setattr(frame_log, "CHUNK", 20)
    log.call("StatusNotification", {"connectorId": 2, "status": "Available", "errorCode": "NoError"})
    for _ in range(60):  # connector 20: the text matches, the payload does not
        log.call("StatusNotification", {"connectorId": 20, "status": "Available", "errorCode": "NoError"})
    found = page(log, connector="2")
    assert found["frames"] == []
    assert found["searched_to"] == log.seq - 39
    assert seqs(page(log, connector="2", before=str(found["searched_to"])))[-1] == 1


def test_a_filtered_page_looks_through_at_most_scan_frames_and_offers_the_older(monkeypatch):
    log = Log()
    monkeypatch.setattr(frame_log, "SCAN_FRAMES", 30)
    log.add("event", None, "", {"event": "connected"}, note="first contact")
    for n in range(59):
        log.add("in", 2, "Heartbeat", [2, f"h{n}", "Heartbeat", {}], f"h{n}")
    found = page(log, q="first contact")
    assert (found["frames"], found["searched_to"]) == ([], log.seq + 1 - 30)
    assert seqs(page(log, q="first contact", before=str(found["searched_to"]))) == [1]


def test_a_time_window_far_back_is_found_at_once(monkeypatch):
    """The window's seqs are found by bisection on the time: no paging back to it."""
    log = Log()
    monkeypatch.setattr(frame_log, "SCAN_FRAMES", 10)
    for n in range(100):
        log.add("in", 2, "Heartbeat", [2, f"h{n}", "Heartbeat", {}], f"h{n}")
    found = page(log, since="2026-03-01T09:00:05", until="2026-03-01T09:00:07")
    assert (seqs(found), found["next_before"]) == ([7, 6, 5], None)
