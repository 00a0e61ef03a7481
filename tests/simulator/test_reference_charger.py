"""The default profile does what it says, against our own central system over a
real WebSocket: each key it accepts takes effect, reservations expire,
diagnostics reach a receiver whatever it takes, a firmware image's version is the
version after the reboot, and a Reset ends a running transaction as §5.14 says."""

from __future__ import annotations

import http.server
import threading
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from certify.models import CertSession, SessionFile
from certify.transfer import store
from tests.simulator.live import acalls, alast_seq, astatuses, calls, command, events, running, statuses, until

pytestmark = pytest.mark.django_db(transaction=True)
ENERGY = "Energy.Active.Import.Register"


def later(seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def change(server, cp_id: str, key: str, value: str) -> str:
    status, body = await command(server, cp_id, "ChangeConfiguration", {"key": key, "value": value})
    assert status == 200, body
    return body["payload"]["status"]


async def read(server, cp_id: str, key: str) -> str:
    _, body = await command(server, cp_id, "GetConfiguration", {"key": [key]})
    return body["payload"]["configurationKey"][0]["value"]


async def start_local(sim, cp_id: str, tag: str, connector: int = 1) -> None:
    await sim.plug(connector)
    await sim.swipe(tag, connector)
    await until(lambda: any(c.action == "StartTransaction" for c in calls(cp_id)))


def contexts(message) -> set[str]:
    return {v.get("context") for mv in message.payload["meterValue"] for v in mv["sampledValue"]}


def measured(message) -> set[str]:
    return {v.get("measurand") for mv in message.payload["meterValue"] for v in mv["sampledValue"]}


async def session_for(server, cp_id: str) -> CertSession:
    status, body = await server.aapi("POST", "/sessions", {"charge_point_id": cp_id, "engineer_name": "Sim"})
    assert status == 201, body
    return await sync_to_async(CertSession.objects.get)(pk=body["id"])


# -- meter values -------------------------------------------------------------------------


async def test_clock_aligned_meter_values_arrive_on_the_clock_boundaries(live_server_ocpp):
    cp_id = "REF-CLOCK"
    async with running(live_server_ocpp, cp_id):
        assert await change(live_server_ocpp, cp_id, "MeterValuesAlignedData", f"{ENERGY},Temperature") == "Accepted"
        before = await alast_seq(cp_id)
        assert await change(live_server_ocpp, cp_id, "ClockAlignedDataInterval", "2") == "Accepted"
        await until(lambda: len(calls(cp_id, "MeterValues", after=before)) >= 4)
    aligned = await acalls(cp_id, "MeterValues", after=before)
    assert {c.payload["connectorId"] for c in aligned} == {1, 2}
    for message in aligned:
        assert contexts(message) == {"Sample.Clock"} and measured(message) == {ENERGY, "Temperature"}
        stamp = datetime.fromisoformat(message.payload["meterValue"][0]["timestamp"].replace("Z", "+00:00"))
        assert stamp.microsecond == 0 and stamp.second % 2 == 0  # on a boundary counted from midnight


async def test_sampled_measurands_and_a_new_interval_take_effect_in_a_running_transaction(live_server_ocpp):
    cp_id = "REF-SAMPLED"
    async with running(live_server_ocpp, cp_id) as sim:
        await start_local(sim, cp_id, "TAG-S")
        wanted = f"{ENERGY},Temperature,Current.Offered"
        assert await change(live_server_ocpp, cp_id, "MeterValuesSampledData", wanted) == "Accepted"
        assert await change(live_server_ocpp, cp_id, "StopTxnSampledData", f"{ENERGY},Temperature") == "Accepted"
        before = await alast_seq(cp_id)
        assert await change(live_server_ocpp, cp_id, "MeterValueSampleInterval", "1") == "Accepted"  # was 60
        await until(lambda: len(calls(cp_id, "MeterValues", after=before)) >= 2)
        await sim.swipe("TAG-S", 1)
        await until(lambda: any(c.action == "StopTransaction" for c in calls(cp_id)))
    periodic = await acalls(cp_id, "MeterValues", after=before)
    assert all(contexts(m) == {"Sample.Periodic"} and measured(m) == set(wanted.split(",")) for m in periodic)
    (stop,) = await acalls(cp_id, "StopTransaction")
    data = stop.payload["transactionData"]
    assert data[0]["sampledValue"][0]["context"] == "Transaction.Begin"
    assert data[-1]["sampledValue"][-1]["context"] == "Transaction.End"
    assert {v["measurand"] for v in data[-1]["sampledValue"]} == {ENERGY, "Temperature"}


# -- reservations ---------------------------------------------------------------------------


async def test_a_reservation_expires_at_its_expiry_date(live_server_ocpp):
    cp_id = "REF-RESERVE"
    async with running(live_server_ocpp, cp_id):
        before = await alast_seq(cp_id)
        _, body = await command(
            live_server_ocpp,
            cp_id,
            "ReserveNow",
            {"connectorId": 1, "expiryDate": later(2), "idTag": "TAG-R", "reservationId": 41},
        )
        assert body["payload"]["status"] == "Accepted"
        await until(
            lambda: [s.payload["status"] for s in statuses(cp_id, 1, after=before)] == ["Reserved", "Available"]
        )
        _, cancelled = await command(live_server_ocpp, cp_id, "CancelReservation", {"reservationId": 41})
    assert cancelled["payload"]["status"] == "Rejected"  # nothing left to cancel


# -- diagnostics ------------------------------------------------------------------------------


class FormsOnly(http.server.BaseHTTPRequestHandler):
    """A receiver that refuses PUT and stores a multipart POST, as some labs' do."""

    bodies: list[bytes] = []

    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(403)
        self.end_headers()

    def do_POST(self):
        FormsOnly.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def forms_only():
    FormsOnly.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FormsOnly)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/diagnostics/"
    server.shutdown()
    thread.join(5)


