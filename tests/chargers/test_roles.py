"""Roles are enforced where commands are sent: a viewer's token sends nothing."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User

from chargers.models import ApiToken, Frame
from chargers.roles import ADMIN, ENGINEER, VIEWER, can_operate, role_of

from .client import boot, connected

pytestmark = pytest.mark.django_db(transaction=True)


def make_user(name: str, role: str | None) -> User:
    user = User.objects.create_user(name, password="pw-pw-pw-pw")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # flushed between tests
    return user


def test_roles_rank_viewer_below_engineer_below_admin():
    viewer, engineer, nobody = make_user("v", VIEWER), make_user("e", ENGINEER), make_user("n", None)
    admin = User.objects.create_superuser("a", "", "pw-pw-pw-pw")
    assert [role_of(u) for u in (viewer, engineer, admin, nobody)] == [VIEWER, ENGINEER, ADMIN, None]
    assert [can_operate(u) for u in (viewer, engineer, admin, nobody)] == [False, True, True, False]


async def test_a_viewer_token_reads_but_sends_nothing(live_server_ocpp):
    server = live_server_ocpp

    def tokens():
        viewer = make_user("viewer1", VIEWER)
        roleless = make_user("nobody1", None)
        return ApiToken.issue(viewer)[1], ApiToken.issue(roleless)[1]

    viewer_token, roleless_token = await sync_to_async(tokens)()
    async with connected(server.ws_url, "CP-ROLES") as cp:
        await boot(cp)
        status, body = await server.aapi(
            "POST", "/chargers/CP-ROLES/commands/Reset", {"type": "Hard"}, token=viewer_token
        )
        assert status == 403 and "engineer role" in body["detail"]
        status, body = await server.aapi("GET", "/chargers/CP-ROLES", token=viewer_token)
        assert status == 200 and body["vendor"] == "Acme"
        status, _ = await server.aapi("GET", "/chargers", token=roleless_token)
        assert status == 401
        status, body = await server.aapi("POST", "/chargers/CP-ROLES/commands/ClearCache", {})  # an engineer's
        assert status == 200
        assert [action for action, _ in cp.received] == ["ClearCache"]

    def sent():
        return list(
            Frame.objects.filter(charger__charge_point_id="CP-ROLES", direction="out", message_type=2).values_list(
                "action", flat=True
            )
        )

    assert await sync_to_async(sent)() == ["ClearCache"]


def test_a_user_without_a_role_reads_nothing_and_a_viewer_sends_nothing(client):
    nobody, viewer = make_user("nobody2", None), make_user("viewer2", VIEWER)
    client.force_login(nobody)
    assert client.get("/").status_code == 403
    client.force_login(viewer)
    assert client.get("/").status_code == 200
    assert client.get("/sessions/").status_code == 200
    assert client.post("/id-tags/add/", {"id_tag": "X", "status": "Accepted"}).status_code == 403
    assert client.get("/sessions/new/").status_code == 403


def test_an_admin_sets_a_key_shown_once_and_admits_a_rejected_charger(client):
    from chargers.models import Charger, RejectedAttempt

    Charger.objects.create(charge_point_id="CP-SEC")
    engineer = make_user("eng3", ENGINEER)
    client.force_login(engineer)
    assert client.get("/chargers/CP-SEC/security/").status_code == 403
    client.force_login(User.objects.create_superuser("root3", "", "pw-pw-pw-pw"))
    response = client.post("/chargers/CP-SEC/security/", {"security_profile": 1})
    assert response.status_code == 422 and b"need an AuthorizationKey" in response.content
    response = client.post("/chargers/CP-SEC/security/", {"security_profile": 1, "generate": "on"})
    key = response.context["shown_key"]
    assert len(key) == 40 and key.encode() in response.content
    charger = Charger.objects.get(charge_point_id="CP-SEC")
    assert charger.check_authorization_key(key.encode()) and key not in charger.auth_key_hash
    assert key.encode() not in client.get("/chargers/CP-SEC/security/").content
    attempt = RejectedAttempt.objects.create(charge_point_id="NEWCOMER", reason="unknown")
    assert b"NEWCOMER" in client.get("/rejected/").content
    client.post(f"/rejected/{attempt.pk}/admit/")
    assert Charger.objects.filter(charge_point_id="NEWCOMER").exists()
    assert not RejectedAttempt.objects.exists()
