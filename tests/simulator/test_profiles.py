"""Each behaviour profile does what it promises, shown with the real simulator
against the real central system: the frames it sends and their order. What a
verdict makes of them is certify's business, not these tests'."""

from __future__ import annotations

import asyncio
import http.server
import threading
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from chargers.models import IdTag
from chargers.simulator.control import ControlServer
from tests.conftest import free_port
from tests.simulator.live import (
    acalls,
    alast_seq,
    astatuses,
    calls,
    command,
    events,
    running,
    statuses,
    until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def later(seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds").replace("+00:00", "Z")


def charging_profile(pid: int, unit: str, limit: float) -> dict:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": pid,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


async def configuration(server, cp_id: str, *keys: str) -> dict[str, str]:
    status, body = await command(server, cp_id, "GetConfiguration", {"key": list(keys)} if keys else {})
    assert status == 200, body
    return {k["key"]: k.get("value") for k in body["payload"].get("configurationKey", [])}


async def start_local(sim, cp_id: str, tag: str, connector: int = 1) -> None:
    await sim.plug(connector)
    await sim.swipe(tag, connector)
    await until(lambda: any(c.action == "StartTransaction" for c in calls(cp_id)))


# -- stopping ---------------------------------------------------------------------------


async def test_finishing_first_sends_finishing_before_stop_transaction_via_the_control_port(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-FINFIRST", "finishing-first") as sim:
        port = free_port()
        server = await ControlServer({sim.id: sim}).serve(port)
        try:
            for event in ("plug?connector=1", "swipe?connector=1&tag=TAG-FF", "stop?connector=1"):
                await asyncio.to_thread(_post, f"http://127.0.0.1:{port}/{sim.id}/{event}")
            await until(lambda: any(c.action == "StopTransaction" for c in calls("PRF-FINFIRST")))
            await until(lambda: statuses("PRF-FINFIRST", 1)[-1].payload["status"] == "Available")
        finally:
            server.close()
    stop = (await acalls("PRF-FINFIRST", "StopTransaction"))[0]
    finishing = [s for s in await astatuses("PRF-FINFIRST", 1) if s.payload["status"] == "Finishing"]
    assert stop.payload["reason"] == "Local"
    assert len(finishing) == 1 and finishing[0].seq < stop.seq


def _post(url: str) -> None:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=15) as response:
        assert response.status == 200


async def test_default_sends_finishing_after_stop_transaction(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-FINAFTER") as sim:
        await start_local(sim, "PRF-FINAFTER", "TAG-FA")
        await sim.swipe("TAG-FA", 1)
        await until(lambda: any(s.payload["status"] == "Finishing" for s in statuses("PRF-FINAFTER", 1)))
    stop = (await acalls("PRF-FINAFTER", "StopTransaction"))[0]
    finishing = [s for s in await astatuses("PRF-FINAFTER", 1) if s.payload["status"] == "Finishing"]
    assert finishing[0].seq > stop.seq


async def test_no_finishing_goes_from_charging_to_available_after_a_stop(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-NOFIN", "no-finishing") as sim:
        await start_local(sim, "PRF-NOFIN", "TAG-NF")
        await sim.swipe("TAG-NF", 1)
        await until(lambda: statuses("PRF-NOFIN", 1)[-1].payload["status"] == "Available")
    stop = (await acalls("PRF-NOFIN", "StopTransaction"))[0]
    after = [s.payload["status"] for s in await astatuses("PRF-NOFIN", 1, after=stop.seq)]
    assert after == ["Available"]


async def test_stop_no_reason_leaves_reason_out_of_a_local_stop(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-NOREASON", "stop-no-reason") as sim:
        await start_local(sim, "PRF-NOREASON", "TAG-NR")
        await sim.swipe("TAG-NR", 1)
        await until(lambda: any(c.action == "StopTransaction" for c in calls("PRF-NOREASON")))
    stop = (await acalls("PRF-NOREASON", "StopTransaction"))[0]
    assert "reason" not in stop.payload and stop.payload["idTag"] == "TAG-NR"


async def test_stop_no_reason_goes_from_charging_to_available_on_unplug(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-UNPLUG", "stop-no-reason") as sim:
        await start_local(sim, "PRF-UNPLUG", "TAG-UP")
        await until(lambda: statuses("PRF-UNPLUG", 1)[-1].payload["status"] == "Charging")
        charging = (await astatuses("PRF-UNPLUG", 1))[-1]
        await sim.unplug(1)
        await until(lambda: statuses("PRF-UNPLUG", 1)[-1].payload["status"] == "Available")
    stop = (await acalls("PRF-UNPLUG", "StopTransaction"))[0]
    assert stop.payload["reason"] == "EVDisconnected"
    assert [s.payload["status"] for s in await astatuses("PRF-UNPLUG", 1, after=charging.seq)] == ["Available"]


# -- starting ---------------------------------------------------------------------------


async def test_charging_first_goes_available_to_charging_before_a_remote_start_transaction(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-CHFIRST", "charging-first"):
        before = await alast_seq("PRF-CHFIRST")
        status, body = await command(
            live_server_ocpp, "PRF-CHFIRST", "RemoteStartTransaction", {"connectorId": 1, "idTag": "TAG-CF"}
        )
        assert status == 200 and body["payload"]["status"] == "Accepted"
        await until(lambda: any(c.action == "StartTransaction" for c in calls("PRF-CHFIRST")))
    start = (await acalls("PRF-CHFIRST", "StartTransaction"))[0]
    after = await astatuses("PRF-CHFIRST", 1, after=before)
    assert [s.payload["status"] for s in after] == ["Charging"]  # no Preparing (§4.9 A3)
    assert after[0].seq < start.seq


async def test_charging_first_sends_charging_before_a_local_start_transaction(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-CHLOCAL", "charging-first") as sim:
        await start_local(sim, "PRF-CHLOCAL", "TAG-CL", connector=2)
    start = (await acalls("PRF-CHLOCAL", "StartTransaction"))[0]
    charging = [s for s in await astatuses("PRF-CHLOCAL", 2) if s.payload["status"] == "Charging"]
    assert charging[0].seq < start.seq


async def test_start_when_refused_starts_for_a_card_authorize_refused(live_server_ocpp):
    await sync_to_async(IdTag.objects.create)(id_tag="REFUSED-1", status="Invalid")
    async with running(live_server_ocpp, "PRF-REFUSED", "start-when-refused") as sim:
        await sim.plug(1)
        assert await sim.swipe("REFUSED-1", 1) == "Invalid"
        await until(lambda: any(c.action == "StartTransaction" for c in calls("PRF-REFUSED")))
    authorize, start = await acalls("PRF-REFUSED", "Authorize", "StartTransaction")
    assert authorize.action == "Authorize" and start.payload["idTag"] == "REFUSED-1"
    assert authorize.seq < start.seq


async def test_default_does_not_start_for_a_refused_card(live_server_ocpp):
    await sync_to_async(IdTag.objects.create)(id_tag="REFUSED-2", status="Invalid")
    async with running(live_server_ocpp, "PRF-REFUSED2") as sim:
        await sim.plug(1)
        assert await sim.swipe("REFUSED-2", 1) == "Invalid"
        assert sim.connectors[1].transaction_id is None
    assert not await acalls("PRF-REFUSED2", "StartTransaction")


async def test_default_stops_a_transaction_whose_start_the_central_system_refused(live_server_ocpp):
    await sync_to_async(IdTag.objects.create)(id_tag="REFUSED-3", status="Invalid")
    async with running(live_server_ocpp, "PRF-DEAUTH") as sim:
        await sim.plug(1)
        _, body = await command(
            live_server_ocpp, "PRF-DEAUTH", "RemoteStartTransaction", {"connectorId": 1, "idTag": "REFUSED-3"}
        )
        assert body["payload"]["status"] == "Accepted"  # AuthorizeRemoteTxRequests is false
        await until(lambda: any(c.action == "StopTransaction" for c in calls("PRF-DEAUTH")))
    start, stop = await acalls("PRF-DEAUTH", "StartTransaction", "StopTransaction")
    assert start.payload["idTag"] == "REFUSED-3" and stop.payload["reason"] == "DeAuthorized"


# -- boot and heartbeat -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "iccid", "imsi"), [("default", True, True), ("no-iccid", False, True), ("no-sim", False, False)]
)
async def test_boot_notification_carries_the_modem_fields_the_profile_has(live_server_ocpp, profile, iccid, imsi):
    cp_id = f"PRF-BOOT-{profile}"
    async with running(live_server_ocpp, cp_id, profile):
        pass
    boot = (await acalls(cp_id, "BootNotification"))[0].payload
    assert ("iccid" in boot, "imsi" in boot) == (iccid, imsi)
    assert boot["chargePointVendor"] and boot["chargePointModel"]


async def test_heartbeat_on_idle_sends_no_heartbeat_while_transaction_messages_flow(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-IDLE", "heartbeat-on-idle") as sim:
        sim.config.change("MeterValueSampleInterval", "1")
        status, _ = await command(
            live_server_ocpp, "PRF-IDLE", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "4"}
        )
        assert status == 200
        await start_local(sim, "PRF-IDLE", "TAG-IDLE")
        await until(lambda: len([c for c in calls("PRF-IDLE", "MeterValues")]) >= 6)
        await sim.swipe("TAG-IDLE", 1)
        await until(lambda: any(c.action == "Heartbeat" for c in calls("PRF-IDLE")), timeout=20)
    sent = await acalls("PRF-IDLE")
    start = next(c for c in sent if c.action == "StartTransaction")
    stop = next(c for c in sent if c.action == "StopTransaction")
    beats = [c for c in sent if c.action == "Heartbeat"]
    assert not [b for b in beats if start.seq < b.seq < stop.seq]
    assert sent[1].action != "Heartbeat" and beats[0].seq > stop.seq  # none right after the boot either


async def test_default_sends_a_heartbeat_right_after_its_boot_statuses(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-BEAT"):
        await until(lambda: any(c.action == "Heartbeat" for c in calls("PRF-BEAT")))
    actions = [c.action for c in await acalls("PRF-BEAT")]
    assert actions[:5] == ["BootNotification", *["StatusNotification"] * 3, "Heartbeat"]


# -- configuration ----------------------------------------------------------------------


async def test_empty_configuration_lists_no_key_when_asked_for_all(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-EMPTY", "empty-configuration"):
        assert await configuration(live_server_ocpp, "PRF-EMPTY") == {}
        assert await configuration(live_server_ocpp, "PRF-EMPTY", "HeartbeatInterval") == {"HeartbeatInterval": "60"}


@pytest.mark.parametrize("key", ["MeterValueSampleInterval", "HeartbeatInterval"])
async def test_reboot_required_applies_a_change_after_the_next_reboot(live_server_ocpp, key):
    cp_id = f"PRF-REBOOTREQ-{key[:5]}"
    async with running(live_server_ocpp, cp_id, "reboot-required") as sim:
        old = (await configuration(live_server_ocpp, cp_id, key))[key]
        _, body = await command(live_server_ocpp, cp_id, "ChangeConfiguration", {"key": key, "value": "7"})
        assert body["payload"]["status"] == "RebootRequired"
        assert (await configuration(live_server_ocpp, cp_id, key))[key] == old
        boots = sim.boots
        await command(live_server_ocpp, cp_id, "Reset", {"type": "Soft"})
        await sim.wait_rebooted(boots, 20)
        if key == "HeartbeatInterval":  # the boot's own interval (§4.2) wins over it afterwards
            assert sim.config.keys[key].value != "7" and not sim.config.pending
        else:
            assert (await configuration(live_server_ocpp, cp_id, key))[key] == "7"


async def test_no_cache_has_no_cache_key_and_no_local_list_profile(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-NOCACHE", "no-cache"):
        keys = await configuration(live_server_ocpp, "PRF-NOCACHE")
        _, cleared = await command(live_server_ocpp, "PRF-NOCACHE", "ClearCache")
        _, version = await command(live_server_ocpp, "PRF-NOCACHE", "GetLocalListVersion")
        _, sent = await command(
            live_server_ocpp, "PRF-NOCACHE", "SendLocalList", {"listVersion": 1, "updateType": "Full"}
        )
    assert "AuthorizationCacheEnabled" not in keys and "LocalAuthListEnabled" not in keys
    assert "LocalAuthListManagement" not in keys["SupportedFeatureProfiles"].split(",")
    assert cleared["payload"]["status"] == "Rejected"
    assert version["payload"]["listVersion"] == -1 and sent["payload"]["status"] == "NotSupported"


# -- optional feature profiles ------------------------------------------------------------

NON_CORE = {
    "UpdateFirmware": {"location": "http://127.0.0.1:9/fw.bin", "retrieveDate": later()},
    "GetDiagnostics": {"location": "ftp://127.0.0.1:9/"},
    "SetChargingProfile": charging_profile(1, "A", 16.0),
    "ClearChargingProfile": {},
    "GetCompositeSchedule": {"connectorId": 1, "duration": 60},
    "TriggerMessage": {"requestedMessage": "StatusNotification"},
    "SendLocalList": {"listVersion": 1, "updateType": "Full"},
    "GetLocalListVersion": {},
    "ReserveNow": {"connectorId": 1, "expiryDate": later(600), "idTag": "TAG-R", "reservationId": 1},
    "CancelReservation": {"reservationId": 1},
}


async def test_core_only_answers_not_implemented_to_every_non_core_command(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-CORE", "core-only"):
        answers = {action: await command(live_server_ocpp, "PRF-CORE", action, p) for action, p in NON_CORE.items()}
        keys = await configuration(live_server_ocpp, "PRF-CORE")
        _, cleared = await command(live_server_ocpp, "PRF-CORE", "ClearCache")
    assert {a: (s, b["status"], b["code"]) for a, (s, b) in answers.items()} == {
        a: (502, "callerror", "NotImplemented") for a in NON_CORE
    }
    assert keys["SupportedFeatureProfiles"] == "Core" and "ChargeProfileMaxStackLevel" not in keys
    assert cleared["payload"]["status"] == "Accepted"  # ClearCache is Core


async def test_no_smart_charging_rejects_charging_profiles_and_lacks_the_profile(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-NOSC", "no-smart-charging"):
        keys = await configuration(live_server_ocpp, "PRF-NOSC")
        _, answer = await command(live_server_ocpp, "PRF-NOSC", "SetChargingProfile", charging_profile(1, "A", 16.0))
    assert "SmartCharging" not in keys["SupportedFeatureProfiles"].split(",")
    assert answer["payload"]["status"] == "Rejected"


async def test_power_only_rejects_a_profile_in_amperes_and_accepts_one_in_watts(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-POWER", "power-only"):
        keys = await configuration(live_server_ocpp, "PRF-POWER", "ChargingScheduleAllowedChargingRateUnit")
        _, amperes = await command(live_server_ocpp, "PRF-POWER", "SetChargingProfile", charging_profile(1, "A", 16.0))
        _, watts = await command(live_server_ocpp, "PRF-POWER", "SetChargingProfile", charging_profile(2, "W", 11000))
    assert keys == {"ChargingScheduleAllowedChargingRateUnit": "Power"}
    assert (amperes["payload"]["status"], watts["payload"]["status"]) == ("Rejected", "Accepted")


# -- reset ------------------------------------------------------------------------------


async def test_reject_first_reset_rejects_the_first_reset_and_reboots_on_the_second(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-RESET", "reject-first-reset") as sim:
        _, first = await command(live_server_ocpp, "PRF-RESET", "Reset", {"type": "Hard"})
        boots = sim.boots
        _, second = await command(live_server_ocpp, "PRF-RESET", "Reset", {"type": "Hard"})
        await sim.wait_rebooted(boots, 20)
    assert (first["payload"]["status"], second["payload"]["status"]) == ("Rejected", "Accepted")
    assert len(await acalls("PRF-RESET", "BootNotification")) == 2


async def test_no_reboot_on_reset_accepts_a_reset_and_stays_connected(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-NORESET", "no-reboot-on-reset") as sim:
        _, answer = await command(live_server_ocpp, "PRF-NORESET", "Reset", {"type": "Hard"})
        await asyncio.sleep(1.5)  # a reboot would have closed the socket by now (0.2 s + reboot_delay)
        await command(live_server_ocpp, "PRF-NORESET", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert sim.boots == 1 and sim.online.is_set()
        assert await sync_to_async(events)("PRF-NORESET", "disconnected") == []
    assert answer["payload"]["status"] == "Accepted"


# -- remote stop and trigger ------------------------------------------------------------


async def test_ignore_remote_stop_accepts_and_never_stops(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-NOSTOP", "ignore-remote-stop") as sim:
        await start_local(sim, "PRF-NOSTOP", "TAG-NS")
        tx = sim.connectors[1].transaction_id
        _, answer = await command(live_server_ocpp, "PRF-NOSTOP", "RemoteStopTransaction", {"transactionId": tx})
        await asyncio.sleep(1)  # the default stops at once, from the answer's @after handler
        await command(live_server_ocpp, "PRF-NOSTOP", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert sim.connectors[1].transaction_id == tx
    assert answer["payload"]["status"] == "Accepted"
    assert not await acalls("PRF-NOSTOP", "StopTransaction")


async def test_trigger_ignored_sends_no_status_for_the_trigger_nor_a_report_of_its_own(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-TRIG", "trigger-ignored", trigger_quiet=30) as sim:
        before = await alast_seq("PRF-TRIG")
        _, answer = await command(
            live_server_ocpp, "PRF-TRIG", "TriggerMessage", {"requestedMessage": "StatusNotification"}
        )
        # a boot right after it: its status report would otherwise pass for the triggered one
        await command(live_server_ocpp, "PRF-TRIG", "TriggerMessage", {"requestedMessage": "BootNotification"})
        await until(lambda: len(calls("PRF-TRIG", "BootNotification")) == 2)
        await asyncio.sleep(0.5)  # the default reports every connector at once after a boot
        await command(live_server_ocpp, "PRF-TRIG", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        silent = await acalls("PRF-TRIG", "StatusNotification", after=before)
        await sim.plug(1)  # a status an event causes still goes
        await until(lambda: any(s.payload["status"] == "Preparing" for s in statuses("PRF-TRIG", 1)))
    assert answer["payload"]["status"] == "Accepted"
    assert silent == []


async def test_default_answers_a_trigger_with_the_statuses_it_asks_for(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-TRIGOK"):
        before = await alast_seq("PRF-TRIGOK")
        await command(live_server_ocpp, "PRF-TRIGOK", "TriggerMessage", {"requestedMessage": "StatusNotification"})
        await until(lambda: len(calls("PRF-TRIGOK", "StatusNotification", after=before)) == 3)


# -- meter values ---------------------------------------------------------------------------


async def test_kw_units_reports_kwh_kw_and_per_phase_voltage_and_current(live_server_ocpp):
    async with running(live_server_ocpp, "PRF-KW", "kw-units") as sim:
        await start_local(sim, "PRF-KW", "TAG-KW")
        await until(lambda: any(c.action == "MeterValues" for c in calls("PRF-KW")))
    values = (await acalls("PRF-KW", "MeterValues"))[0].payload["meterValue"][0]["sampledValue"]
    units = {(v["measurand"], v["unit"], v.get("phase")) for v in values if v["measurand"] != "SoC"}
    assert units == {
        ("Energy.Active.Import.Register", "kWh", None),
        ("Power.Active.Import", "kW", None),
        *{("Current.Import", "A", p) for p in ("L1", "L2", "L3")},
        *{("Voltage", "V", p) for p in ("L1", "L2", "L3")},
    }
    start = (await acalls("PRF-KW", "StartTransaction"))[0].payload
    assert isinstance(start["meterStart"], int)  # meterStart stays in Wh (§6.45)


# -- firmware -------------------------------------------------------------------------------


@pytest.fixture
def firmware_url():
    class Image(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"FIRMWARE IMAGE 2.0"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Image)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/firmware.bin"
    server.shutdown()
    thread.join(5)


@pytest.mark.parametrize(
    ("profile", "order"),
    [
        ("default", ["Downloading", "Downloaded", "Installing", "Installed", "boot"]),
        ("reboot-before-installed", ["Downloading", "Downloaded", "Installing", "boot", "Installed"]),
    ],
)
async def test_firmware_update_reports_and_reboots_in_the_profile_order(live_server_ocpp, firmware_url, profile, order):
    cp_id = f"PRF-FW-{profile[:6]}"
    async with running(live_server_ocpp, cp_id, profile) as sim:
        old = sim.firmware
        before = await alast_seq(cp_id)
        status, _ = await command(
            live_server_ocpp, cp_id, "UpdateFirmware", {"location": firmware_url, "retrieveDate": later()}
        )
        assert status == 200
        await until(lambda: any(c.payload.get("status") == "Installed" for c in calls(cp_id)), timeout=30)
        await until(lambda: len(calls(cp_id, "BootNotification")) == 2, timeout=30)
    seen = [
        "boot" if c.action == "BootNotification" else c.payload["status"]
        for c in await acalls(cp_id, "FirmwareStatusNotification", "BootNotification", after=before)
    ]
    assert seen == order
    boot = (await acalls(cp_id, "BootNotification", after=before))[0].payload
    assert boot["firmwareVersion"] != old


# -- offline ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "after_reconnect"),
    [
        ("default", ["Preparing", "Charging", "Finishing", "Available"]),  # queued with their own times
        ("drop-offline-statuses", ["Available"]),  # only the current status (§4.9)
    ],
)
async def test_offline_statuses_are_queued_or_dropped_as_the_profile_says(live_server_ocpp, profile, after_reconnect):
    cp_id = f"PRF-OFF-{profile[:4]}"
    async with running(live_server_ocpp, cp_id, profile) as sim:
        await sim.go_offline(3)
        await sim.plug(1)
        await sim.swipe("TAG-OFF", 1)  # authorised locally: offline
        await sim.swipe("TAG-OFF", 1)  # a local stop, still offline
        await until(lambda: len(events(cp_id, "connected")) == 2, timeout=20)
        await until(lambda: any(c.action == "StopTransaction" for c in calls(cp_id)), timeout=20)
        await until(lambda: statuses(cp_id, 1)[-1].payload["status"] == "Available", timeout=20)
    reconnected = (await sync_to_async(events)(cp_id, "connected"))[-1].seq
    sent = await acalls(cp_id, after=reconnected)
    connector_1 = [
        c.payload["status"] for c in sent if c.action == "StatusNotification" and c.payload["connectorId"] == 1
    ]
    assert connector_1 == after_reconnect
    stop = next(c for c in sent if c.action == "StopTransaction")
    assert stop.payload["reason"] == "Local"
    available = next(c for c in sent if c.action == "StatusNotification" and c.payload["status"] == "Available")
    assert next(c.action for c in sent if c.action != "StatusNotification") == "StartTransaction"
    assert available.seq > stop.seq
