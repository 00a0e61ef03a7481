"""Shared test fixtures: a real daphne process serving the app on 127.0.0.1,
sharing the test database with the test process, and helpers to talk to it.

Services (Redis, PostgreSQL, Chromium) are used for real when present. Without
them their tests are skipped with the reason; with CERTIFY_REQUIRE_SERVICES=1
(set by .ci/run) a missing service fails the test instead.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pytest
from django.conf import settings
from django.db import connections

REQUIRE_SERVICES = os.environ.get("CERTIFY_REQUIRE_SERVICES") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or ""


def missing(reason: str) -> None:
    """Skip, or fail where CI promised every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CERTIFY_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if not port_open("127.0.0.1", 6379):
        missing("Redis is not running on 127.0.0.1:6379")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not port_open("127.0.0.1", 5432):
        missing("PostgreSQL is not running on 127.0.0.1:5432")
    return url


def chromium_binary() -> str:
    """Debian's Chromium, or a skip (a failure under CI) saying it is missing."""
    if not CHROMIUM:
        missing("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def chromium_path() -> str:
    return chromium_binary()


# Waits shortened for tests through settings, never through sleeps.
TEST_SETTINGS = {
    "OCPP_CALL_TIMEOUT": 5.0,
    "OCPP_COMMAND_ACK_TIMEOUT": 2.0,
    "OCPP_HEARTBEAT_INTERVAL": 60,
}


def _make_app():
    from certify.asgi import application

    return application


def _use_test_database() -> None:
    # Forked after the test database was created: settings already name it.
    for conn in connections.all():
        conn.close()
    # A fork keeps the parent's thread pools but not their threads: a pool whose
    # worker ran in the parent (a test that awaited database_sync_to_async before
    # the server started) would take work in the child and never run it.
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    from certify import open_sessions
    from chargers.frames import thread

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    thread.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer")
    open_sessions.forget()


# Django's default hasher spends about a second of CPU per password on a loaded 2-core box,
# and every live-server test makes a user (and every browser test logs in): tests hash the
# way Django's testing docs advise. The lab's own hashing is not under test here.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory):
    """Uploads, reports and the lab's signing key of a test run stay out of var/; passwords
    are hashed fast (the live server is forked after this and keeps it)."""
    from django.test import override_settings

    var = tmp_path_factory.mktemp("var")
    with override_settings(
        MEDIA_ROOT=var / "media", VAR_DIR=var, CERTIFY_FTP_ROOT=var / "ftp", PASSWORD_HASHERS=FAST_PASSWORD_HASHERS
    ):
        yield var


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker, media_root):
    """One daphne process for the session, on a free port of 127.0.0.1."""
    from daphne.testing import DaphneProcess

    for key, value in TEST_SETTINGS.items():
        setattr(settings, key, value)
    # Where the simulator panel looks for a simulator: tests start one there.
    settings.SIMULATOR_CONTROL_URL = f"http://127.0.0.1:{free_port()}"
    # The FTP port diagnostics locations name (a test that uploads starts the server there).
    settings.CERTIFY_FTP_PORT = free_port()
    process = DaphneProcess(
        "127.0.0.1",
        _make_app,
        kwargs={
            "websocket_timeout": -1,
            "ping_interval": 20,
            "ping_timeout": 30,
            "websocket_max_message_size": settings.OCPP_MAX_FRAME_BYTES,
        },
        setup=_use_test_database,
    )
    # The child is forked: it must inherit a database that is not blocked.
    with django_db_blocker.unblock():
        for conn in connections.all():
            conn.close()
        process.start()
    if not process.ready.wait(timeout=30):
        process.terminate()
        raise RuntimeError("daphne did not start within 30 s")
    yield process.port.value
    process.terminate()
    process.join(10)


@dataclass
class LiveServer:
    port: int
    token: str = ""
    username: str = "engineer"
    password: str = "correct-horse-battery"
    extra: dict = field(default_factory=dict)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/"

    def api(self, method: str, path: str, json_body=None, token: str | None = None, timeout: float = 30):
        """Call the JSON API; return (status, parsed body)."""
        data = None if json_body is None else json.dumps(json_body).encode()
        request = urllib.request.Request(f"{self.http_url}/api{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token if token is None else token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, json.loads(body or b"null")
            except ValueError:
                return error.code, body.decode(errors="replace")

    async def aapi(self, method: str, path: str, json_body=None, **kwargs):
        import asyncio

        return await asyncio.to_thread(partial(self.api, method, path, json_body, **kwargs))


@pytest.fixture
def live_server_ocpp(daphne_server, transactional_db) -> LiveServer:
    """The live server, with an engineer user and an API token in the database."""
    from django.contrib.auth import get_user_model

    from chargers.models import ApiToken

    server = LiveServer(daphne_server)
    user = get_user_model().objects.create_superuser(server.username, "", server.password)
    _, server.token = ApiToken.issue(user, "tests")
    return server


# -- for modules that run one conversation once (a module-scoped fixture) and check each of its
# behaviours in a test of its own


@pytest.fixture(scope="module")
def db_access(django_db_setup, django_db_blocker) -> Callable:
    """Run `fn(*args)` with the test database unblocked (for module-scoped scenarios)."""

    def run(fn: Callable, *args):
        with django_db_blocker.unblock():
            return fn(*args)

    return run


@pytest.fixture(scope="module")
def module_server(daphne_server, db_access) -> Callable[[], LiveServer]:
    """Makes the shared daphne's LiveServer with a user and an API token of its
    own. Called by each scenario as it starts: the tests between two scenarios
    empty the database."""

    def make() -> LiveServer:
        from django.contrib.auth import get_user_model

        from chargers.models import ApiToken

        server = LiveServer(daphne_server, username=f"engineer-{uuid.uuid4().hex[:8]}")
        user = db_access(get_user_model().objects.create_superuser, server.username, "", server.password)
        _, server.token = db_access(ApiToken.issue, user, "tests")
        return server

    return make
