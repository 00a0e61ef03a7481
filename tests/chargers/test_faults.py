"""Faults against a real server process: killed mid-traffic, a database that
refuses writes, an oversized frame."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3

import pytest
import websockets

from tests.servers import Daphne, base_env, manage, prepare


@pytest.fixture
def env(tmp_path):
    env = base_env(tmp_path, SQLITE_TIMEOUT="1")
    prepare(env)
    return env


def stored_calls(env: dict, cp_id: str) -> list[str]:
    out = manage(
        env,
        "shell",
        "-c",
        "import json; from chargers.models import Frame; print(json.dumps(list(Frame.objects.filter("
        f"charger__charge_point_id={cp_id!r}, direction='in', message_type=2).values_list('unique_id', flat=True))))",
    )
    return json.loads(out.splitlines()[-1])


async def test_killed_server_lost_nothing_it_answered_and_the_charger_comes_back(env):
    daphne = Daphne(env)
    url = daphne.server.ws_url + "CP-KILL"
    answered: list[str] = []
    async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
        await ws.send('[2,"boot","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]')
        answered.append(json.loads(await ws.recv())[1])
        for n in range(200):
            await ws.send(json.dumps([2, f"hb{n}", "Heartbeat", {}]))
            if n == 100:
                daphne.proc.send_signal(signal.SIGKILL)
            try:
                answered.append(json.loads(await asyncio.wait_for(ws.recv(), 5))[1])
            except (websockets.ConnectionClosed, TimeoutError):
                break
    assert 50 < len(answered) < 201
    stored = stored_calls(env, "CP-KILL")
    # No CALLRESULT was ever sent for a frame that was not stored.
    assert set(answered) <= set(stored)
    restarted = Daphne(env, port=daphne.port)
    try:
        async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
            await ws.send('[2,"again","Heartbeat",{}]')
            assert json.loads(await ws.recv())[:2] == [3, "again"]
    finally:
        restarted.stop()
    assert stored_calls(env, "CP-KILL")[-1] == "again"


async def test_a_database_refusing_writes_gets_internal_error_then_service_resumes(env, tmp_path):
    daphne = Daphne(env)
    try:
        async with websockets.connect(daphne.server.ws_url + "CP-DB", subprotocols=["ocpp1.6"]) as ws:
            await ws.send('[2,"1","Heartbeat",{}]')
            assert json.loads(await ws.recv())[0] == 3
            blocker = sqlite3.connect(tmp_path / "server.sqlite3", isolation_level=None, timeout=5)
            blocker.execute("BEGIN EXCLUSIVE")
            try:
                await ws.send('[2,"2","Heartbeat",{}]')
                answer = json.loads(await asyncio.wait_for(ws.recv(), 15))
                assert answer[:3] == [4, "2", "InternalError"]
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            await ws.send('[2,"3","Heartbeat",{}]')
            assert json.loads(await asyncio.wait_for(ws.recv(), 15))[:2] == [3, "3"]
    finally:
        log = daphne.stop()
    assert "Could not store" in log
    assert stored_calls(env, "CP-DB") == ["1", "3"]


async def test_an_oversized_frame_closes_with_1009_and_is_logged(env):
    daphne = Daphne(env)
    try:
        async with websockets.connect(daphne.server.ws_url + "CP-BIG", subprotocols=["ocpp1.6"], max_size=None) as ws:
            await ws.send('[2,"1","Heartbeat",{}]')
            await ws.recv()
            await ws.send(json.dumps([2, "2", "DataTransfer", {"vendorId": "v", "data": "x" * 70_000}]))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 1009
        out = ""
        for _ in range(10):  # the disconnect is recorded just after the close
            out = manage(
                env,
                "shell",
                "-c",
                "from chargers.models import Frame; print([f.raw for f in Frame.objects.filter("
                "charger__charge_point_id='CP-BIG', direction='event')])",
            )
            if "disconnected" in out:
                break
            await asyncio.sleep(0.3)
    finally:
        log = daphne.stop()
    assert '"event":"disconnected","code":1009' in out
    assert "over 65536 bytes" in log
