"""Where protocol findings show (issue 22, point 2): the session's and the charger's
pages (counts, filters in the URL, frames linked), the API with `since`, the
signed session keeping what its report printed, the outcome line, `judge
--findings`, the JUnit file's "findings" suite and the JSON result. On the real
database, views and commands, over a log that holds one finding of each of two
checks: a CALL sent before the previous one was answered (OCPP-J §4.1.1) and a
timestamp without a time zone (§3.14)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from certify import parsed_sessions, report, sessions
from certify.headless import artifacts
from certify.models import CertSession
from chargers import findings as shown
from chargers.models import ApiToken, Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "V2"}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
# (direction, frame): a boot accepted, a StatusNotification and a Heartbeat at once (the
# second CALL before the first is answered), a StatusNotification whose timestamp has no zone.
CONVERSATION = [
    ("in", [2, "b1", "BootNotification", BOOT]),
    ("out", [3, "b1", {"status": "Accepted", "currentTime": "2026-01-01T12:00:00Z", "interval": 60}]),
    ("in", [2, "s0", "StatusNotification", {**STATUS, "timestamp": "2026-01-01T12:00:02Z"}]),
    ("in", [2, "h1", "Heartbeat", {}]),
    ("out", [3, "s0", {}]),
    ("out", [3, "h1", {"currentTime": "2026-01-01T12:00:04Z"}]),
    ("in", [2, "s1", "StatusNotification", {**STATUS, "timestamp": "2026-01-01T12:00:05"}]),
    ("out", [3, "s1", {}]),
]


def twice(n: int) -> list:
    """Two CALLs at once again (unique ids of round n), then their answers."""
    return [
        ("in", [2, f"s{n}", "StatusNotification", {**STATUS, "timestamp": "2026-01-01T12:00:09Z"}]),
        ("in", [2, f"h{n}", "Heartbeat", {}]),
        ("out", [3, f"s{n}", {}]),
        ("out", [3, f"h{n}", {"currentTime": "2026-01-01T12:00:10Z"}]),
    ]


DOUBLE, NAIVE = "call-before-answer", "timestamp-no-zone"


@pytest.fixture(autouse=True)
def empty_caches():
    parsed_sessions.clear()
    shown.forget()
    yield
    parsed_sessions.clear()
    shown.forget()


def login(role: str = "engineer") -> Client:
    user = User.objects.create_user(f"u-{role}", password="pw-pw-pw-pw", first_name="Ada")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


def api(role: str = "viewer") -> Client:
    """A client of the JSON API with a token of a user of this role."""
    user, _ = User.objects.get_or_create(username=f"api-{role}")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}")


def talk(charger: Charger, conversation=CONVERSATION) -> None:
    seq = charger.last_seq()
    rows = []
    for n, (direction, message) in enumerate(conversation, seq + 1):
        action = message[2] if message[0] == 2 else ""
        rows.append(
            Frame(
                charger=charger,
                seq=n,
                ts=T0 + timedelta(seconds=n),
                direction=direction,
                message_type=message[0],
                action=action,
                unique_id=message[1],
                raw=json.dumps(message),
            )
        )
    Frame.objects.bulk_create(rows)


def session_with_findings(cp_id: str = "CP-FIND") -> CertSession:
    charger = Charger.objects.create(charge_point_id=cp_id, connected=True)
    session = sessions.create_session(cp_id, options={"preflight": False})
    talk(charger)
    return CertSession.objects.select_related("charger").get(pk=session.pk)


def test_the_session_api_lists_each_finding_with_its_clause_and_frames():
    session = session_with_findings()
    body = api().get(f"/api/sessions/{session.pk}/findings").json()
    found = {f["check"]: f for f in body["findings"]}
    assert set(found) == {DOUBLE, NAIVE}, body
    assert found[DOUBLE]["seqs"] == [3, 4, 5] and "§4.1.1" in found[DOUBLE]["clause"]
    assert found[NAIVE]["seqs"] == [7] and "§3.14" in found[NAIVE]["clause"]
    assert body["counts"] == shown.counts(body["findings"])
    assert {c["id"] for c in body["checks"]} >= {DOUBLE, NAIVE}
    narrowed = api().get(f"/api/sessions/{session.pk}/findings?check={NAIVE}").json()
    assert [f["check"] for f in narrowed["findings"]] == [NAIVE]
    severity = found[DOUBLE]["severity"]
    by_severity = api().get(f"/api/sessions/{session.pk}/findings?severity={severity}").json()
    assert DOUBLE in {f["check"] for f in by_severity["findings"]}
    assert {f["severity"] for f in by_severity["findings"]} == {severity}


def test_the_charger_api_gives_the_findings_since_a_seq_or_a_time():
    session = session_with_findings("CP-SINCE")
    client = api()
    whole = client.get("/api/chargers/CP-SINCE/findings").json()
    assert {f["check"] for f in whole["findings"]} == {DOUBLE, NAIVE}
    assert (whole["from_seq"], whole["last_seq"]) == (1, 8)
    after_double = client.get("/api/chargers/CP-SINCE/findings?since=5").json()
    assert [f["check"] for f in after_double["findings"]] == [NAIVE]
    assert client.get("/api/chargers/CP-SINCE/findings?since=8").json()["findings"] == []
    assert [f["check"] for f in client.get(f"/api/chargers/CP-SINCE/findings?check={DOUBLE}").json()["findings"]] == [
        DOUBLE
    ]
    at = (T0 + timedelta(seconds=5)).isoformat()
    assert [f["check"] for f in client.get("/api/chargers/CP-SINCE/findings", {"since": at}).json()["findings"]] == [
        NAIVE
    ]
    bad = client.get("/api/chargers/CP-SINCE/findings?since=yesterday")
    assert bad.status_code == 400 and "neither a frame seq nor an ISO 8601 time" in bad.json()["detail"]
    # New frames are fed to the kept look: only what came since is read.
    talk(session.charger, twice(3))
    later = client.get("/api/chargers/CP-SINCE/findings?since=8").json()
    assert [(f["check"], f["seqs"]) for f in later["findings"]] == [(DOUBLE, [9, 10, 11])]
    assert shown.kept() == {session.charger_id: 12}


def test_the_openapi_document_describes_both_findings_routes():
    paths = login("viewer").get("/api/openapi.json").json()["paths"]
    assert "get" in paths["/api/sessions/{pk}/findings"]
    charger = paths["/api/chargers/{cp_id}/findings"]["get"]
    assert [p["name"] for p in charger["parameters"]] == ["cp_id", "since", "severity", "check"]
    assert "ISO 8601" in charger["description"]


def test_the_session_page_shows_the_findings_filtered_as_its_url_says():
    session = session_with_findings()
    client = login("viewer")
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="findings-card"' in page and 'id="findings-filter"' in page
    assert f'data-check="{DOUBLE}"' in page and f'data-check="{NAIVE}"' in page
    # Each frame links into the session's log, as an item's evidence does.
    pk = Frame.objects.get(charger=session.charger, seq=7).pk
    assert f'hx-get="/sessions/{session.pk}/frames/?before=8&mark={pk}"' in page
    assert 'data-count="violations"' in page
    filtered = client.get(f"/sessions/{session.pk}/?severity=deviation").content.decode()
    assert f'data-check="{DOUBLE}"' in filtered and f'data-check="{NAIVE}"' not in filtered
    assert '<option value="deviation" selected>' in filtered
    partial = client.get(f"/sessions/{session.pk}/findings/?check={NAIVE}").content.decode()
    assert f'data-check="{NAIVE}"' in partial and f'data-check="{DOUBLE}"' not in partial
    assert partial.strip().startswith('<div id="findings"')


def test_the_charger_page_shows_its_findings_live():
    session_with_findings("CP-PAGE")
    client = login("viewer")
    page = client.get("/chargers/CP-PAGE/").content.decode()
    assert f'data-check="{DOUBLE}"' in page and 'hx-get="/chargers/CP-PAGE/findings/"' in page
    assert "htmx:wsAfterMessage[detail.message.indexOf('frames')>=0]" in page
    partial = client.get("/chargers/CP-PAGE/findings/?severity=note").content.decode()
    assert "No finding matches these filters." in partial


def test_the_outcome_line_counts_violations_and_a_signed_session_keeps_its_findings():
    session = session_with_findings()
    summary = login("viewer").get(f"/sessions/{session.pk}/summary/").content.decode()
    violations = shown.counts(report.session_findings.of(session))["violation"]
    assert f"Protocol violations <strong>{violations}</strong>" in summary
    user = User.objects.create_user("signer")
    signed = report.sign_off(session, user, "Ada", "Engineer", "ok")
    kept = CertSession.objects.get(pk=signed.pk).findings
    assert {f["check"] for f in kept} == {DOUBLE, NAIVE}
    # Frames that come later belong to no signed session: the kept findings stand.
    talk(session.charger, twice(5))
    body = api().get(f"/api/sessions/{session.pk}/findings").json()
    assert body["findings"] == kept


def test_the_reports_findings_section_groups_a_repeated_check():
    session = session_with_findings()
    talk(session.charger, twice(7))
    user = User.objects.create_user("previewer")
    html = report.preview_html(session, user, "Ada", "Engineer", "ok")
    assert "Protocol findings" in html and "Findings never change an item's verdict" in html
    assert "× 2" in html and "seq 3, 4, 5, 9, 10" in html and "and 1 more" in html
    assert "protocol findings: " in html.split('class="outcome">')[1].split("</td>")[0]


# The conversation as a log from the field: {ts, direction, raw} lines.
FIELD_LOG = [
    json.dumps({"ts": f"2026-01-01T12:00:{n:02d}Z", "direction": d, "raw": json.dumps(m)})
    for n, (d, m) in enumerate(CONVERSATION)
]


def test_judge_findings_lints_a_log_in_text_and_json(tmp_path):
    lines = FIELD_LOG
    path = tmp_path / "field.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = StringIO()
    call_command("judge", str(path), "--findings", stdout=out)
    text = out.getvalue()
    assert "Protocol findings: " in text
    assert any(DOUBLE in row and "[seq 3, 4, 5]" in row for row in text.splitlines())
    out = StringIO()
    call_command("judge", str(path), "--findings", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {f["check"] for f in data["findings"]} == {DOUBLE, NAIVE}
    assert data["findings_counts"] == shown.counts(data["findings"])
    out = StringIO()
    call_command("judge", str(path), "--json", stdout=out)
    assert "findings" not in json.loads(out.getvalue())


def test_post_api_judge_with_findings_lints_the_log_too():
    client = api()
    body = ("\n".join(FIELD_LOG) + "\n").encode()
    linted = client.post("/api/judge?findings=true", body, content_type="application/jsonl").json()
    assert {f["check"] for f in linted["findings"]} == {DOUBLE, NAIVE}
    assert linted["findings_counts"] == shown.counts(linted["findings"]) and len(linted["items"]) == 18
    plain = client.post("/api/judge", body, content_type="application/jsonl").json()
    assert plain["findings"] is None and plain["items"] == linted["items"]


def test_the_junit_findings_suite_fails_a_check_only_on_a_violation():
    checks = [
        {"id": "a", "severity": "violation", "clause": "§1", "title": "A"},
        {"id": "b", "severity": "deviation", "clause": "§2", "title": "B"},
        {"id": "c", "severity": "note", "clause": "§3", "title": "C"},
    ]
    found = [
        {"check": "a", "severity": "violation", "clause": "§1", "text": "a broke", "seqs": [4], "ts": ""},
        {"check": "b", "severity": "deviation", "clause": "§2", "text": "b strayed", "seqs": [5, 6], "ts": ""},
    ]
    findings = {"counts": {"violation": 1, "deviation": 1, "note": 0}, "findings": found, "checks": checks}
    items = {"17": {"key": "17", "number": 17, "function": "Clear cache", "verdict": "passed"}}
    root = ET.fromstring(artifacts.junit(items, {}, "CP", 7, 0.0, findings))
    assert root.tag == "testsuites" and [s.get("name") for s in root] == ["OCPP certification of CP", "findings"]
    suite = root[1]
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {c.get("name"): c for c in suite}
    assert cases["a A"].find("failure").get("message") == "1 violation of §1: a broke"
    assert cases["b B"].find("failure") is None and "b strayed" in cases["b B"].find("system-out").text
    assert cases["c C"].find("system-out").text == "session 7; not seen"
    result = artifacts.result(items, {}, "CP", 7, 0, findings)
    assert result["findings"] == found and result["findings_counts"]["violation"] == 1
    assert artifacts.findings_line(findings) == "; protocol findings: 1 violation, 1 deviation, no notes"


def test_a_chargers_kept_findings_stay_within_their_bounds(monkeypatch):
    """chargers.findings keeps the looks of at most KEPT_CHARGERS chargers and KEPT_FRAMES
    frames, the least recently looked at going first; a window past twice WINDOW_FRAMES
    starts again from the newest frames."""
    monkeypatch.setattr(shown, "KEPT_CHARGERS", 2)
    chargers = [Charger.objects.create(charge_point_id=f"CP-BOUND-{n}") for n in range(3)]
    for charger in chargers:
        talk(charger)
        shown.of_charger(charger.pk)
    assert shown.kept() == {chargers[1].pk: 8, chargers[2].pk: 8}
    monkeypatch.setattr(shown, "KEPT_FRAMES", 12)
    shown.of_charger(chargers[0].pk)
    assert shown.kept() == {chargers[0].pk: 8}
    monkeypatch.setattr(shown, "WINDOW_FRAMES", 3)
    talk(chargers[0], twice(3))  # its look held 8 frames, past twice the window of 3
    _, from_seq, last_seq = shown.of_charger(chargers[0].pk)
    assert (from_seq, last_seq) == (10, 12) and shown.kept() == {chargers[0].pk: 3}