async def diagnostics_statuses(cp_id: str, after: int) -> list[str]:
    return [c.payload["status"] for c in await acalls(cp_id, "DiagnosticsStatusNotification", after=after)]


async def test_diagnostics_reach_our_http_receiver(live_server_ocpp):
    cp_id = "REF-DIAG-HTTP"
    async with running(live_server_ocpp, cp_id):
        session = await session_for(live_server_ocpp, cp_id)
        location = f"{live_server_ocpp.http_url}/files/diagnostics/{session.pk}/{session.upload_secret}/"
        before = await alast_seq(cp_id)
        _, body = await command(live_server_ocpp, cp_id, "GetDiagnostics", {"location": location})
        await until(lambda: SessionFile.objects.filter(session=session, kind="diagnostics").exists())
        await until(lambda: len(calls(cp_id, "DiagnosticsStatusNotification", after=before)) == 2)
    received = await sync_to_async(SessionFile.objects.get)(session=session, kind="diagnostics")
    assert (received.name, received.source) == (body["payload"]["fileName"], "http")
    assert await diagnostics_statuses(cp_id, before) == ["Uploading", "Uploaded"]


async def test_diagnostics_go_as_a_multipart_post_when_the_receiver_refuses_put(live_server_ocpp, forms_only):
    cp_id = "REF-DIAG-POST"
    async with running(live_server_ocpp, cp_id):
        before = await alast_seq(cp_id)
        _, body = await command(live_server_ocpp, cp_id, "GetDiagnostics", {"location": forms_only})
        await until(lambda: len(calls(cp_id, "DiagnosticsStatusNotification", after=before)) == 2)
    assert await diagnostics_statuses(cp_id, before) == ["Uploading", "Uploaded"]
    (form,) = FormsOnly.bodies
    assert f'filename="{body["payload"]["fileName"]}"'.encode() in form and b"Diagnostics of REF-DIAG-POST" in form


# -- firmware -----------------------------------------------------------------------------------


async def test_the_firmware_version_after_the_update_is_the_image_s(live_server_ocpp):
    cp_id = "REF-FW"
    async with running(live_server_ocpp, cp_id) as sim:
        assert sim.firmware == "1.0.0"
        session = await session_for(live_server_ocpp, cp_id)
        await sync_to_async(store)(session, SessionFile.FIRMWARE, "fw-2.0.1.bin", b"IMAGE 2.0.1" * 100, "upload")
        location = f"{live_server_ocpp.http_url}/files/firmware/{session.pk}/{session.upload_secret}/fw-2.0.1.bin"
        before = await alast_seq(cp_id)
        await command(live_server_ocpp, cp_id, "UpdateFirmware", {"location": location, "retrieveDate": later()})
        await until(lambda: len(calls(cp_id, "BootNotification")) == 2, timeout=30)
    seen = await acalls(cp_id, "FirmwareStatusNotification", "BootNotification", after=before)
    assert [c.payload.get("status", "boot") for c in seen] == [
        "Downloading",
        "Downloaded",
        "Installing",
        "Installed",
        "boot",
    ]
    assert seen[-1].payload["firmwareVersion"] == "2.0.1"


# -- Reset during a transaction ---------------------------------------------------------------------


