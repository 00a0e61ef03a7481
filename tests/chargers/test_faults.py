"""Faults against a real server process: killed mid-traffic, a database that
refuses writes, an oversized frame. Each fault is staged once per module; each
test checks one behaviour of it."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3

import pytest
import websockets

from tests.servers import Daphne, base_env, manage, prepare


def fresh_env(tmp_path_factory, name: str) -> dict:
    env = base_env(tmp_path_factory.mktemp(name), SQLITE_TIMEOUT="1")
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


# -- killed mid-traffic ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def killed(tmp_path_factory) -> dict:
    """A server killed (SIGKILL) after 100 heartbeats, then started again."""
    env = fresh_env(tmp_path_factory, "killed")
    daphne = Daphne(env)
    url = daphne.server.ws_url + "CP-KILL"
    seen: dict = {"answered": []}

    async def traffic() -> None:
        async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
            await ws.send('[2,"boot","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]')
            seen["answered"].append(json.loads(await ws.recv())[1])
            for n in range(200):
                await ws.send(json.dumps([2, f"hb{n}", "Heartbeat", {}]))
                if n == 100:
                    daphne.proc.send_signal(signal.SIGKILL)
                try:
                    seen["answered"].append(json.loads(await asyncio.wait_for(ws.recv(), 5))[1])
                except (websockets.ConnectionClosed, TimeoutError):
                    break

    async def again() -> None:
        async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
            await ws.send('[2,"again","Heartbeat",{}]')
            seen["again"] = json.loads(await ws.recv())

    asyncio.run(traffic())
    assert 50 < len(seen["answered"]) < 201, "the kill did not land mid-traffic"
    seen["stored before restart"] = stored_calls(env, "CP-KILL")
    restarted = Daphne(env, port=daphne.port)
    try:
        asyncio.run(again())
    finally:
        restarted.stop()
    seen["stored after restart"] = stored_calls(env, "CP-KILL")
    return seen


def test_a_killed_server_had_stored_every_call_it_answered(killed):
    assert set(killed["answered"]) <= set(killed["stored before restart"])


def test_a_charger_is_served_again_after_a_restart(killed):
    assert killed["again"][:2] == [3, "again"]


def test_the_restarted_server_stores_into_the_same_log(killed):
    assert killed["stored after restart"][-1] == "again"


# -- a database refusing writes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def refusing_database(tmp_path_factory) -> dict:
    """A heartbeat while another connection holds the SQLite file exclusively, then one after."""
    env = fresh_env(tmp_path_factory, "refusing")
    daphne = Daphne(env)
    seen: dict = {}

    async def traffic() -> None:
        async with websockets.connect(daphne.server.ws_url + "CP-DB", subprotocols=["ocpp1.6"]) as ws:
            await ws.send('[2,"1","Heartbeat",{}]')
            seen["before"] = json.loads(await ws.recv())
            blocker = sqlite3.connect(env["SQLITE_PATH"], isolation_level=None, timeout=5)
            blocker.execute("BEGIN EXCLUSIVE")
            try:
                await ws.send('[2,"2","Heartbeat",{}]')
                seen["during"] = json.loads(await asyncio.wait_for(ws.recv(), 15))
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            await ws.send('[2,"3","Heartbeat",{}]')
            seen["after"] = json.loads(await asyncio.wait_for(ws.recv(), 15))

    try:
        asyncio.run(traffic())
    finally:
        seen["log"] = daphne.stop()
    seen["stored"] = stored_calls(env, "CP-DB")
    return seen


def test_a_call_the_database_refuses_is_answered_with_internal_error(refusing_database):
    assert refusing_database["during"][:3] == [4, "2", "InternalError"]


def test_service_resumes_once_the_database_writes_again(refusing_database):
    assert refusing_database["after"][:2] == [3, "3"]


def test_a_refused_write_is_logged(refusing_database):
    assert "Could not store" in refusing_database["log"]


def test_a_call_the_database_refused_is_not_in_the_log(refusing_database):
    assert refusing_database["stored"] == ["1", "3"]


# -- an oversized frame ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oversized(tmp_path_factory) -> dict:
    """A DataTransfer of 70,000 bytes, over the 64 KiB limit."""
    env = fresh_env(tmp_path_factory, "oversized")
    daphne = Daphne(env)
    seen: dict = {"events": ""}

    async def traffic() -> None:
        async with websockets.connect(daphne.server.ws_url + "CP-BIG", subprotocols=["ocpp1.6"], max_size=None) as ws:
            await ws.send('[2,"1","Heartbeat",{}]')
            await ws.recv()
            await ws.send(json.dumps([2, "2", "DataTransfer", {"vendorId": "v", "data": "x" * 70_000}]))
            try:
                await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed as closed:
                seen["close code"] = closed.rcvd.code
        for _ in range(10):  # the disconnect is recorded just after the close
            seen["events"] = manage(
                env,
                "shell",
                "-c",
                "from chargers.models import Frame; print([f.raw for f in Frame.objects.filter("
                "charger__charge_point_id='CP-BIG', direction='event')])",
            )
            if "disconnected" in seen["events"]:
                break
            await asyncio.sleep(0.3)

    try:
        asyncio.run(traffic())
    finally:
        seen["log"] = daphne.stop()
    return seen


def test_an_oversized_frame_closes_the_connection_with_1009(oversized):
    assert oversized.get("close code") == 1009


def test_the_1009_close_is_in_the_evidence_log(oversized):
    assert '"event":"disconnected","code":1009' in oversized["events"]


def test_an_oversized_frame_is_logged_with_the_limit(oversized):
    assert "over 65536 bytes" in oversized["log"]
