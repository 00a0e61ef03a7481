"""The sessions API against a live server and a charger on a real socket.

The session runs once per module (a fixture keeps every answer the API gave);
each test checks one behaviour of it."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from ocpp.v16 import call

from chargers.models import ApiToken
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.django_db(transaction=True)

TRIGGER = ("TriggerMessage", {"requested_message": "StatusNotification"})


async def wait_for(server, pk: int, number: int, verdict: str, timeout: float = 15) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        _status, body = await server.aapi("GET", f"/sessions/{pk}")
        item = next(i for i in body["items"] if i["number"] == number)
        if item["verdict"] == verdict or loop.time() > deadline:
            return item
        await asyncio.sleep(0.2)


def viewer_token() -> str:
    user = User.objects.create_user("v-api")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    return ApiToken.issue(user)[1]


@pytest.fixture(scope="module")
def run(module_server, db_access) -> dict:
    """A session created, run and judged through the API, overridden, then read by a viewer."""
    server = module_server()
    seen: dict = {}

    async def scenario() -> None:
        async with connected(server.ws_url, "CP-API") as cp:
            await boot(cp)
            seen["created"] = await server.aapi(
                "POST", "/sessions", {"charge_point_id": "CP-API", "engineer_name": "Ada"}
            )
            pk = seen["created"][1]["id"]
            # A boot inside the session, then item 18's trigger follows by itself.
            await boot(cp)
            for _ in range(100):  # the trigger comes as a task after the answer
                if TRIGGER in cp.received:
                    break
                await asyncio.sleep(0.05)
            await cp.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
            seen["item 18"] = await wait_for(server, pk, 18, "passed")
            seen["received"] = list(cp.received)
            seen["command"] = await server.aapi("POST", f"/sessions/{pk}/items/17/commands/ClearCache", {})
            seen["frames"] = await server.aapi("GET", "/chargers/CP-API/frames?action=ClearCache&direction=out")
            seen["unknown item"] = await server.aapi("POST", f"/sessions/{pk}/items/99/commands/ClearCache", {})
            seen["item 17"] = await wait_for(server, pk, 17, "passed")
            seen["item 1"] = await wait_for(server, pk, 1, "passed")

        seen["override"] = await server.aapi(
            "POST", f"/sessions/{pk}/items/15/override", {"verdict": "not_supported", "remark": "Not supported by Acme"}
        )
        seen["blank override"] = await server.aapi(
            "POST", f"/sessions/{pk}/items/15/override", {"verdict": "passed", "remark": " "}
        )
        token = await sync_to_async(viewer_token)()
        seen["viewer command"] = await server.aapi(
            "POST", f"/sessions/{pk}/items/17/commands/ClearCache", {}, token=token
        )
        seen["viewer summary"] = await server.aapi("GET", f"/sessions/{pk}/summary", token=token)

    db_access(asyncio.run, scenario())
    return seen


def test_a_session_is_created_with_all_18_items(run):
    status, session = run["created"]
    assert (status, len(session["items"])) == (201, 18)


def test_each_item_carries_its_key_beside_its_number(run):
    _, session = run["created"]
    assert [(i["key"], i["number"]) for i in session["items"]] == [(str(n), n) for n in range(1, 19)]


def test_a_new_sessions_items_are_all_open(run):
    _, session = run["created"]
    assert {i["verdict"] for i in session["items"]} == {"open"}


def test_a_boot_in_the_session_is_followed_by_item_18s_trigger(run):
    assert TRIGGER in run["received"]


def test_the_triggered_status_notification_passes_item_18(run):
    assert run["item 18"]["remark"] == "Support triggermessage, reply status notification"


def test_an_items_command_returns_the_chargers_answer(run):
    status, body = run["command"]
    assert (status, body["payload"]) == (200, {"status": "Accepted"})


def test_an_items_command_is_tagged_with_the_items_key(run):
    _, frames = run["frames"]
    assert [f["sent_by"].rsplit(" ", 1)[-1] for f in frames] == ["case:17"]


def test_a_command_for_an_item_the_catalog_lacks_is_404(run):
    status, body = run["unknown item"]
    assert (status, body["detail"]) == (404, "Item 99 does not exist")


def test_clear_cache_answered_accepted_passes_item_17_with_evidence(run):
    item = run["item 17"]
    assert item["evidence"] and item["reason"] == "ClearCache answered Accepted"


def test_the_boot_passes_item_1(run):
    assert run["item 1"]["remark"] == "ok"


def test_an_override_sets_the_verdict(run):
    status, item = run["override"]
    assert (status, item["verdict"]) == (200, "not_supported")


def test_an_override_keeps_the_automatic_verdict(run):
    _, item = run["override"]
    assert item["auto_verdict"] == "open"


def test_an_override_without_a_remark_is_refused(run):
    status, body = run["blank override"]
    assert status == 400 and "Say why" in body["detail"]


def test_a_viewer_cannot_send_an_items_command(run):
    status, _ = run["viewer command"]
    assert status == 403


def test_a_viewer_reads_the_summary_with_its_counts(run):
    status, summary = run["viewer summary"]
    assert status == 200 and summary["counts"]["passed"] >= 3 and summary["counts"]["not_supported"] == 1
