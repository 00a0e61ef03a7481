"""The verdict rules on synthetic evidence logs: no database, no sockets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from certify.verdicts import RULES, SessionFrames

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Log:
    """Builds an evidence log: `charger(...)` is a CALL from the charger with our
    answer, `us(...)` a CALL of ours with the charger's answer."""

    def __init__(self):
        self.frames = []
        self.t = T0
        self.n = 0

    def at(self, seconds: float) -> Log:
        self.t = T0 + timedelta(seconds=seconds)
        return self

    def _add(self, direction, message_type, action, uid, body, sent_by=""):
        self.n += 1
        frame = SimpleNamespace(
            id=self.n,
            seq=self.n,
            ts=self.t,
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=uid,
            raw=json.dumps(body),
            sent_by=sent_by,
        )
        self.frames.append(frame)
        return frame

    def charger(self, action, payload, answer=None):
        uid = f"c{self.n}"
        self._add("in", 2, action, uid, [2, uid, action, payload])
        self._add("out", 3, action, uid, [3, uid, answer if answer is not None else {}])
        return self

    def us(self, action, payload, answer=None, error=None, sent_by="user:ada"):
        uid = f"u{self.n}"
        self._add("out", 2, action, uid, [2, uid, action, payload], sent_by)
        if error:
            self._add("in", 4, action, uid, [4, uid, error, "", {}])
        elif answer is not None:
            self._add("in", 3, action, uid, [3, uid, answer])
        return self

    def status(self, connector, status, error="NoError", **extra):
        return self.charger(
            "StatusNotification", {"connectorId": connector, "status": status, "errorCode": error, **extra}
        )

    def event(self, name):
        self._add("event", None, "", "", {"event": name})
        return self

    def judge(self, rule, now_seconds=None, files=()):
        frames = SessionFrames(
            now=T0 + timedelta(seconds=now_seconds if now_seconds is not None else (self.t - T0).total_seconds() + 1)
        )
        frames.extend(self.frames)
        frames.files = list(files)
        return RULES[rule](frames)


BOOT = {
    "chargePointVendor": "Acme",
    "chargePointModel": "V22",
    "chargePointSerialNumber": "S1",
    "iccid": "8931",
    "firmwareVersion": "1.0",
}


def test_boot_passes_with_all_fields_and_names_a_missing_one():
    ok = Log().charger("BootNotification", BOOT, {"status": "Accepted", "interval": 60, "currentTime": "x"})
    assert ok.judge("boot_notification").status == "passed"
    lacking = Log().charger("BootNotification", {**BOOT, "iccid": ""}, {"status": "Accepted", "interval": 60})
    verdict = lacking.judge("boot_notification")
    assert verdict.status == "failed" and "iccid" in verdict.reason
    assert Log().judge("boot_notification").status == "open"


def test_heartbeat_follows_a_new_interval_or_fails_when_ignored():
    log = Log().charger("BootNotification", BOOT, {"status": "Accepted", "interval": 60})
    log.at(1).us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "2"}, {"status": "Accepted"})
    for second in (3, 5, 7):
        log.at(second).charger("Heartbeat", {}, {"currentTime": "x"})
    verdict = log.judge("heartbeat")
    assert verdict.status == "passed" and verdict.remark == "ok, heartbeat interval changed"

    ignored = Log().charger("BootNotification", BOOT, {"status": "Accepted", "interval": 60})
    ignored.at(1).charger("Heartbeat", {}, {"currentTime": "x"})
    ignored.at(2).us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "2"}, {"status": "Accepted"})
    verdict = ignored.judge("heartbeat", now_seconds=20)
    assert verdict.status == "failed" and "HeartbeatInterval 2 s" in verdict.reason


def test_heartbeat_trigger_must_be_answered_by_a_heartbeat():
    log = Log().charger("Heartbeat", {}, {"currentTime": "x"})
    log.at(5).us("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Accepted"})
    assert log.judge("heartbeat", now_seconds=100).status == "failed"
    log.at(6).charger("Heartbeat", {}, {"currentTime": "x"})
    assert log.judge("heartbeat", now_seconds=100).status == "passed"


def test_availability_needs_both_directions_and_every_connector():
    log = Log().status(0, "Available").status(1, "Available")
    log.at(1).us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Accepted"})
    log.at(2).status(1, "Unavailable")
    assert log.judge("change_availability").status == "open"
    log.at(3).us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, {"status": "Accepted"})
    log.at(4).status(1, "Available")
    assert log.judge("change_availability").status == "passed"

    silent = Log().status(0, "Available").status(1, "Available")
    silent.at(1).us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Accepted"})
    verdict = silent.judge("change_availability", now_seconds=120)
    assert verdict.status == "failed" and "Unavailable for connector 1" in verdict.reason
    refused = Log().us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Rejected"})
    assert "Rejected" in refused.judge("change_availability").reason