async def test_reset_hard_ends_a_transaction_with_hard_reset_after_the_reboot(live_server_ocpp):
    cp_id = "REF-HARD"
    async with running(live_server_ocpp, cp_id) as sim:
        await start_local(sim, cp_id, "TAG-H")
        transaction = sim.connectors[1].transaction_id
        _, answer = await command(live_server_ocpp, cp_id, "Reset", {"type": "Hard"})
        await until(lambda: any(c.action == "StopTransaction" for c in calls(cp_id)), timeout=20)
        await until(lambda: statuses(cp_id, 1)[-1].payload["status"] == "Available")
    assert answer["payload"]["status"] == "Accepted"
    (stop,) = await acalls(cp_id, "StopTransaction")
    reboot = (await acalls(cp_id, "BootNotification"))[-1]
    assert (stop.payload["transactionId"], stop.payload["reason"]) == (transaction, "HardReset")
    assert stop.seq > reboot.seq  # after the reboot was accepted (§5.14)
    after = [s.payload["status"] for s in await astatuses(cp_id, 1, after=reboot.seq)]
    assert after == ["Finishing", "Available"]  # the cable was still in; then the driver takes it


async def test_reset_soft_ends_a_transaction_with_soft_reset_before_the_reboot(live_server_ocpp):
    cp_id = "REF-SOFT"
    async with running(live_server_ocpp, cp_id) as sim:
        await start_local(sim, cp_id, "TAG-SO")
        await command(live_server_ocpp, cp_id, "Reset", {"type": "Soft"})
        await until(lambda: len(calls(cp_id, "BootNotification")) == 2, timeout=20)
    (stop,) = await acalls(cp_id, "StopTransaction")
    down = (await sync_to_async(events)(cp_id, "disconnected"))[0]
    assert stop.payload["reason"] == "SoftReset" and stop.seq < down.seq


# -- configuration a full-featured charger supports ---------------------------------------------------

CHARGING_PROFILE = {
    "connectorId": 1,
    "csChargingProfiles": {
        "chargingProfileId": 3,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]},
    },
}


async def test_smart_charging_enabled_and_a_network_setting_are_honoured(live_server_ocpp):
    cp_id = "REF-KEYS"
    async with running(live_server_ocpp, cp_id) as sim:
        assert await change(live_server_ocpp, cp_id, "SmartChargingEnabled", "false") == "Accepted"
        _, off = await command(live_server_ocpp, cp_id, "SetChargingProfile", CHARGING_PROFILE)
        assert await change(live_server_ocpp, cp_id, "SmartChargingEnabled", "true") == "Accepted"
        _, on = await command(live_server_ocpp, cp_id, "SetChargingProfile", CHARGING_PROFILE)
        assert await change(live_server_ocpp, cp_id, "VendorNetworkMode", "lte") == "RebootRequired"
        assert await read(live_server_ocpp, cp_id, "VendorNetworkMode") == "ethernet"
        boots = sim.boots
        await command(live_server_ocpp, cp_id, "Reset", {"type": "Soft"})
        await sim.wait_rebooted(boots, 20)
        assert await read(live_server_ocpp, cp_id, "VendorNetworkMode") == "lte"
    assert (off["payload"]["status"], on["payload"]["status"]) == ("Rejected", "Accepted")


async def test_standard_keys_only_answers_not_supported_to_keys_beyond_the_specification(live_server_ocpp):
    cp_id = "REF-STDKEYS"
    async with running(live_server_ocpp, cp_id, "standard-keys-only"):
        answers = [
            await change(live_server_ocpp, cp_id, k, v)
            for k, v in (("SmartChargingEnabled", "false"), ("VendorNetworkMode", "lte"))
        ]
        _, body = await command(live_server_ocpp, cp_id, "SetChargingProfile", CHARGING_PROFILE)
    assert answers == ["NotSupported", "NotSupported"] and body["payload"]["status"] == "Accepted"


async def test_keys_of_authorisation_and_the_cable_take_effect(live_server_ocpp):
    """LocalPreAuthorize (§9.1.13) with the cache: a known card starts without
    Authorize; StopTransactionOnEVSideDisconnect false (§9.1.23): an unplug
    suspends the transaction instead of ending it."""
    cp_id = "REF-AUTHKEYS"
    async with running(live_server_ocpp, cp_id) as sim:
        await start_local(sim, cp_id, "TAG-K")
        await sim.swipe("TAG-K", 1)
        assert await change(live_server_ocpp, cp_id, "LocalPreAuthorize", "true") == "Accepted"
        assert await change(live_server_ocpp, cp_id, "StopTransactionOnEVSideDisconnect", "false") == "Accepted"
        before = await alast_seq(cp_id)
        await sim.plug(2)
        await sim.swipe("TAG-K", 2)
        await until(lambda: any(c.action == "StartTransaction" for c in calls(cp_id, after=before)))
        await sim.unplug(2)
        await until(lambda: statuses(cp_id, 2)[-1].payload["status"] == "SuspendedEV")
    sent = [c.action for c in await acalls(cp_id, after=before)]
    assert "Authorize" not in sent and "StopTransaction" not in sent
