"""What a pipeline that drives the API directly gets: sign-off, the report and
"take offline" described in the OpenAPI document, an attempt abandoned with its
reason; and the dashboard's "Take offline" button of item 16 (engineer only)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from certify import sessions
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)


def login(role: str) -> Client:
    user = User.objects.create_user(f"u-{role}", password="pw-pw-pw-pw")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


def test_the_openapi_document_describes_sign_report_and_offline():
    document = login("viewer").get("/api/openapi.json").json()
    paths = document["paths"]
    assert "post" in paths["/api/sessions/{pk}/sign"]
    assert "application/pdf" in paths["/api/sessions/{pk}/report.pdf"]["get"]["responses"]["200"]["content"]
    assert "post" in paths["/api/sessions/{pk}/offline"]


def test_the_offline_button_takes_the_charger_offline_and_counts_down():
    session = sessions.create_session("CP-BUTTON")
    client = login("engineer")
    response = client.get(f"/sessions/{session.pk}/offline/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"Take offline" in response.content
    response = client.post(f"/sessions/{session.pk}/offline/", {"seconds": "30"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"refused for" in response.content and b'hx-trigger="every 1s"' in response.content
    assert Charger.objects.get(charge_point_id="CP-BUTTON").offline_until is not None
    event = json.loads(Frame.objects.filter(charger__charge_point_id="CP-BUTTON", direction="event").last().raw)
    assert event["event"] == "offline" and event["seconds"] == 30 and event["by"] == "user:u-engineer"


def test_the_offline_button_says_what_is_wrong_with_the_seconds():
    session = sessions.create_session("CP-BUTTON2")
    response = login("engineer").post(f"/sessions/{session.pk}/offline/", {"seconds": "0"})
    assert response.status_code == 422 and b"greater than or equal to 1" in response.content


def test_a_viewer_cannot_take_a_charger_offline():
    session = sessions.create_session("CP-BUTTON3")
    response = login("viewer").post(f"/sessions/{session.pk}/offline/", {"seconds": "30"})
    assert response.status_code == 403
    assert Charger.objects.get(charge_point_id="CP-BUTTON3").offline_until is None


def test_an_attempt_is_abandoned_with_a_reason_or_without_one(live_server_ocpp):
    server = live_server_ocpp
    _, session = server.api("POST", "/sessions", {"charge_point_id": "CP-ABANDON"})
    for n, body, why in ((10, {"reason": "no actuator for fault"}, "no actuator for fault"), (17, None, "abandoned")):
        assert server.api("POST", f"/sessions/{session['id']}/items/{n}/attempts", {})[0] == 201
        status, item = server.api("POST", f"/sessions/{session['id']}/items/{n}/attempts/abandon", body)
        assert status == 200 and item["verdict"] == "open"
        assert item["attempts"][-1]["verdict"] == "abandoned" and item["attempts"][-1]["reason"].startswith(why)
