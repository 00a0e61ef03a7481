"""Two real server processes share the Redis channel layer and one database: a
charger on one is commanded through the API of the other. On SQLite and on
PostgreSQL; each pair of processes runs its conversations once, each test
checks one behaviour of them."""

from __future__ import annotations

import asyncio
import contextlib
import os

import pytest
from ocpp.v16 import call

from tests.conftest import missing, port_open
from tests.servers import Daphne, base_env, prepare, scratch_database

from .client import boot, connected

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def two_servers(request, tmp_path_factory):
    if not port_open("127.0.0.1", 6379):
        missing("Redis is not running on 127.0.0.1:6379")
    extra = {"REDIS_URL": REDIS_URL}
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            if not port_open("127.0.0.1", 5432):
                missing("PostgreSQL is not running on 127.0.0.1:5432")
            extra["DATABASE_URL"] = stack.enter_context(scratch_database(POSTGRES_URL, "certify_xproc"))
        env = base_env(tmp_path_factory.mktemp(request.param), **extra)
        token = prepare(env)
        daphnes = [Daphne(env, token) for _ in range(2)]
        yield [d.server for d in daphnes]
        for d in daphnes:
            d.stop()


@pytest.fixture(scope="module")
def crossing(two_servers) -> dict:
    """Commands from each process to a charger on the other, then to one gone."""
    a, b = two_servers
    seen: dict = {}

    async def scenario() -> None:
        async with connected(a.ws_url, "CP-ON-A") as cp:
            await boot(cp)
            seen["b to a"] = await b.aapi(
                "POST", "/chargers/CP-ON-A/commands/GetConfiguration", {"key": ["HeartbeatInterval"]}
            )
            seen["received on a"] = [action for action, _ in cp.received]
            seen["heartbeat on a"] = await cp.call(call.Heartbeat())
        async with connected(b.ws_url, "CP-ON-B") as cp:
            await boot(cp)
            seen["a to b"] = await a.aapi("POST", "/chargers/CP-ON-B/commands/ClearCache", {})
        seen["a to b gone"] = await a.aapi("POST", "/chargers/CP-ON-B/commands/ClearCache", {})
        seen["frames via b"] = await b.aapi("GET", "/chargers/CP-ON-A/frames?action=GetConfiguration")

    asyncio.run(scenario())
    return seen


def test_a_command_reaches_a_charger_on_the_other_process(crossing):
    status, body = crossing["b to a"]
    assert status == 200, body
    assert body["payload"]["configurationKey"][0]["key"] == "HeartbeatInterval"
    assert crossing["received on a"] == ["GetConfiguration"]


def test_a_command_reaches_a_charger_on_the_other_process_the_other_way(crossing):
    status, body = crossing["a to b"]
    assert (status, body["payload"]) == (200, {"status": "Accepted"})


def test_the_chargers_own_traffic_flows_while_commands_cross_over(crossing):
    assert crossing["heartbeat on a"].current_time


def test_a_command_to_a_charger_gone_from_the_other_process_is_409(crossing):
    status, body = crossing["a to b gone"]
    assert status == 409
    assert "not connected" in body["message"]


def test_a_command_across_processes_is_stored_with_its_answer_and_sender(crossing):
    status, frames = crossing["frames via b"]
    assert status == 200
    assert [(f["direction"], f["message_type"]) for f in frames] == [("out", 2), ("in", 3)]
    assert frames[0]["sent_by"].startswith("token:")


@pytest.fixture(scope="module")
def moving(two_servers) -> list:
    """A charger that visits A, B and A again; its frames as stored."""
    a, b = two_servers

    async def scenario() -> list:
        for server in (a, b, a):
            async with connected(server.ws_url, "CP-MOVES") as cp:
                await boot(cp)
                await cp.call(call.Heartbeat())
        # connected, Boot in/out, Heartbeat in/out, disconnected: six per visit.
        frames: list = []
        deadline = asyncio.get_running_loop().time() + 15
        while len(frames) < 18 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)  # the last disconnection is written after the socket closes
            _, frames = await b.aapi("GET", "/chargers/CP-MOVES/frames?limit=1000")
        return frames

    return asyncio.run(scenario())


def test_a_charger_moving_between_processes_keeps_one_numbering(moving):
    """Each process remembers the last seq it wrote per charger. A charger that
    reconnects to the other process and back makes the first one's memory stale:
    its next write conflicts, reloads the numbering and goes on, gap-free."""
    assert [f["seq"] for f in moving] == list(range(1, 19))


def test_a_charger_moving_between_processes_loses_no_frame(moving):
    assert [f["action"] for f in moving if f["direction"] == "in"] == ["BootNotification", "Heartbeat"] * 3
