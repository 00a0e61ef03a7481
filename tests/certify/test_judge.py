"""Re-judging a log on its own: `manage.py judge FILE` and POST /api/judge, on a hand-written
minimal OCPP-J log, a log with attempt markers, and files that cannot be read. (A session's
export and a signed report are judged in test_full_session and test_report.)"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from certify.log_file import LogError, read_lines
from chargers.models import ApiToken

from .charger_model import WORKED, Session, Traits


def line(seconds: float, direction: str, frame, **extra) -> str:
    ts = f"2026-01-01T12:00:{seconds:06.3f}Z"
    raw = frame if isinstance(frame, str) else json.dumps(frame)
    return json.dumps({"ts": ts, "direction": direction, "raw": raw, **extra})


# The least a log may be: ts, direction and the frame's exact text.
MINIMAL = [
    line(0, "in", [2, "b1", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "V2"}]),
    line(0.1, "out", [3, "b1", {"status": "Accepted", "currentTime": "2026-01-01T12:00:00Z", "interval": 60}]),
    line(1, "out", [2, "u1", "ClearCache", {}]),
    line(1.2, "in", [3, "u1", {"status": "Accepted"}]),
]


def judged(lines: list[str], tmp_path, *args: str) -> str:
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = StringIO()
    call_command("judge", str(path), *args, stdout=out)
    return out.getvalue()


def test_a_minimal_log_is_judged_as_one_attempt_per_item(tmp_path):
    items = {i["key"]: i for i in json.loads(judged(MINIMAL, tmp_path, "--json"))["items"]}
    assert len(items) == 18
    assert (items["1"]["verdict"], items["1"]["evidence_seqs"]) == ("passed", [1, 2])
    assert (items["17"]["verdict"], items["17"]["evidence_seqs"]) == ("passed", [3, 4])
    assert items["9"]["verdict"] == "open"
    assert set(items["1"]) == {"key", "number", "function", "verdict", "reason", "evidence_seqs"}


def test_the_table_names_each_item_and_its_verdict(tmp_path):
    table = judged(MINIMAL, tmp_path)
    assert table.splitlines()[0].split() == ["#", "Function", "Verdict", "Reason"]
    assert any(row.split()[:3] == ["1", "Boot", "notification"] and "Passed" in row for row in table.splitlines())


def test_event_lines_of_other_kinds_are_kept_and_ignored(tmp_path):
    noisy = [MINIMAL[0], line(0.05, "event", {"event": "security", "reason": "x"}), *MINIMAL[1:]]
    items = {i["key"]: i for i in json.loads(judged(noisy, tmp_path, "--json"))["items"]}
    assert items["1"]["verdict"] == "passed"
    assert items["17"]["evidence_seqs"] == [4, 5]  # numbered in order, the event line too


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("not json", "line 3: not JSON"),
        (json.dumps({"ts": "yesterday", "direction": "in", "raw": "[]"}), "line 3: ts 'yesterday' is not an ISO 8601"),
        (json.dumps({"ts": "2026-01-01T12:00:00Z", "direction": "up", "raw": "[]"}), "line 3: direction 'up'"),
        (json.dumps({"ts": "2026-01-01T12:00:00Z", "direction": "in"}), "line 3: raw is missing"),
        (json.dumps([1, 2]), "line 3: not a JSON object"),
    ],
)
def test_a_line_that_cannot_be_read_exits_3_saying_which_and_why(tmp_path, bad, why):
    with pytest.raises(CommandError) as raised:
        judged([*MINIMAL[:2], bad, *MINIMAL[2:]], tmp_path)
    assert raised.value.returncode == 3
    assert why in str(raised.value)


def test_an_empty_file_or_a_pdf_without_a_log_cannot_be_judged(tmp_path):
    with pytest.raises(CommandError, match="no frames") as raised:
        judged([], tmp_path)
    assert raised.value.returncode == 3
    pdf = tmp_path / "other.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(CommandError) as raised:
        call_command("judge", str(pdf), stdout=StringIO())
    assert raised.value.returncode == 3


def test_seqs_out_of_order_are_a_line_at_fault():
    lines = [json.dumps({**json.loads(MINIMAL[0]), "seq": 5}), json.dumps({**json.loads(MINIMAL[1]), "seq": 4})]
    with pytest.raises(LogError, match="line 2: seq 4 does not follow 5"):
        read_lines(lines)


def test_attempt_markers_judge_each_attempt_when_it_ended(tmp_path):
    """A generated session (charger_model) worked item by item: each attempt is judged at its
    end marker over the frames up to it; every item passes as the bench saw it."""
    session = Session(Traits())
    for item in WORKED:
        session.work(item)
    session.wait(200)
    items = {i["key"]: i["verdict"] for i in json.loads(judged(session.bench.lines(), tmp_path, "--json"))["items"]}
    assert items == {str(n): "open" if n == 15 else "passed" for n in range(1, 19)}


@pytest.mark.django_db
def test_post_api_judge_answers_the_same_json():
    user = User.objects.create_user("judge-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    token = ApiToken.issue(user)[1]
    body = ("\n".join(MINIMAL) + "\n").encode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    raw = Client().post("/api/judge", body, content_type="application/jsonl", **auth)
    assert raw.status_code == 200, raw.content
    from io import BytesIO

    upload = BytesIO(body)
    upload.name = "log.jsonl"
    multipart = Client().post("/api/judge", {"file": upload}, **auth)
    assert multipart.status_code == 200
    assert raw.json() == multipart.json()
    assert {i["key"]: i["verdict"] for i in raw.json()["items"]}["17"] == "passed"
    bad = Client().post("/api/judge", b"nope\n", content_type="application/jsonl", **auth)
    assert (bad.status_code, bad.json()) == (400, {"detail": "line 1: not JSON (Expecting value at column 1)"})
    assert Client().post("/api/judge", body, content_type="application/jsonl").status_code == 401
