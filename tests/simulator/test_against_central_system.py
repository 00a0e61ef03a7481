"""The simulator against the live central system over real sockets."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from certify import sessions
from certify.ftp import make_server
from certify.models import SessionFile
from chargers.models import Charger, Frame
from chargers.simulator import SimulatedCharger, SimulatorOptions
from tests.servers import free_port
from tests.simulator.live import charger_calls, frames, until

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


async def test_offline_messages_arrive_once_in_order_with_their_original_times(live_server_ocpp):
    sim = SimulatedCharger(SimulatorOptions(url=live_server_ocpp.ws_url, charge_point_id="SIM-OFF", backoff_base=0.2))
    task = asyncio.create_task(sim.run())
    try:
        await sim.wait_booted(15)
        sim.config.change("MeterValueSampleInterval", "1")
        await sim.go_offline(3)
        await sim.plug(1)
        await sim.swipe("TAG-OFF", 1)  # authorized locally: the charger is offline
        await asyncio.sleep(1.6)
        await sim.unplug(1)
        queued = sum(1 for p in sim.queue if type(p).__name__ in ("StartTransaction", "MeterValues", "StopTransaction"))
        assert queued >= 4  # StartTransaction, Begin, periodic sample(s), StopTransaction
        await until(lambda: any(a == "StopTransaction" for a, _ in charger_calls("SIM-OFF")), 20)
    finally:
        await sim.stop()
        task.cancel()

    def check():
        calls = [
            (a, p) for a, p in charger_calls("SIM-OFF") if a in ("StartTransaction", "MeterValues", "StopTransaction")
        ]
        assert len(calls) == queued
        assert calls[0][0] == "StartTransaction" and calls[-1][0] == "StopTransaction"
        stamps = [p.get("timestamp") or p["meterValue"][0]["timestamp"] for _, p in calls]
        assert stamps == sorted(stamps)
        reconnected = [f for f in frames("SIM-OFF") if f.direction == "event" and '"connected"' in f.raw][-1]
        start = Frame.objects.get(charger__charge_point_id="SIM-OFF", action="StartTransaction", direction="out")
        tx = json.loads(start.raw)[2]["transactionId"]
        assert all(p.get("transactionId", tx) == tx for _, p in calls[1:])  # the real id, not a provisional one
        assert all(f.seq > reconnected.seq for f in frames("SIM-OFF") if f.action == "StartTransaction")
        assert stamps[0] < reconnected.ts.isoformat().replace("+00:00", "Z")  # timestamps from the offline period

    await sync_to_async(check)()


async def test_diagnostics_really_reach_the_ftp_server(live_server_ocpp, settings, tmp_path):
    settings.CERTIFY_FTP_ROOT = tmp_path
    port = free_port()
    server = make_server("127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
    thread.start()
    sim = SimulatedCharger(SimulatorOptions(url=live_server_ocpp.ws_url, charge_point_id="SIM-FTP"))
    task = asyncio.create_task(sim.run())
    try:
        await sim.wait_booted(15)
        session = await sync_to_async(sessions.create_session)("SIM-FTP")
        location = f"ftp://{session.ftp_user}:{session.ftp_password}@127.0.0.1:{port}/"
        status, body = await live_server_ocpp.aapi(
            "POST", "/chargers/SIM-FTP/commands/GetDiagnostics", {"location": location}
        )
        assert status == 200 and body["payload"]["fileName"].startswith("diagnostics-SIM-FTP")
        await until(lambda: SessionFile.objects.filter(session=session, kind="diagnostics").exists())
        received = await sync_to_async(SessionFile.objects.get)(session=session)
        assert received.source == "ftp" and received.size > 50
        assert b"Diagnostics of SIM-FTP" in await sync_to_async(lambda: received.file.read())()
    finally:
        await sim.stop()
        task.cancel()
        server.close_all()
        thread.join(5)


@pytest.mark.django_db(transaction=True)
def test_count_50_chargers_from_one_process_boot_and_heartbeat(live_server_ocpp):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "simulate_charger",
            "--url",
            live_server_ocpp.ws_url,
            "--id",
            "FLEET",
            "--count",
            "50",
            "--duration",
            "8",
            "--heartbeat-interval",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SECRET_KEY": "simulator-fleet-test", "DJANGO_SETTINGS_MODULE": "certify.settings"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ids = [f"FLEET-{n:03d}" for n in range(1, 51)]
    booted = set(
        Charger.objects.filter(charge_point_id__in=ids, booted_at__isnull=False).values_list(
            "charge_point_id", flat=True
        )
    )
    assert booted == set(ids)
    beating = set(
        Frame.objects.filter(charger__charge_point_id__in=ids, action="Heartbeat", direction="in").values_list(
            "charger__charge_point_id", flat=True
        )
    )
    assert beating == set(ids)
