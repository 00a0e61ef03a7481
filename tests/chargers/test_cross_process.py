"""Two real server processes share the Redis channel layer and one database: a
charger on one is commanded through the API of the other."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from ocpp.v16 import call

from tests.conftest import LiveServer

from .client import boot, connected

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(params=["sqlite", "postgres"])
def server_env(request, tmp_path, redis_url):
    env = {
        **os.environ,
        "SECRET_KEY": "cross-process-test",
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "VAR_DIR": str(tmp_path),
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"xproc-{uuid.uuid4().hex[:8]}",
        "OCPP_CALL_TIMEOUT": "5",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    dropdb = None
    if request.param == "sqlite":
        env["SQLITE_PATH"] = str(tmp_path / "shared.sqlite3")
        env.pop("DATABASE_URL", None)
    else:
        base = request.getfixturevalue("postgres_url")
        import psycopg

        name = f"certify_xproc_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name

        def dropdb():
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create_superuser('ops', '', 'pw-pw-pw-pw')",
        ],
        env=env,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    token = subprocess.run(
        [*manage, "create_api_token", "ops"], env=env, check=True, cwd=ROOT, timeout=60, capture_output=True, text=True
    ).stdout.strip()
    yield env, token
    if dropdb:
        dropdb()


@pytest.fixture
def two_servers(server_env):
    env, token = server_env
    servers, procs = [], []
    for _ in range(2):
        port = free_port()
        from chargers.management.commands.runlab import daphne_args

        procs.append(
            subprocess.Popen(
                daphne_args("127.0.0.1", port), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        )
        servers.append(LiveServer(port, token=token))
    deadline = time.monotonic() + 30
    for server in servers:
        wait_for_port(server.port, deadline)
    yield servers
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