def test_get_configuration_counts_keys_like_the_reference():
    keys = [{"key": f"K{i}", "readonly": False, "value": "1"} for i in range(109)]
    verdict = Log().us("GetConfiguration", {}, {"configurationKey": keys}).judge("get_configuration")
    assert (verdict.status, verdict.remark) == ("passed", "Configuration (109)")
    named = Log().us("GetConfiguration", {"key": ["K1"]}, {"configurationKey": keys[:1]})
    assert named.judge("get_configuration").status == "open"
    broken = Log().us("GetConfiguration", {}, error="NotImplemented")
    assert broken.judge("get_configuration").status == "failed"


def test_change_configuration_fails_on_not_supported():
    ok = Log().us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, {"status": "Accepted"})
    assert ok.judge("change_configuration").remark == "ok, heartbeat interval changed"
    bad = ok.us("ChangeConfiguration", {"key": "ChargeProfileMaxStackLevel", "value": "3"}, {"status": "NotSupported"})
    verdict = bad.judge("change_configuration")
    assert verdict.status == "failed" and "ChargeProfileMaxStackLevel answered NotSupported" in verdict.reason


def remote_start(log, tx=1, at=0):
    log.at(at).us("RemoteStartTransaction", {"connectorId": 1, "idTag": "T"}, {"status": "Accepted"})
    log.at(at + 0.1).status(1, "Preparing")
    log.at(at + 0.2).charger(
        "StartTransaction",
        {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "x"},
        {"transactionId": tx, "idTagInfo": {"status": "Accepted"}},
    )
    log.at(at + 0.3).status(1, "Charging")
    return log


def test_start_needs_remote_and_local_and_a_rejected_tag_stops_the_sequence():
    log = remote_start(Log())
    assert "awaiting a local start" in log.judge("start_transaction").reason
    log.at(10).charger("Authorize", {"idTag": "BAD"}, {"idTagInfo": {"status": "Invalid"}})
    log.at(11).charger("Authorize", {"idTag": "GOOD"}, {"idTagInfo": {"status": "Accepted"}})
    log.at(12).charger(
        "StartTransaction",
        {"connectorId": 1, "idTag": "GOOD", "meterStart": 0, "timestamp": "x"},
        {"transactionId": 2, "idTagInfo": {"status": "Accepted"}},
    )
    log.at(13).status(1, "Charging")
    verdict = log.judge("start_transaction")
    assert verdict.status == "passed" and "RemoteStartTransaction→Charging" in verdict.timings

    cheat = Log().charger("Authorize", {"idTag": "BAD"}, {"idTagInfo": {"status": "Invalid"}})
    cheat.at(1).charger(
        "StartTransaction",
        {"connectorId": 1, "idTag": "BAD", "meterStart": 0, "timestamp": "x"},
        {"transactionId": 3, "idTagInfo": {"status": "Invalid"}},
    )
    verdict = cheat.judge("start_transaction")
    assert verdict.status == "failed" and "BAD" in verdict.reason


def test_stop_fails_without_finishing():
    log = remote_start(Log())
    log.at(5).us("RemoteStopTransaction", {"transactionId": 1}, {"status": "Accepted"})
    log.at(6).charger("StopTransaction", {"transactionId": 1, "meterStop": 10, "timestamp": "x", "reason": "Remote"})
    log.at(7).status(1, "Available")
    verdict = log.judge("stop_transaction")
    assert verdict.status == "failed" and "No Finishing" in verdict.reason


def test_stop_passes_for_remote_local_and_unplug():
    log = remote_start(Log())
    log.at(5).us("RemoteStopTransaction", {"transactionId": 1}, {"status": "Accepted"})
    log.at(6).charger("StopTransaction", {"transactionId": 1, "meterStop": 10, "timestamp": "x", "reason": "Remote"})
    log.at(7).status(1, "Finishing").at(8).status(1, "Available")
    remote_start(log, tx=2, at=10)
    log.at(15).charger("StopTransaction", {"transactionId": 2, "meterStop": 10, "timestamp": "x", "reason": "Local"})
    log.at(16).status(1, "Finishing").at(17).status(1, "Available")
    assert "on unplug" in log.judge("stop_transaction").reason
    remote_start(log, tx=3, at=20)
    log.at(25).charger(
        "StopTransaction", {"transactionId": 3, "meterStop": 10, "timestamp": "x", "reason": "EVDisconnected"}
    )
    assert log.judge("stop_transaction").status == "passed"


def sample(context, measurands=("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")):
    return {
        "timestamp": "2026-01-01T12:00:00Z",
        "sampledValue": [{"value": "1", "measurand": m, "context": context} for m in measurands],
    }


