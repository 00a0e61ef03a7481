"""Two real server processes share the Redis channel layer and one database: a
charger on one is commanded through the API of the other."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from ocpp.v16 import call

from tests.servers import Daphne, base_env, prepare

from .client import boot, connected


@pytest.fixture(params=["sqlite", "postgres"])
def server_env(request, tmp_path, redis_url):
    extra = {"REDIS_URL": redis_url}
    dropdb = None
    if request.param == "postgres":
        base = request.getfixturevalue("postgres_url")
        import psycopg

        name = f"certify_xproc_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        extra["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name

        def dropdb():
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    env = base_env(tmp_path, **extra)
    yield env, prepare(env)
    if dropdb:
        dropdb()


@pytest.fixture
def two_servers(server_env):
    env, token = server_env
    daphnes = [Daphne(env, token) for _ in range(2)]
    yield [d.server for d in daphnes]
    for d in daphnes:
        d.stop()


async def test_a_command_reaches_a_charger_on_the_other_process(two_servers):
    a, b = two_servers
    async with connected(a.ws_url, "CP-ON-A") as cp:
        await boot(cp)
        status, body = await b.aapi(
            "POST", "/chargers/CP-ON-A/commands/GetConfiguration", {"key": ["HeartbeatInterval"]}
        )
        assert status == 200, body
        assert body["payload"]["configurationKey"][0]["key"] == "HeartbeatInterval"
        assert [action for action, _ in cp.received] == ["GetConfiguration"]
        # And the charger's own traffic keeps flowing while commands cross over.
        assert (await cp.call(call.Heartbeat())).current_time
    async with connected(b.ws_url, "CP-ON-B") as cp:
        await boot(cp)
        status, body = await a.aapi("POST", "/chargers/CP-ON-B/commands/ClearCache", {})
        assert status == 200 and body["payload"] == {"status": "Accepted"}
    status, body = await a.aapi("POST", "/chargers/CP-ON-B/commands/ClearCache", {})
    assert status == 409 and "not connected" in body["message"]
    status, frames = await b.aapi("GET", "/chargers/CP-ON-A/frames?action=GetConfiguration")
    assert status == 200
    assert [(f["direction"], f["message_type"]) for f in frames] == [("out", 2), ("in", 3)]
    assert frames[0]["sent_by"].startswith("token:")


async def test_a_charger_moving_between_processes_keeps_one_numbering(two_servers):
    """Each process remembers the last seq it wrote per charger. A charger that
    reconnects to the other process and back makes the first one's memory stale:
    its next write conflicts, reloads the numbering and goes on, gap-free."""
    a, b = two_servers
    for server in (a, b, a):
        async with connected(server.ws_url, "CP-MOVES") as cp:
            await boot(cp)
            assert (await cp.call(call.Heartbeat())).current_time
    # connected, Boot in/out, Heartbeat in/out, disconnected: six per visit.
    frames: list = []
    deadline = asyncio.get_running_loop().time() + 15
    while len(frames) < 18 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)  # the last disconnection is written after the socket closes
        status, frames = await b.aapi("GET", "/chargers/CP-MOVES/frames?limit=1000")
        assert status == 200
    assert [f["seq"] for f in frames] == list(range(1, 19))
    assert [f["action"] for f in frames if f["direction"] == "in"] == ["BootNotification", "Heartbeat"] * 3
