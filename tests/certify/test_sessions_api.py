"""The sessions API against a live server and a charger on a real socket."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from ocpp.v16 import call

from chargers.models import ApiToken
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.django_db(transaction=True)


async def wait_for(server, pk: int, number: int, verdict: str, timeout: float = 15) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        _status, body = await server.aapi("GET", f"/sessions/{pk}")
        item = next(i for i in body["items"] if i["number"] == number)
        if item["verdict"] == verdict or loop.time() > deadline:
            return item
        await asyncio.sleep(0.2)


async def test_a_session_is_run_and_judged_through_the_api(live_server_ocpp):
    server = live_server_ocpp
    async with connected(server.ws_url, "CP-API") as cp:
        await boot(cp)
        status, session = await server.aapi("POST", "/sessions", {"charge_point_id": "CP-API", "engineer_name": "Ada"})
        assert status == 201 and len(session["items"]) == 18
        pk = session["id"]
        assert {i["verdict"] for i in session["items"]} == {"open"}
        # A boot inside the session, then item 18's trigger follows by itself.
        await boot(cp)
        for _ in range(100):  # the trigger comes as a task after the answer
            if ("TriggerMessage", {"requested_message": "StatusNotification"}) in cp.received:
                break
            await asyncio.sleep(0.05)
        await cp.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
        item = await wait_for(server, pk, 18, "passed")
        assert item["remark"] == "Support triggermessage, reply status notification"
        assert ("TriggerMessage", {"requested_message": "StatusNotification"}) in cp.received
        status, body = await server.aapi("POST", f"/sessions/{pk}/items/17/commands/ClearCache", {})
        assert status == 200 and body["payload"] == {"status": "Accepted"}
        item = await wait_for(server, pk, 17, "passed")
        assert item["evidence"] and item["reason"] == "ClearCache answered Accepted"
        item = await wait_for(server, pk, 1, "passed")
        assert item["remark"] == "ok"

    status, item = await server.aapi(
        "POST", f"/sessions/{pk}/items/15/override", {"verdict": "not_supported", "remark": "Not supported by Acme"}
    )
    assert status == 200 and item["verdict"] == "not_supported" and item["auto_verdict"] == "open"
    status, body = await server.aapi("POST", f"/sessions/{pk}/items/15/override", {"verdict": "passed", "remark": " "})
    assert status == 400 and "Say why" in body["detail"]

    def viewer_token():
        user = User.objects.create_user("v-api")
        user.groups.add(Group.objects.get_or_create(name="viewer")[0])
        return ApiToken.issue(user)[1]

    token = await sync_to_async(viewer_token)()
    status, _ = await server.aapi("POST", f"/sessions/{pk}/items/17/commands/ClearCache", {}, token=token)
    assert status == 403
    status, summary = await server.aapi("GET", f"/sessions/{pk}/summary", token=token)
    assert status == 200 and summary["counts"]["passed"] >= 3 and summary["counts"]["not_supported"] == 1
