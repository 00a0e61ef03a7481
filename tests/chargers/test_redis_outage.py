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


@pytest.fixture
def redis_port():
    if not shutil.which("redis-server"):
        missing("redis-server is not installed")
    return free_port()


async def test_chargers_are_served_while_redis_is_away(tmp_path, redis_port):
    redis = PrivateRedis(redis_port)
    env = base_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
    token = prepare(env)
    a, b = Daphne(env, token), Daphne(env, token)
    try:
        async with connected(a.server.ws_url, "CP-REDIS") as cp:
            await boot(cp)
            status, _ = await b.server.aapi("POST", "/chargers/CP-REDIS/commands/ClearCache", {})
            assert status == 200
            redis.stop()
            for _ in range(3):
                assert (await cp.call(call.Heartbeat())).current_time
            status, body = await b.server.aapi("POST", "/chargers/CP-REDIS/commands/ClearCache", {})
            assert status == 503 and "channel layer" in body["message"]
            redis = PrivateRedis(redis_port)
            deadline = asyncio.get_running_loop().time() + 30
            statuses = []
            while not statuses or statuses[-1] != 200:
                assert asyncio.get_running_loop().time() < deadline, statuses
                status, body = await b.server.aapi("POST", "/chargers/CP-REDIS/commands/ClearCache", {})
                statuses.append(status)
                assert status in (200, 409, 503, 504), body
                await asyncio.sleep(0.2)
            # While Redis recovers a command may be refused (409/503: never run,
            # a late delivery is dropped) or time out (504: it may have run).
            ran = 1 + statuses.count(200) + statuses.count(504)
            assert [action for action, _ in cp.received] == ["ClearCache"] * ran
            assert (await cp.call(call.Heartbeat())).current_time
        status, frames = await a.server.aapi("GET", "/chargers/CP-REDIS/frames?action=Heartbeat")
        assert len([f for f in frames if f["direction"] == "in"]) == 4
    finally:
        a.stop()
        b.stop()
        redis.stop()
