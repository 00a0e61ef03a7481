"""Roles are enforced where commands are sent: a viewer's token sends nothing."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth.models import Group, User

from chargers.models import ApiToken, Charger, Frame, RejectedAttempt
from chargers.roles import ADMIN, ENGINEER, VIEWER, can_operate, role_of

from .client import boot, connected

pytestmark = pytest.mark.django_db(transaction=True)


def make_user(name: str, role: str | None) -> User:
    user = User.objects.create_user(name, password="pw-pw-pw-pw")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # flushed between tests
    return user


@pytest.fixture
def people():
    return {
        "viewer": make_user("v", VIEWER),
        "engineer": make_user("e", ENGINEER),
        "admin": User.objects.create_superuser("a", "", "pw-pw-pw-pw"),
        "nobody": make_user("n", None),
    }


def test_roles_rank_viewer_below_engineer_below_admin(people):
    assert {name: role_of(user) for name, user in people.items()} == {
        "viewer": VIEWER,
        "engineer": ENGINEER,
        "admin": ADMIN,
        "nobody": None,
    }


def test_only_engineers_and_admins_operate(people):
    assert {name for name, user in people.items() if can_operate(user)} == {"engineer", "admin"}


# -- API tokens --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokens_tried(module_server, db_access) -> dict:
    """A viewer's, a role-less user's and an engineer's token used on a connected charger."""
    server = module_server()

    def tokens():
        return ApiToken.issue(make_user("viewer1", VIEWER))[1], ApiToken.issue(make_user("nobody1", None))[1]

    viewer_token, roleless_token = db_access(tokens)
    seen: dict = {}

    async def scenario() -> None:
        async with connected(server.ws_url, "CP-ROLES") as cp:
            await boot(cp)
            seen["viewer command"] = await server.aapi(
                "POST", "/chargers/CP-ROLES/commands/Reset", {"type": "Hard"}, token=viewer_token
            )
            seen["viewer read"] = await server.aapi("GET", "/chargers/CP-ROLES", token=viewer_token)
            seen["role-less read"] = await server.aapi("GET", "/chargers", token=roleless_token)
            seen["engineer command"] = await server.aapi("POST", "/chargers/CP-ROLES/commands/ClearCache", {})
            seen["received"] = [action for action, _ in cp.received]

    db_access(asyncio.run, scenario())
    seen["stored as sent"] = db_access(
        lambda: list(
            Frame.objects.filter(charger__charge_point_id="CP-ROLES", direction="out", message_type=2).values_list(
                "action", flat=True
            )
        )
    )
    return seen


def test_a_viewers_token_is_refused_a_command_naming_the_role_needed(tokens_tried):
    status, body = tokens_tried["viewer command"]
    assert status == 403
    assert "engineer role" in body["detail"]


def test_a_viewers_token_reads(tokens_tried):
    status, body = tokens_tried["viewer read"]
    assert (status, body["vendor"]) == (200, "Acme")


def test_a_token_of_a_user_without_a_role_is_refused(tokens_tried):
    assert tokens_tried["role-less read"][0] == 401


def test_an_engineers_token_sends_a_command(tokens_tried):
    assert tokens_tried["engineer command"][0] == 200


def test_a_refused_command_never_reaches_the_charger(tokens_tried):
    assert tokens_tried["received"] == ["ClearCache"]


def test_a_refused_command_is_never_stored_as_sent(tokens_tried):
    assert tokens_tried["stored as sent"] == ["ClearCache"]


# -- the dashboard -----------------------------------------------------------------------------


def test_a_user_without_a_role_reads_nothing(client):
    client.force_login(make_user("nobody2", None))
    assert client.get("/").status_code == 403


@pytest.mark.parametrize("page", ["/", "/sessions/"])
def test_a_viewer_reads_the_dashboard(client, page):
    client.force_login(make_user("viewer2", VIEWER))
    assert client.get(page).status_code == 200


def test_a_viewer_changes_no_id_tag(client):
    client.force_login(make_user("viewer2", VIEWER))
    assert client.post("/id-tags/add/", {"id_tag": "X", "status": "Accepted"}).status_code == 403


def test_a_viewer_opens_no_session(client):
    client.force_login(make_user("viewer2", VIEWER))
    assert client.get("/sessions/new/").status_code == 403


# -- security settings, for admins only --------------------------------------------------------


@pytest.fixture
def admin_client(client):
    Charger.objects.create(charge_point_id="CP-SEC")
    client.force_login(User.objects.create_superuser("root3", "", "pw-pw-pw-pw"))
    return client


def test_an_engineer_cannot_open_a_chargers_security_settings(client):
    Charger.objects.create(charge_point_id="CP-SEC")
    client.force_login(make_user("eng3", ENGINEER))
    assert client.get("/chargers/CP-SEC/security/").status_code == 403


def test_profile_1_without_a_key_is_refused(admin_client):
    response = admin_client.post("/chargers/CP-SEC/security/", {"security_profile": 1})
    assert response.status_code == 422
    assert b"need an AuthorizationKey" in response.content


def test_a_generated_key_is_shown_once(admin_client):
    response = admin_client.post("/chargers/CP-SEC/security/", {"security_profile": 1, "generate": "on"})
    key = response.context["shown_key"]
    assert len(key) == 40
    assert key.encode() in response.content
    assert key.encode() not in admin_client.get("/chargers/CP-SEC/security/").content


def test_a_generated_key_is_kept_only_as_its_hash(admin_client):
    key = admin_client.post("/chargers/CP-SEC/security/", {"security_profile": 1, "generate": "on"}).context[
        "shown_key"
    ]
    charger = Charger.objects.get(charge_point_id="CP-SEC")
    assert charger.check_authorization_key(key.encode())
    assert key not in charger.auth_key_hash


def test_a_rejected_attempt_is_listed(admin_client):
    RejectedAttempt.objects.create(charge_point_id="NEWCOMER", reason="unknown")
    assert b"NEWCOMER" in admin_client.get("/rejected/").content


def test_admitting_a_rejected_attempt_adds_its_charger(admin_client):
    attempt = RejectedAttempt.objects.create(charge_point_id="NEWCOMER", reason="unknown")
    admin_client.post(f"/rejected/{attempt.pk}/admit/")
    assert Charger.objects.filter(charge_point_id="NEWCOMER").exists()
    assert not RejectedAttempt.objects.exists()
