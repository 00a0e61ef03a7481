"""uvicorn is offered beside daphne (`manage.py runlab --server uvicorn`): the
same app must behave the same under it, as a charger and a script see it."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from ocpp.v16 import call

from tests.servers import Daphne, base_env, prepare

from .client import boot, connected


@pytest.fixture
def uvicorn(tmp_path):
    env = base_env(tmp_path)
    server = Daphne(env, prepare(env), server="uvicorn")
    yield server
    server.stop()


async def test_a_charger_and_a_script_under_uvicorn(uvicorn):
    api = uvicorn.server
    async with connected(api.ws_url, "CP-UV") as cp:
        assert (await boot(cp)).status == "Accepted"
        assert (await cp.call(call.Heartbeat())).current_time
        status, body = await api.aapi("POST", "/chargers/CP-UV/commands/ClearCache", {})
        assert status == 200 and body["payload"] == {"status": "Accepted"}
    status, frames = await api.aapi("GET", "/chargers/CP-UV/frames?limit=100")
    assert status == 200
    assert [(f["direction"], f["action"]) for f in frames if f["direction"] != "event"] == [
        ("in", "BootNotification"),
        ("out", "BootNotification"),
        ("in", "Heartbeat"),
        ("out", "Heartbeat"),
        ("out", "ClearCache"),
        ("in", "ClearCache"),
    ]
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))

    # A charger that speaks no OCPP 1.6 is refused; an oversized frame closes with 1009.
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(api.ws_url + "CP-UV-WRONG", subprotocols=["ocpp2.0.1"]):
            pass
    async with websockets.connect(api.ws_url + "CP-UV-BIG", subprotocols=["ocpp1.6"], max_size=None) as ws:
        assert ws.subprotocol == "ocpp1.6"
        await ws.send(json.dumps([2, "1", "DataTransfer", {"vendorId": "v", "data": "x" * 70_000}]))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd.code == 1009
