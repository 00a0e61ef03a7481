"""The profiles a headless bench and the findings are tested with (issues 20 and
22): each does what its description says, shown on a charger whose messages
are recorded, and where a socket matters, against our own central system."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from chargers.simulator import PROFILES
from tests.simulator.live import acalls, alast_seq, calls, command, frames, running, until
from tests.simulator.recorder import Recorder

ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
async def chargers():
    """Make recorded chargers by profile; all stopped at the end."""
    made: list[Recorder] = []

    def make(profile: str = "default", **options) -> Recorder:
        made.append(Recorder(profile, **options))
        return made[-1]

    yield make
    for charger in made:
        await charger.close()


class Receiver(http.server.BaseHTTPRequestHandler):
    """Counts the requests that reach it, and takes every upload and download."""

    requests: list[str] = []

    def do_PUT(self):
        Receiver.requests.append("PUT")
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.end_headers()

    def do_GET(self):
        Receiver.requests.append("GET")
        body = b"IMAGE" * 100
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join(5)


def status_words(charger: Recorder, action: str) -> list[str]:
    return [p.status for p in charger.actions(action)]


# -- every profile says whether it is legal and what it rests on ---------------------------------


@pytest.mark.parametrize(
    ("name", "legal"),
    [
        *[
            (n, True)
            for n in (
                "no-plugged-timeout",
                "ftp-only",
                "http-only",
                "authorize-remote",
                "one-connector",
                "slow-reboot",
                "energy-only-default",
                "reject-boot-trigger",
                "min-status-duration",
            )
        ],
        *[(n, False) for n in ("no-connection-timeout", "upload-fails", "install-fails")],
        *[(n, False) for n in ("meter-backwards", "double-call", "naive-timestamps", "bad-transition")],
    ],
)
def test_each_bench_profile_is_legal_or_names_the_clause_it_breaks(name, legal):
    profile = PROFILES[name]
    assert profile.legal == legal and "§" in profile.description
    findings = name in ("meter-backwards", "double-call", "naive-timestamps", "bad-transition")
    assert profile.shown_by == ("findings" if findings else "cases")


# -- ConnectionTimeOut (§9.1.6) ----------------------------------------------------------------


async def test_no_plugged_timeout_keeps_a_plugged_cable_preparing_but_times_out_a_card(chargers):
    sim = chargers("no-plugged-timeout")
    sim.config.change("ConnectionTimeOut", "1")
    await sim.plug(1)  # no card: stays Preparing
    await sim.swipe("TAG-1", 2)  # a card, no cable: times out
    await sim.until(lambda: sim.statuses(2) == ["Preparing", "Available"])
    assert sim.statuses(1) == ["Preparing"] and sim.connectors[1].plugged


async def test_no_connection_timeout_never_times_out_an_identified_driver(chargers):
    fault, reference = chargers("no-connection-timeout"), chargers()
    for sim in (fault, reference):
        sim.config.change("ConnectionTimeOut", "1")
        await sim.swipe("TAG-1", 1)
    await reference.until(lambda: reference.statuses(1) == ["Preparing", "Available"])
    assert fault.statuses(1) == ["Preparing"] and fault.connectors[1].pending_tag == "TAG-1"


# -- file transfer protocols -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "protocols", "refused"),
    [("ftp-only", "FTP", "http://127.0.0.1:9/"), ("http-only", "HTTP,HTTPS", "ftp://127.0.0.1:9/")],
)
async def test_a_charger_uploads_only_over_the_protocols_it_reports(chargers, name, protocols, refused):
    sim = chargers(name)
    assert sim.config.get(["SupportedFileTransferProtocols"])[0] == [
        {"key": "SupportedFileTransferProtocols", "readonly": True, "value": protocols}
    ]
    sim.diagnostics_name = "diag.log"
    await sim.upload_diagnostics(refused, None, None)
    assert status_words(sim, "DiagnosticsStatusNotification") == ["Uploading", "UploadFailed"]
    assert "is not among" in sim.lines[-1][1]  # refused for its protocol, not for the unreachable port


async def test_http_only_uploads_over_http(chargers, receiver):
    sim = chargers("http-only")
    sim.diagnostics_name = "diag.log"
    await sim.upload_diagnostics(receiver, None, None)
    assert status_words(sim, "DiagnosticsStatusNotification") == ["Uploading", "Uploaded"] and Receiver.requests == [
        "PUT"
    ]


async def test_upload_fails_reports_upload_failed_and_moves_no_byte(chargers, receiver):
    sim = chargers("upload-fails")
    sim.diagnostics_name = "diag.log"
    for location in (receiver, "ftp://127.0.0.1:9/"):
        await sim.upload_diagnostics(location, None, None)
    assert status_words(sim, "DiagnosticsStatusNotification") == ["Uploading", "UploadFailed"] * 2
    assert Receiver.requests == []


async def test_install_fails_downloads_the_image_and_keeps_its_firmware(chargers, receiver):
    sim = chargers("install-fails")
    await sim.update_firmware(receiver + "fw-2.0.1.bin", datetime.now(UTC).isoformat())
    assert status_words(sim, "FirmwareStatusNotification") == [
        "Downloading",
        "Downloaded",
        "Installing",
        "InstallationFailed",
    ]
    assert Receiver.requests == ["GET"] and sim.firmware == "1.0.0" and sim.offline_until == 0.0  # no reboot


# -- configuration a profile sets -----------------------------------------------------------------


async def test_authorize_remote_authorizes_a_remote_start_first_and_keeps_the_key(chargers):
    sim = chargers("authorize-remote")
    assert sim.config.get(["AuthorizeRemoteTxRequests"])[0][0] == {
        "key": "AuthorizeRemoteTxRequests",
        "readonly": True,
        "value": "true",
    }
    assert sim.config.change("AuthorizeRemoteTxRequests", "false") == "Rejected"
    await sim.remote_start(sim.connectors[1], "TAG-R")
    await sim.plug(1)
    assert [a for a, _ in sim.sent][:3] == ["Authorize", "StatusNotification", "StartTransaction"]


async def test_authorize_remote_starts_nothing_for_a_card_authorize_refuses(chargers):
    sim = chargers("authorize-remote", refused=("TAG-BAD",))
    await sim.remote_start(sim.connectors[1], "TAG-BAD")
    assert [a for a, _ in sim.sent] == ["Authorize"]


def test_one_connector_has_one(chargers):
    sim = chargers("one-connector")
    assert list(sim.connectors) == [1] and sim.config.int("NumberOfConnectors") == 1


async def test_slow_reboot_stays_away_90_seconds_unless_told_otherwise(chargers):
    slow, quick = chargers("slow-reboot"), chargers("slow-reboot", slow_reboot_delay=2.0)
    assert (slow.reboot_delay, quick.reboot_delay, chargers().reboot_delay) == (90.0, 2.0, 0.05)
    await slow.reboot("SoftReset")
    assert slow.offline_until - time.monotonic() > 85


async def test_energy_only_default_samples_the_energy_register_alone(chargers):
    sim = chargers("energy-only-default")
    assert sim.config.list("MeterValuesSampledData") == [ENERGY]
    await sim.plug(1)
    await sim.swipe("TAG-1", 1)
    (begin,) = sim.actions("MeterValues")
    assert [v["measurand"] for v in begin.meter_value[0]["sampledValue"]] == [ENERGY]


async def test_min_status_duration_leaves_out_a_short_preparing(chargers):
    sim = chargers("min-status-duration")
    assert sim.config.int("MinimumStatusDuration") == 3
    await sim.plug(1)
    await sim.swipe("TAG-1", 1)
    await sim.until(lambda: sim.statuses(1) == ["Charging"], timeout=10)


# -- faults the findings show --------------------------------------------------------------------------


async def test_meter_backwards_reads_the_register_below_the_start_once(chargers):
    sim = chargers("meter-backwards")
    sim.config.change("MeterValueSampleInterval", "1")
    await sim.plug(1)
    await sim.swipe("TAG-1", 1)
    await sim.until(lambda: len(sim.actions("MeterValues")) >= 3)
    await sim.swipe("TAG-1", 1)
    energy = [
        int(v["value"])
        for m in sim.actions("MeterValues")
        for v in m.meter_value[0]["sampledValue"]
        if v["measurand"] == ENERGY
    ]
    (start,), (stop,) = sim.actions("StartTransaction"), sim.actions("StopTransaction")
    assert energy[0] == start.meter_start and energy[1] < energy[0] <= energy[2]
    assert stop.meter_stop >= start.meter_start  # only the register's reading goes back, nothing else


async def test_naive_timestamps_leave_the_time_zone_out(chargers):
    zones = {}
    for name in ("naive-timestamps", "default"):
        sim = chargers(name)
        await sim.plug(1)
        await sim.swipe("TAG-1", 1)
        stamps = [p.timestamp for p in sim.actions("StatusNotification", "StartTransaction")]
        stamps += [m.meter_value[0]["timestamp"] for m in sim.actions("MeterValues")]
        zones[name] = {datetime.fromisoformat(s).utcoffset() for s in stamps}
    assert zones == {"naive-timestamps": {None}, "default": {timedelta(0)}}


async def test_bad_transition_goes_from_charging_to_preparing_after_a_stop(chargers):
    sim = chargers("bad-transition")
    await sim.plug(1)
    await sim.swipe("TAG-1", 1)
    await sim.swipe("TAG-1", 1)
    await sim.until(lambda: sim.statuses(1)[-1:] == ["Available"])
    assert sim.statuses(1) == ["Preparing", "Charging", "Preparing", "Available"]


# -- against our central system: what needs the socket ----------------------------------------------


async def test_double_call_is_answered_by_our_central_system_and_goes_on(live_server_ocpp):
    cp_id = "BENCH-DOUBLE"
    async with running(live_server_ocpp, cp_id, "double-call"):
        await until(lambda: len(calls(cp_id, "Heartbeat")) == 2)
        _, answer = await command(live_server_ocpp, cp_id, "GetConfiguration", {"key": ["HeartbeatInterval"]})
    assert answer["payload"]["configurationKey"][0]["key"] == "HeartbeatInterval"
    # Stored one after the other, the second CALL keeps the time it reached us: before our
    # first answer left (what the findings' call-before-answer reads).
    logged = await sync_to_async(frames)(cp_id)
    first, second = [f for f in logged if f.action == "Heartbeat" and f.message_type == 2]
    (answer,) = [f for f in logged if f.unique_id == first.unique_id and f.direction == "out"]
    assert first.seq < answer.seq < second.seq and second.ts < answer.ts


async def test_reject_boot_trigger_refuses_a_second_boot_but_not_other_triggers(live_server_ocpp):
    cp_id = "BENCH-BOOTTRIG"
    async with running(live_server_ocpp, cp_id, "reject-boot-trigger"):
        before = await alast_seq(cp_id)
        _, boot = await command(live_server_ocpp, cp_id, "TriggerMessage", {"requestedMessage": "BootNotification"})
        _, beat = await command(live_server_ocpp, cp_id, "TriggerMessage", {"requestedMessage": "Heartbeat"})
        await until(lambda: any(c.action == "Heartbeat" for c in calls(cp_id, after=before)))
    assert (boot["payload"]["status"], beat["payload"]["status"]) == ("Rejected", "Accepted")
    assert len(await acalls(cp_id, "BootNotification")) == 1


async def test_one_connector_boots_with_connectors_0_and_1(live_server_ocpp):
    async with running(live_server_ocpp, "BENCH-ONE", "one-connector"):
        await until(lambda: len(calls("BENCH-ONE", "StatusNotification")) >= 2)
        await asyncio.sleep(0.3)
    assert [c.payload["connectorId"] for c in await acalls("BENCH-ONE", "StatusNotification")] == [0, 1]