def metered(measurands=None, gap=2):
    log = remote_start(Log())
    log.us("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "2"}, {"status": "Accepted"})
    kwargs = {"measurands": measurands} if measurands else {}
    log.at(1).charger(
        "MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [sample("Transaction.Begin", **kwargs)]}
    )
    for n in range(3):
        log.at(2 + n * gap).charger(
            "MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [sample("Sample.Periodic", **kwargs)]}
        )
    log.at(10 + 3 * gap).charger(
        "StopTransaction",
        {
            "transactionId": 1,
            "meterStop": 9,
            "timestamp": "x",
            "transactionData": [sample("Transaction.End", **kwargs)],
        },
    )
    return log


def test_meter_values_pass_and_fail_for_the_right_cause():
    assert metered().judge("meter_values").status == "passed"
    verdict = metered(measurands=("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import")).judge(
        "meter_values"
    )
    assert verdict.status == "failed" and "lack Voltage" in verdict.reason
    verdict = metered(gap=10).judge("meter_values")
    assert verdict.status == "failed" and "MeterValueSampleInterval is 2 s" in verdict.reason


def test_reset_needs_hard_and_soft_and_fails_when_it_never_returns():
    log = Log()
    for at, kind in ((0, "Hard"), (10, "Soft")):
        log.at(at).us("Reset", {"type": kind}, {"status": "Accepted"})
        log.at(at + 1).event("disconnected").at(at + 3).event("connected")
        log.at(at + 4).charger("BootNotification", BOOT, {"status": "Accepted", "interval": 60})
        log.at(at + 5).status(0, "Available")
    assert log.judge("reset").remark == "Both ok"
    lost = Log().us("Reset", {"type": "Hard"}, {"status": "Accepted"})
    assert lost.judge("reset", now_seconds=500).status == "failed"


def test_error_needs_recovery_and_cable_needs_the_timeout():
    log = Log().status(0, "Faulted", error="GroundFailure", info="CP signal")
    assert log.judge("error_notification").status == "open"
    log.at(5).status(0, "Available")
    verdict = log.judge("error_notification")
    assert verdict.status == "passed" and "station itself" in verdict.reason
    cable = Log().status(1, "Available").at(1).status(1, "Preparing").at(4).status(1, "Available")
    assert cable.judge("cable_status").status == "passed"


def test_firmware_update_sequence_then_reboot():
    log = Log().us("UpdateFirmware", {"location": "http://x/fw", "retrieveDate": "2026-01-01T12:00:00Z"}, {})
    for at, state in ((1, "Downloading"), (2, "Downloaded"), (3, "Installing"), (4, "Installed")):
        log.at(at).charger("FirmwareStatusNotification", {"status": state})
    assert log.judge("firmware_update").status == "open"
    log.at(5).event("disconnected").at(6).event("connected").at(7).charger(
        "BootNotification", BOOT, {"status": "Accepted"}
    )
    assert log.judge("firmware_update").status == "passed"
    failed = Log().us("UpdateFirmware", {"location": "x", "retrieveDate": "2026-01-01T12:00:00Z"}, {})
    failed.at(1).charger("FirmwareStatusNotification", {"status": "DownloadFailed"})
    assert "DownloadFailed" in failed.judge("firmware_update").reason


def test_diagnostics_need_the_file_to_arrive():
    log = Log().us("GetDiagnostics", {"location": "ftp://x/"}, {"fileName": "diag.log"})
    log.at(1).charger("DiagnosticsStatusNotification", {"status": "Uploading"})
    log.at(2).charger("DiagnosticsStatusNotification", {"status": "Uploaded"})
    assert log.judge("diagnostics").status == "open"
    arrived = {"id": 1, "kind": "diagnostics", "name": "diag.log", "size": 42, "created_at": T0 + timedelta(seconds=2)}
    assert log.judge("diagnostics", files=[arrived]).status == "passed"
    assert log.judge("diagnostics", now_seconds=300).status == "failed"


def test_profiles_cache_trigger_and_offline():
    sp = Log().us("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {}}, {"status": "Rejected"})
    assert sp.judge("charging_profile").status == "failed"
    assert Log().us("ClearCache", {}, {"status": "Accepted"}).judge("clear_cache").status == "passed"
    trig = Log().us(
        "TriggerMessage", {"requestedMessage": "StatusNotification"}, {"status": "Accepted"}, sent_by="certify:auto"
    )
    trig.at(1).status(1, "Available")
    assert trig.judge("trigger_message").remark == "Support triggermessage, reply status notification"
    off = Log().event("disconnected").at(30).event("connected")
    off.at(31).charger(
        "StartTransaction",
        {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": (T0 + timedelta(seconds=10)).isoformat()},
        {"transactionId": 9, "idTagInfo": {"status": "Accepted"}},
    )
    assert off.judge("offline_transactions").status == "passed"
    assert Log().judge("manual_only").status == "open"
