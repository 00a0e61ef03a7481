"""Redis going away: chargers keep being served and logged on each process;
commands across processes fail with a clear error, and work again when Redis
returns. Uses a private redis-server so the shared one is left alone."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
from ocpp.v16 import call

from tests.conftest import missing
from tests.servers import Daphne, base_env, free_port, prepare, wait_for_port

from .client import boot, connected


class PrivateRedis:
    def __init__(self, port: int):
        self.port = port
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(port, time.monotonic() + 10)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def outage(tmp_path_factory) -> dict:
    """A charger on process A, commands through process B; Redis stops, then returns."""
    if not shutil.which("redis-server"):
        missing("redis-server is not installed")
    port = free_port()
    redis = PrivateRedis(port)
    env = base_env(tmp_path_factory.mktemp("outage"), REDIS_URL=f"redis://127.0.0.1:{port}/0")
    token = prepare(env)
    a, b = Daphne(env, token), Daphne(env, token)
    seen: dict = {"heartbeats while away": []}

    async def scenario() -> None:
        nonlocal redis
        async with connected(a.server.ws_url, "CP-REDIS") as cp:
            await boot(cp)
            seen["command before"] = await b.server.aapi("POST", "/chargers/CP-REDIS/commands/ClearCache", {})
            redis.stop()
            for _ in range(3):
                seen["heartbeats while away"].append(await cp.call(call.Heartbeat()))
            seen["command while away"] = await b.server.aapi("POST", "/chargers/CP-REDIS/commands/ClearCache", {})
            redis = PrivateRedis(port)
            deadline = asyncio.get_running_loop().time() + 30
            statuses: list[int] = []
            while (not statuses or statuses[-1] != 200) and asyncio.get_running_loop().time() < deadline:
                status, _ = await b.server.aapi("POST", "/chargers/CP-REDIS/commands/ClearCache", {})
                statuses.append(status)
                await asyncio.sleep(0.2)
            seen["statuses on return"] = statuses
            seen["received"] = [action for action, _ in cp.received]
            seen["heartbeat after"] = await cp.call(call.Heartbeat())
        seen["heartbeats stored"] = await a.server.aapi("GET", "/chargers/CP-REDIS/frames?action=Heartbeat")

    try:
        asyncio.run(scenario())
    finally:
        a.stop()
        b.stop()
        redis.stop()
    return seen


def test_a_command_across_processes_reaches_the_charger(outage):
    assert outage["command before"][0] == 200


def test_a_charger_is_served_while_redis_is_away(outage):
    assert all(answer.current_time for answer in outage["heartbeats while away"])
    assert len(outage["heartbeats while away"]) == 3


def test_a_command_across_processes_fails_with_503_naming_the_channel_layer(outage):
    status, body = outage["command while away"]
    assert status == 503
    assert "channel layer" in body["message"]


def test_commands_across_processes_work_again_when_redis_returns(outage):
    assert outage["statuses on return"][-1] == 200


def test_while_redis_recovers_a_command_is_refused_or_times_out(outage):
    # A command may be refused (409/503: never run, a late delivery is dropped)
    # or time out (504: it may have run).
    assert set(outage["statuses on return"]) <= {200, 409, 503, 504}


def test_a_command_runs_at_most_once(outage):
    statuses = outage["statuses on return"]
    ran = 1 + statuses.count(200) + statuses.count(504)
    assert outage["received"] == ["ClearCache"] * ran


def test_every_heartbeat_is_stored_through_the_outage(outage):
    _, frames = outage["heartbeats stored"]
    assert len([f for f in frames if f["direction"] == "in"]) == 4
