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


@pytest.fixture(scope="module")
def uvicorn(tmp_path_factory):
    env = base_env(tmp_path_factory.mktemp("uvicorn"))
    server = Daphne(env, prepare(env), server="uvicorn")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def session(uvicorn) -> dict:
    """A charger boots, sends a heartbeat and is sent a command; then its frames are read."""
    api = uvicorn.server
    seen: dict = {}

    async def scenario() -> None:
        async with connected(api.ws_url, "CP-UV") as cp:
            seen["boot"] = await boot(cp)
            seen["heartbeat"] = await cp.call(call.Heartbeat())
            seen["command"] = await api.aapi("POST", "/chargers/CP-UV/commands/ClearCache", {})
        seen["frames"] = await api.aapi("GET", "/chargers/CP-UV/frames?limit=100")

    asyncio.run(scenario())
    return seen


def test_a_charger_boots_under_uvicorn(session):
    assert session["boot"].status == "Accepted"
    assert session["heartbeat"].current_time


def test_a_command_is_answered_under_uvicorn(session):
    status, body = session["command"]
    assert (status, body["payload"]) == (200, {"status": "Accepted"})


def test_frames_are_stored_in_order_under_uvicorn(session):
    status, frames = session["frames"]
    assert status == 200
    assert [(f["direction"], f["action"]) for f in frames if f["direction"] != "event"] == [
        ("in", "BootNotification"),
        ("out", "BootNotification"),
        ("in", "Heartbeat"),
        ("out", "Heartbeat"),
        ("out", "ClearCache"),
        ("in", "ClearCache"),
    ]


def test_frames_are_numbered_without_gaps_under_uvicorn(session):
    _, frames = session["frames"]
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))


async def test_a_charger_offering_no_ocpp16_is_refused_under_uvicorn(uvicorn):
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(uvicorn.server.ws_url + "CP-UV-WRONG", subprotocols=["ocpp2.0.1"]):
            pass


async def test_an_oversized_frame_closes_with_1009_under_uvicorn(uvicorn):
    async with websockets.connect(uvicorn.server.ws_url + "CP-UV-BIG", subprotocols=["ocpp1.6"], max_size=None) as ws:
        await ws.send(json.dumps([2, "1", "DataTransfer", {"vendorId": "v", "data": "x" * 70_000}]))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 1009
