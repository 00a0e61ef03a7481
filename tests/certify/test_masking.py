"""The session's upload credentials never show on a page, for any role: the item
panel's prefilled payload, its evidence, the session's and the charger's frame logs
print *** as the report does, and a masked payload is sent with its secret back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from certify import evidence, sessions, transfer
from certify.models import CertSession
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> CertSession:
    charger = Charger.objects.create(charge_point_id="CP-MASK", vendor="V", model="M")
    session = sessions.create_session("CP-MASK")
    location = transfer.diagnostics_url(session, "lab.example")
    raw = json.dumps([2, "g1", "GetDiagnostics", {"location": location, "startTime": "2026-01-01T00:00:00Z"}])
    Frame.objects.create(
        charger=charger,
        seq=session.start_seq + 1,
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        direction="out",
        message_type=2,
        action="GetDiagnostics",
        unique_id="g1",
        raw=raw,
        sent_by="user:ada case:13",
    )
    return session


def client_as(role: str) -> Client:
    user = User.objects.create_user(f"u-{role}", password="pw-pw-pw-pw")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


PAGES = [
    "/sessions/{pk}/?item=13",
    "/sessions/{pk}/items/13/",
    "/sessions/{pk}/items/12/",
    "/sessions/{pk}/frames/",
    "/history/{pk}/",
    "/chargers/CP-MASK/",
    "/chargers/CP-MASK/frames/",
]


@pytest.mark.parametrize("role", ["viewer", "engineer"])
@pytest.mark.parametrize("path", PAGES)
def test_no_page_shows_the_upload_credentials(session, role, path):
    html = client_as(role).get(path.format(pk=session.pk)).content.decode()
    assert session.ftp_password not in html
    assert session.upload_secret not in html


@pytest.mark.parametrize("path", ["/sessions/{pk}/items/13/", "/chargers/CP-MASK/frames/"])
def test_the_location_shows_with_the_password_masked(session, path):
    html = client_as("engineer").get(path.format(pk=session.pk)).content.decode()
    assert f"ftp://{session.ftp_user}:***@" in html


def test_a_masked_payload_is_sent_with_its_secrets_back(session):
    real = sessions.fill_payload(session, {"location": "{diagnostics_url}", "http": "{diagnostics_http_url}"}, "lab")
    text = json.dumps(real)
    masked = evidence.redact(text, evidence.secrets_of(session))
    assert session.ftp_password not in masked and session.upload_secret not in masked
    assert evidence.restore_secrets(session, masked) == text


def test_a_literal_mask_elsewhere_in_a_payload_is_left_alone(session):
    text = json.dumps({"key": "Password", "value": "***"})
    assert evidence.restore_secrets(session, text) == text


def test_a_sessions_report_and_log_hide_another_sessions_credentials_in_its_range(session):
    """Two sessions of one charger overlap: the later one's range holds the earlier one's GetDiagnostics."""
    from certify import report

    later = sessions.create_session("CP-MASK")
    CertSession.objects.filter(pk=later.pk).update(start_seq=0)
    later.refresh_from_db()
    log, _ = evidence.export(later)
    html = report.render_html(later, report.signoff_of(None, "Ada", "Engineer", "", None, None), log, "0" * 64)
    assert session.ftp_password not in log.decode() and session.ftp_password not in html


@pytest.mark.parametrize(("role", "shown"), [("viewer", False), ("engineer", True)])
def test_the_api_gives_the_upload_password_to_engineers_only(session, role, shown):
    from chargers.models import ApiToken

    user = User.objects.create_user(f"api-{role}", password="pw-pw-pw-pw")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    _, token = ApiToken.issue(user)
    body = Client().get(f"/api/sessions/{session.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (session.ftp_password in body["diagnostics_url"]) is shown
