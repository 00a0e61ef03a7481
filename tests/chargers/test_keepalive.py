"""Connections that live: a half-open socket is found by pings and closed; a
flooding charger is slowed down, never dropped nor crashed."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
import websockets

from tests.servers import Daphne, base_env, manage, prepare


def events(env: dict, cp_id: str) -> list[dict]:
    out = manage(
        env,
        "shell",
        "-c",
        "import json; from chargers.models import Frame; print(json.dumps([json.loads(f.raw) for f in "
        f"Frame.objects.filter(charger__charge_point_id={cp_id!r}, direction='event')]))",
    )
    return json.loads(out.splitlines()[-1])


def test_a_half_open_socket_is_closed_within_ping_interval_plus_timeout(tmp_path):
    env = base_env(tmp_path)
    prepare(env)
    daphne = Daphne(env, extra_args=("--ping-interval", "1", "--ping-timeout", "1"))
    try:
        # A raw socket that completes the handshake and then never reads again:
        # the charger's side of a cable pulled out mid-session.
        sock = socket.create_connection(("127.0.0.1", daphne.port), timeout=5)
        sock.sendall(
            b"GET /ocpp/CP-HALF HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
        )
        assert b"101" in sock.recv(1024).split(b"\r\n")[0]
        started = time.monotonic()
        found = []
        while time.monotonic() - started < 15 and not found:
            time.sleep(0.5)
            found = [e for e in events(env, "CP-HALF") if e["event"] == "disconnected"]
        assert found, "the half-open socket was not closed within the 15 s waited (ping 1 s + timeout 1 s)"
        sock.close()
    finally:
        daphne.stop()


@pytest.fixture(scope="module")
def flood(tmp_path_factory) -> dict:
    """100 heartbeats sent at once to a server that allows 20 frames/s."""
    env = base_env(tmp_path_factory.mktemp("flood"), OCPP_RATE_LIMIT="20")
    prepare(env)
    daphne = Daphne(env)
    seen: dict = {}

    async def scenario() -> None:
        async with websockets.connect(daphne.server.ws_url + "CP-FLOOD", subprotocols=["ocpp1.6"]) as ws:
            for n in range(100):
                await ws.send(json.dumps([2, f"h{n}", "Heartbeat", {}]))
            seen["answers"] = [json.loads(await asyncio.wait_for(ws.recv(), 20)) for _ in range(100)]

    try:
        asyncio.run(scenario())
    finally:
        seen["log"] = daphne.stop()
    return seen


def test_a_flooding_charger_gets_every_answer_in_order(flood):
    assert [(a[0], a[1]) for a in flood["answers"]] == [(3, f"h{n}") for n in range(100)]


def test_a_flooding_charger_is_logged_as_throttled(flood):
    assert "throttled" in flood["log"]
