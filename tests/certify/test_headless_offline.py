"""Item 16 by button, across processes: a session on server B takes offline a
charger whose socket is on server A; both refuse its reconnects for N s, each
refusal is an event in its evidence log, and then it is accepted again."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
import websockets
from ocpp.v16 import call

from tests.chargers.client import boot, connected
from tests.servers import Daphne, base_env, prepare, scratch_database


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def two_servers(request, tmp_path_factory, redis_url):
    """Two server processes on one database, per database kind, for the module
    (each start migrates a database and costs seconds); the tests use charger ids
    of their own."""
    tmp_path = tmp_path_factory.mktemp(f"offline-{request.param}")
    extra = {"REDIS_URL": redis_url}
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            extra["DATABASE_URL"] = stack.enter_context(
                scratch_database(request.getfixturevalue("postgres_url"), "certify_offline")
            )
        env = base_env(tmp_path, **extra)
        token = prepare(env)
        daphnes = [Daphne(env, token) for _ in range(2)]
        yield [d.server for d in daphnes]
        for d in daphnes:
            d.stop()


async def refused(ws_url: str, cp_id: str) -> bool:
    try:
        async with websockets.connect(ws_url + cp_id, subprotocols=["ocpp1.6"], open_timeout=5):
            return False
    except websockets.InvalidStatus as exc:
        return exc.response.status_code == 403


async def events(server, cp_id: str, wanted: int) -> list[dict]:
    found: list[dict] = []
    for _ in range(50):
        status, frames = await server.aapi("GET", f"/chargers/{cp_id}/frames?limit=1000")
        assert status == 200
        found = [json.loads(f["raw"]) for f in frames if f["direction"] == "event"]
        if len(found) >= wanted:
            break
        await asyncio.sleep(0.2)
    return found


async def test_take_offline_on_one_process_closes_and_refuses_on_both(two_servers):
    a, b = two_servers
    async with connected(a.ws_url, "CP-OFF") as cp:
        await boot(cp)
        status, session = await b.aapi("POST", "/sessions", {"charge_point_id": "CP-OFF", "engineer_name": "CI"})
        assert status == 201
        status, body = await b.aapi("POST", f"/sessions/{session['id']}/offline", {"seconds": 4})
        assert status == 200, body
        assert body["charge_point_id"] == "CP-OFF" and body["until"]
        await asyncio.wait_for(cp._connection.wait_closed(), 10)
        assert cp._connection.close_code == 4001
    assert await refused(a.ws_url, "CP-OFF")
    assert await refused(b.ws_url, "CP-OFF")
    for _ in range(40):  # the window ends after 4 s; then it is accepted again
        await asyncio.sleep(0.25)
        if not await refused(b.ws_url, "CP-OFF"):
            break
    async with connected(b.ws_url, "CP-OFF") as cp:
        assert (await cp.call(call.Heartbeat())).current_time
    kinds = [e["event"] for e in await events(a, "CP-OFF", 7)]
    assert kinds[:4] == ["connected", "offline", "disconnected", "refused"]
    assert kinds.count("refused") >= 2 and "connected" in kinds[4:]
    offline = next(e for e in await events(a, "CP-OFF", 0) if e["event"] == "offline")
    assert offline["seconds"] == 4 and offline["by"].startswith("token:")


async def test_take_offline_refuses_seconds_out_of_range(two_servers):
    a, _ = two_servers
    async with connected(a.ws_url, "CP-OFF2") as cp:
        await boot(cp)
        _, session = await a.aapi("POST", "/sessions", {"charge_point_id": "CP-OFF2"})
        status, body = await a.aapi("POST", f"/sessions/{session['id']}/offline", {"seconds": 0})
        assert status == 400 and "1 to 3600" in body["detail"]
