"""The firmware under test is kept on the session: the version the charger ran
when the session began, and the one it booted with after our UpdateFirmware. The
header, the history (and its filter), compare and the report say the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from certify import sessions
from certify.evaluation import evaluate_session
from certify.models import CertSession
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Log:
    def __init__(self, charger: Charger) -> None:
        self.charger, self.seq = charger, Frame.objects.filter(charger=charger).count()

    def add(self, direction: str, message_type: int, action: str, body: list) -> None:
        self.seq += 1
        Frame.objects.create(
            charger=self.charger,
            seq=self.seq,
            ts=T0 + timedelta(seconds=self.seq),
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=f"u{self.seq}",
            raw=json.dumps(body),
        )

    def boot(self, version: str) -> None:
        payload = {"chargePointVendor": "Acme", "chargePointModel": "V1", "firmwareVersion": version}
        self.add("in", 2, "BootNotification", [2, f"b{self.seq}", "BootNotification", payload])
        self.charger.record_boot(payload)

    def update_firmware(self) -> None:
        body = [
            2,
            f"f{self.seq}",
            "UpdateFirmware",
            {"location": "http://x/fw.bin", "retrieveDate": "2026-01-01T12:00:00Z"},
        ]
        self.add("out", 2, "UpdateFirmware", body)


@pytest.fixture
def updated() -> CertSession:
    """A session of a charger that ran 1.02.06 and booted with 1.02.07 after our update."""
    charger = Charger.objects.create(charge_point_id="CP-FW")
    log = Log(charger)
    log.boot("1.02.06")
    session = sessions.create_session("CP-FW")
    log.update_firmware()
    log.boot("1.02.07")
    evaluate_session(session)
    session.refresh_from_db()
    return session


@pytest.fixture
def client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ada", "", "pw-pw-pw-pw"))
    return client


def test_the_session_keeps_the_firmware_it_began_with(updated):
    assert updated.firmware_at_start == "1.02.06"


def test_the_session_keeps_the_firmware_the_update_installed(updated):
    assert (updated.firmware_after_update, updated.firmware_update_seq) == ("1.02.07", 3)


def test_the_firmware_reads_the_same_in_one_line(updated):
    assert updated.firmware == "1.02.06, updated to 1.02.07 in the session"


def test_a_session_without_an_update_names_one_firmware():
    Log(Charger.objects.create(charge_point_id="CP-FW-1")).boot("3.0")
    session = sessions.create_session("CP-FW-1")
    assert session.firmware == "3.0"


def test_a_charger_that_boots_only_in_the_session_gets_its_first_boots_firmware():
    charger = Charger.objects.create(charge_point_id="CP-FW-LATE")
    session = sessions.create_session("CP-FW-LATE")
    Log(charger).boot("9.9")
    evaluate_session(session)
    assert CertSession.objects.get(pk=session.pk).firmware_at_start == "9.9"


@pytest.mark.parametrize(
    "path",
    ["/sessions/{pk}/", "/sessions/{pk}/header/", "/history/", "/history/{pk}/", "/history/compare/?a={pk}&b={pk}"],
)
def test_every_page_shows_the_firmware_the_same_way(updated, client, path):
    html = client.get(path.format(pk=updated.pk)).content.decode()
    assert "1.02.06, updated to 1.02.07 in the session" in html


def test_the_history_filter_finds_the_firmware_under_test(updated, client):
    html = client.get("/history/?firmware=1.02.06").content.decode()
    assert f'data-session="{updated.pk}"' in html


def test_the_history_filter_does_not_take_the_installed_firmware_for_the_one_under_test(updated, client):
    html = client.get("/history/?firmware=1.02.07").content.decode()
    assert f'data-session="{updated.pk}"' not in html


def test_the_api_names_both_versions(updated, client):
    from chargers.models import ApiToken

    _, token = ApiToken.issue(User.objects.get(username="ada"))
    body = client.get(f"/api/sessions/{updated.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (body["firmware_at_start"], body["firmware_after_update"]) == ("1.02.06", "1.02.07")
