"""Every action on an item's panel belongs to an attempt of the item: its
commands, "Take offline" and the firmware upload start one when none runs; when
the item's verdict is final, a command or "Take offline" asks first; the status
says in one line where the verdict stands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from certify import attempts, sessions
from certify.models import Attempt, ItemResult
from certify.views import status_line
from chargers.models import Charger

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session():
    Charger.objects.create(charge_point_id="CP-PANEL")
    return sessions.create_session("CP-PANEL")


@pytest.fixture
def client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ada", "", "pw-pw-pw-pw"))
    return client


def finish(session, key: str, verdict: str = "passed") -> None:
    attempt = attempts.start_attempt(session, key, "user:ada")
    Attempt.objects.filter(pk=attempt.pk).update(verdict=verdict, ended_at=datetime(2026, 1, 1, 12, tzinfo=UTC))
    ItemResult.objects.filter(session=session, case=key).update(auto_verdict=verdict)


def test_the_firmware_upload_starts_its_items_attempt(session, client):
    upload = SimpleUploadedFile("fw.bin", b"\x00firmware")
    assert client.post(f"/sessions/{session.pk}/firmware/", {"firmware": upload}).status_code == 200
    assert attempts.current_attempt(session, "12") is not None


def test_the_firmware_upload_opens_no_attempt_once_the_verdict_is_final(session, client):
    finish(session, "12")
    client.post(f"/sessions/{session.pk}/firmware/", {"firmware": SimpleUploadedFile("fw.bin", b"\x00")})
    assert attempts.current_attempt(session, "12") is None


def test_take_offline_starts_its_items_attempt(session, client):
    response = client.post(f"/sessions/{session.pk}/offline/", {"seconds": "5"})
    assert response.status_code == 200 and "refused for" in response.content.decode()
    assert attempts.current_attempt(session, "16") is not None


def test_take_offline_asks_first_once_the_verdict_is_final(session, client):
    finish(session, "16")
    html = client.post(f"/sessions/{session.pk}/offline/", {"seconds": "5"}).content.decode()
    assert 'data-role="ask-attempt"' in html and "refused for" not in html
    assert Charger.objects.get(charge_point_id="CP-PANEL").offline_until is None


def test_take_offline_outside_an_attempt_keeps_the_verdict(session, client):
    finish(session, "16")
    client.post(f"/sessions/{session.pk}/offline/", {"seconds": "5", "attempt": "outside"})
    assert attempts.current_attempt(session, "16") is None
    assert Charger.objects.get(charge_point_id="CP-PANEL").offline_until is not None


def test_take_offline_as_a_new_attempt_opens_attempt_2(session, client):
    finish(session, "16")
    client.post(f"/sessions/{session.pk}/offline/", {"seconds": "5", "attempt": "new"})
    assert attempts.current_attempt(session, "16").n == 2


def test_a_command_on_a_final_item_asks_before_sending(session, client):
    finish(session, "17")
    html = client.post(f"/sessions/{session.pk}/items/17/command/", {"index": "0", "payload": "{}"}).content.decode()
    assert 'data-role="ask-attempt"' in html and "already" in html
    assert 'data-role="as-new-attempt">as attempt 2' in html


# -- the status line, one row per state of an item --------------------------------------

T = datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC)


def attempt(n: int, verdict: str, ended: bool = True) -> Attempt:
    return Attempt(n=n, verdict=verdict, started_at=T, ended_at=T if ended else None)


@pytest.mark.parametrize(
    ("auto", "source", "tries", "expected"),
    [
        ("open", "", [], "Not started: start it, or send one of its commands (either starts its first attempt)"),
        ("open", "", [attempt(1, "open", ended=False)], "Attempt 1 running since 12:00:05 UTC"),
        ("passed", "", [attempt(1, "passed")], "Passed on attempt 1 (12:00:05 UTC)"),
        (
            "passed",
            "from item 2's ChangeConfiguration at 12:00:00",
            [],
            "Passed on evidence seen outside an attempt (from item 2's ChangeConfiguration at 12:00:00)",
        ),
        (
            "passed",
            "",
            [attempt(1, "passed"), attempt(2, "open", ended=False)],
            "Passed on attempt 1 (12:00:05 UTC); attempt 2 running since 12:00:05 UTC: the verdict follows it "
            "when it ends",
        ),
        ("open", "", [attempt(1, "abandoned")], "Open: attempt 1 abandoned; retry it, or send one of its commands"),
    ],
)
def test_the_status_line_says_where_the_verdict_stands(auto, source, tries, expected):
    result = ItemResult(auto_verdict=auto, source=source)
    current = next((a for a in tries if a.is_open), None)
    assert status_line(result, tries, current) == expected


def test_the_status_line_of_an_override_names_who_and_why():
    result = ItemResult(
        auto_verdict="passed",
        override_verdict="failed",
        override_remark="Cache kept its entries",
        override_by=User(username="ada"),
        override_at=T,
    )
    assert status_line(result, [], None) == "Set by hand to Failed by ada at 12:00:05 UTC: “Cache kept its entries”"
