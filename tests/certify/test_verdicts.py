"""The verdict rules on synthetic evidence logs: no database, no sockets.

One row per behaviour: the frames in, the verdict out, and in the row's name the
clause of OCPP 1.6 edition 2 it rests on. Legal variants must not fail; wrong
behaviour must not pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from certify import catalogs
from certify.judging.scope import Scope, case_of, sender_of
from certify.judging.verdict import connectors
from chargers.frames.reader import Log as FrameLog
from chargers.protocol.v16.state import State16

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
# Each case's judge by its rule's name (its module's in certify/catalogs/testscript16/).
RULES = {case.rule: case.judge for case in catalogs.get("ocpp16-testscript").cases}


def ts(seconds: float) -> str:
    """A charger timestamp, seconds after T0, on a clock in step with ours."""
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


class Log:
    """Builds an evidence log: `charger(...)` is a CALL from the charger with our
    answer, `us(...)` a CALL of ours with the charger's answer."""

    def __init__(self, **options):
        self.frames = []
        self.t = T0
        self.n = 0
        self.options = options

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

    def charger(self, action, payload, answer=None, error=None):
        uid = f"c{self.n}"
        self._add("in", 2, action, uid, [2, uid, action, payload])
        if error:
            self._add("out", 4, action, uid, [4, uid, error, "", {}])
        else:
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

    def config(self, **keys):
        """The pre-flight read: state for the rules, never evidence."""
        entries = [{"key": k, "readonly": False, "value": str(v)} for k, v in keys.items()]
        return self.us("GetConfiguration", {}, {"configurationKey": entries}, sent_by="certify:preflight")

    def event(self, name):
        self._add("event", None, "", "", {"event": name})
        return self

    def judge(self, rule, now_seconds=None, files=(), item=None, lo=0, transfers=()):
        log = FrameLog(self.frames)
        scope = Scope(
            log,
            State16(log, self.options.get("initial")),
            self.options,
            now=T0 + timedelta(seconds=now_seconds if now_seconds is not None else (self.t - T0).total_seconds() + 1),
            files=files,
            transfers=transfers,
        )
        return RULES[rule](scope.narrow(lo, None, item))


BOOT = {
    "chargePointVendor": "Acme",
    "chargePointModel": "V22",
    "chargePointSerialNumber": "S1",
    "iccid": "8931",
    "firmwareVersion": "1.0",
}
ACCEPTED = {"status": "Accepted"}


def boot(log, at, version="1.0"):
    return log.at(at).charger("BootNotification", {**BOOT, "firmwareVersion": version}, {**ACCEPTED, "interval": 60})


def reboot(log, at, version="1.0"):
    log.at(at).event("disconnected").at(at + 1).event("connected")
    boot(log, at + 2, version)
    return log.at(at + 3).status(0, "Available").at(at + 3.1).status(1, "Available")


def start(log, at, tx, tag="T", connector=1, timestamp=None):
    return log.at(at).charger(
        "StartTransaction",
        {"connectorId": connector, "idTag": tag, "meterStart": 0, "timestamp": timestamp or ts(at)},
        {"transactionId": tx, "idTagInfo": ACCEPTED},
    )


def stop(log, at, tx, reason="Local", timestamp=None, **extra):
    payload = {"transactionId": tx, "meterStop": 10, "timestamp": timestamp or ts(at), **extra}
    if reason:
        payload["reason"] = reason
    return log.at(at).charger("StopTransaction", payload, {"idTagInfo": ACCEPTED})


def remote_start(log, tx=1, at=0, preparing=True, charging_first=False):
    log.at(at).us("RemoteStartTransaction", {"connectorId": 1, "idTag": "T"}, ACCEPTED)
    if preparing:
        log.at(at + 0.1).status(1, "Preparing")
    if charging_first:
        log.at(at + 0.15).status(1, "Charging")
    start(log, at + 0.2, tx)
    if not charging_first:
        log.at(at + 0.3).status(1, "Charging")
    return log


def local_start(log, tx, at, tag="GOOD", authorize=True):
    if authorize:
        log.at(at).charger("Authorize", {"idTag": tag}, {"idTagInfo": ACCEPTED})
    start(log, at + 1, tx, tag)
    return log.at(at + 2).status(1, "Charging")


def refused_card(log, at, tag="BAD"):
    return log.at(at).charger("Authorize", {"idTag": tag}, {"idTagInfo": {"status": "Invalid"}})


def sample(context="Sample.Periodic", at=0.0, measurands=None, unit=None, phases=False):
    measurands = measurands or ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")
    values = []
    for m in measurands:
        for phase in ("L1", "L2", "L3") if phases and m in ("Voltage", "Current.Import") else (None,):
            value = {"value": "1", "measurand": m, "context": context}
            if phase:
                value["phase"] = phase
            if unit and m == "Power.Active.Import":
                value["unit"] = unit
            values.append(value)
    return {"timestamp": ts(at), "sampledValue": values}


def metered(log=None, tx=1, at=0, gap=2, n=3, measurands=None, end_data=True, in_stop_only=False, **kw):
    log = log or Log()
    remote_start(log, tx=tx, at=at)
    samples = [sample("Sample.Periodic", at + 2 + i * gap, measurands, **kw) for i in range(n)]
    if not in_stop_only:
        log.at(at + 1).charger(
            "MeterValues",
            {"connectorId": 1, "transactionId": tx, "meterValue": [sample("Transaction.Begin", at + 1, measurands)]},
        )
        for i, s in enumerate(samples):
            log.at(at + 2 + i * gap).charger("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [s]})
    end = at + 3 + n * gap
    data = samples if in_stop_only else ([sample("Transaction.End", end, measurands)] if end_data else [])
    stop(log, end, tx, transactionData=data)
    return log.at(end + 0.5).status(1, "Finishing")


def interval(log, key, value, status="Accepted", at=None):
    if at is not None:
        log.at(at)
    return log.us("ChangeConfiguration", {"key": key, "value": str(value)}, {"status": status})


@dataclass
class Row:
    name: str  # the behaviour and the clause it rests on
    rule: str
    build: Callable[[], Log]
    expect: str
    reason: str = ""  # a piece of the reason (or remark) that must be there
    now: float | None = None
    item: int | None = None
    files: tuple = ()
    transfers: tuple = ()  # what our FTP and HTTP servers saw (certify.transfer.saw)


def _card_first(back_at: float | None, **config) -> Log:
    """The card accepted at 1 s with no cable; Preparing, then Available at `back_at`
    (None: still Preparing)."""
    log = Log().config(ConnectionTimeOut=30, **config).status(1, "Available").at(1)
    log.charger("Authorize", {"idTag": "T"}, {"idTagInfo": ACCEPTED})
    log.at(2).status(1, "Preparing")
    return log if back_at is None else log.at(back_at).status(1, "Available")


def _ftp_saw(event, detail, seconds=1.5):
    """What our FTP server saw (certify.transfer.saw), `seconds` into the log."""
    return ({"at": T0 + timedelta(seconds=seconds), "server": "ftp", "event": event, "detail": detail},)


def _http_saw(event, detail, seconds=2.5):
    """What our HTTP server saw (certify.transfer.saw), `seconds` into the log."""
    return ({"at": T0 + timedelta(seconds=seconds), "server": "http", "event": event, "detail": detail},)


HOSTED = "http://lab:8000/files/firmware/1/secret/fw.bin"


def _diag_file(seconds):
    return (
        {"id": 1, "kind": "diagnostics", "name": "diag.log", "size": 42, "created_at": T0 + timedelta(seconds=seconds)},
    )


def _ok_cycle(log, at=1):
    log.at(at).us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
    log.at(at + 1).status(1, "Unavailable")
    log.at(at + 2).us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
    return log.at(at + 3).status(1, "Available")


def _stops_all(log, finishing_first=False, remote_reason="Remote"):
    remote_start(log, tx=1)
    log.at(5).us("RemoteStopTransaction", {"transactionId": 1}, ACCEPTED)
    if finishing_first:
        log.at(5.5).status(1, "Finishing")
    stop(log, 6, 1, remote_reason)
    if not finishing_first:
        log.at(7).status(1, "Finishing")
    log.at(8).status(1, "Available")
    local_start(log, 2, 10)
    stop(log, 15, 2, "Local")
    log.at(16).status(1, "Finishing").at(17).status(1, "Available")
    local_start(log, 3, 20, tag="G3")
    stop(log, 25, 3, "EVDisconnected")
    return log.at(25.5).status(1, "Available")


def _offline_transaction(skew=0.0):
    log = Log()
    # Live messages tell the charger's clock.
    for i in range(3):
        log.at(i).charger(
            "StatusNotification",
            {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": ts(i + skew)},
        )
    log.at(10).event("disconnected").at(60).event("connected")
    start(log, 61, 9, timestamp=ts(20 + skew))
    return stop(log, 61.5, 9, timestamp=ts(40 + skew))


ROWS = [
    # 1 -- BootNotification
    Row("§6.3 every field present passes", "boot_notification", lambda: boot(Log(), 0), "passed", "ok"),
    Row(
        "§6.3 iccid and imsi are optional: a charger without a modem passes, naming what was absent",
        "boot_notification",
        lambda: Log().charger("BootNotification", {k: v for k, v in BOOT.items() if k != "iccid"}, ACCEPTED),
        "passed",
        "iccid",
    ),
    Row("§4.2 no BootNotification yet is open", "boot_notification", lambda: Log(), "open"),
    Row(
        "§6.3 a BootNotification that breaks the schema fails",
        "boot_notification",
        lambda: Log().charger("BootNotification", {"chargePointVendor": "Acme"}, error="ProtocolError"),
        "failed",
    ),
    # 2 -- Heartbeat
    Row(
        "§9.1.10 a triggered Heartbeat right after the change does not show the new interval",
        "heartbeat",
        lambda: (
            interval(boot(Log(), 0), "HeartbeatInterval", 2, at=1)
            .at(1.5)
            .us("TriggerMessage", {"requestedMessage": "Heartbeat"}, ACCEPTED)
            .at(1.6)
            .charger("Heartbeat", {}, {"currentTime": "x"})
        ),
        "failed",
        now=30,
    ),
    Row(
        "§4.6 a Heartbeat registered passes",
        "heartbeat",
        lambda: Log().charger("Heartbeat", {}, {"currentTime": "x"}),
        "passed",
    ),
    Row(
        "§9.1.10 heartbeats at a new HeartbeatInterval pass",
        "heartbeat",
        lambda: _beats(interval(boot(Log(), 0), "HeartbeatInterval", 2, at=1), (3, 5, 7)),
        "passed",
        "ok, heartbeats every 2 s",
    ),
    Row(
        "§9.1.10 an accepted HeartbeatInterval that is ignored fails",
        "heartbeat",
        lambda: interval(_beats(boot(Log(), 0), (1,)), "HeartbeatInterval", 2, at=2),
        "failed",
        "HeartbeatInterval 2 s",
        now=20,
    ),
    Row(
        "§9.1.10 an ignored HeartbeatInterval is not excused by a later reboot",
        "heartbeat",
        lambda: reboot(interval(_beats(boot(Log(), 0), (1,)), "HeartbeatInterval", 2, at=2), 100),
        "failed",
        now=110,
    ),
    Row(
        "§4.6 other messages may replace heartbeats: skipped heartbeats while traffic flows are not a failure",
        "heartbeat",
        lambda: _traffic(interval(boot(Log(), 0), "HeartbeatInterval", 10, at=1), range(2, 60, 5)),
        "open",
        now=60,
    ),
    Row(
        "§4.6 a Heartbeat after idling at the new interval passes even when other messages replaced earlier ones",
        "heartbeat",
        lambda: _beats(_traffic(interval(boot(Log(), 0), "HeartbeatInterval", 10, at=1), range(2, 60, 5)), (67, 77)),
        "passed",
    ),
    Row(
        "§3.3/§5.17 TriggerMessage Heartbeat answered NotImplemented is legal (Remote Trigger is optional)",
        "heartbeat",
        lambda: (
            _beats(Log(), (0,)).at(5).us("TriggerMessage", {"requestedMessage": "Heartbeat"}, error="NotImplemented")
        ),
        "passed",
        "NotImplemented",
        now=200,
    ),
    Row(
        "§5.17 TriggerMessage Heartbeat answered Rejected is legal",
        "heartbeat",
        lambda: (
            _beats(Log(), (0,)).at(5).us("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Rejected"})
        ),
        "passed",
        now=200,
    ),
    Row(
        "§5.17 an accepted TriggerMessage Heartbeat with no Heartbeat after it fails",
        "heartbeat",
        lambda: _beats(Log(), (0,)).at(5).us("TriggerMessage", {"requestedMessage": "Heartbeat"}, ACCEPTED),
        "failed",
        now=100,
    ),
    Row(
        "§4.6 a disconnected charger is not failed for its silence",
        "heartbeat",
        lambda: interval(_beats(boot(Log(), 0), (1,)), "HeartbeatInterval", 2, at=2).at(3).event("disconnected"),
        "open",
        now=400,
    ),
    Row(
        "§4.6 an outage the server noticed late (ping timeout) is no silence while connected",
        "heartbeat",
        lambda: _beats(
            _beats(interval(boot(Log(), 0), "HeartbeatInterval", 10, at=1), (11, 21))
            .at(71)
            .event("disconnected")
            .at(400)
            .event("connected"),
            (410,),
        ),
        "passed",
        now=415,
    ),
    Row(
        "§4.6 an outage noticed only when the charger came back (replaced, no pings) is no silence",
        "heartbeat",
        lambda: _beats(
            _beats(Log(notice_time=None), (0,))
            .us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "10"}, ACCEPTED)
            .at(400)
            .event("replaced")
            .at(400.1)
            .event("connected"),
            (410, 420),
        ),
        "passed",
        now=425,
    ),
    Row(
        "§9.1.10/§4.6 answers to our requests are OCPP exchanges: no heartbeat is due while we talk",
        "heartbeat",
        lambda: _asked(interval(boot(Log(), 0), "HeartbeatInterval", 10, at=1), range(5, 100, 8)),
        "open",
        now=100,
    ),
    Row(
        "§9.1.10 a triggered Heartbeat and one right after the change are no proof of the new interval",
        "heartbeat",
        lambda: _beats(
            interval(boot(Log(), 0), "HeartbeatInterval", 10, at=1)
            .at(1.5)
            .us("TriggerMessage", {"requestedMessage": "Heartbeat"}, ACCEPTED),
            (1.6, 3),
        ),
        "open",
        "untriggered",
        now=8,
    ),
    Row(
        "§9.1.10 Heartbeats far more often than HeartbeatInterval show nothing of it",
        "heartbeat",
        lambda: _beats(interval(boot(Log(), 0), "HeartbeatInterval", 60, at=1), range(5, 50, 5)),
        "open",
        now=52,
    ),
    Row(
        "§9.1.10 untriggered Heartbeats about one interval after the charger's previous message pass, saying the "
        "tolerance",
        "heartbeat",
        lambda: _beats(interval(boot(Log(), 0), "HeartbeatInterval", 10, at=1), (11, 21)),
        "passed",
        "± 50% + 2 s",
    ),
    # 3 -- ChangeAvailability
    Row(
        "§5.2 one cycle that shows both directions passes",
        "change_availability",
        lambda: _ok_cycle(Log().status(0, "Available").status(1, "Available")),
        "passed",
    ),
    Row(
        "§5.2 Rejected for a missing connector, then a good cycle, passes",
        "change_availability",
        lambda: _ok_cycle(
            Log()
            .status(0, "Available")
            .status(1, "Available")
            .us("ChangeAvailability", {"connectorId": 3, "type": "Inoperative"}, {"status": "Rejected"}),
            at=2,
        ),
        "passed",
    ),
    Row(
        "§5.2 Operative while already Available is Accepted with no new status, and passes",
        "change_availability",
        lambda: (
            Log()
            .status(0, "Available")
            .status(1, "Available")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
            .at(2)
            .status(1, "Unavailable")
            .at(3)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
            .at(4)
            .status(1, "Available")
            .at(5)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
        ),
        "passed",
        now=200,
    ),
    Row(
        "§5.2 the panel's order (connector 0, then 1, each way) passes: the second command finds its state already",
        "change_availability",
        lambda: (
            Log()
            .config(NumberOfConnectors=1)
            .status(0, "Available")
            .status(1, "Available")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, ACCEPTED)
            .at(1.1)
            .status(0, "Unavailable")
            .at(1.2)
            .status(1, "Unavailable")
            .at(2)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
            .at(3)
            .us("ChangeAvailability", {"connectorId": 0, "type": "Operative"}, ACCEPTED)
            .at(3.1)
            .status(0, "Available")
            .at(3.2)
            .status(1, "Available")
            .at(4)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
        ),
        "passed",
        now=200,
    ),
    Row(
        "§5.2 Scheduled while a transaction runs is judged when the transaction ends",
        "change_availability",
        lambda: _scheduled(),
        "passed",
        now=200,
    ),
    Row(
        "§4.9 MinimumStatusDuration: an Inoperative undone before it had to be reported is not a failure",
        "change_availability",
        lambda: (
            Log()
            .config(MinimumStatusDuration=5)
            .status(0, "Available")
            .status(1, "Available")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
            .at(1.5)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
        ),
        "open",
        now=300,
    ),
    Row(
        "§5.2 Inoperative accepted and never reported fails",
        "change_availability",
        lambda: (
            Log()
            .status(1, "Available")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
        ),
        "failed",
        "Unavailable for connector 1",
        now=120,
    ),
    Row(
        "§5.2 an Unavailable long after the command is not its effect",
        "change_availability",
        lambda: (
            Log()
            .status(1, "Available")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
            .at(900)
            .status(1, "Unavailable")
        ),
        "failed",
        now=901,
    ),
    Row(
        "§5.2/§4.9 Scheduled applies when the transaction ended and the driver left (Finishing, then the unplug), "
        "however long that takes",
        "change_availability",
        lambda: _scheduled(unplug_at=130),
        "passed",
        now=300,
    ),
    Row(
        "§5.2 Scheduled for connector 0: an idle connector MAY change at once, the busy one after its transaction",
        "change_availability",
        lambda: _station_scheduled(),
        "passed",
        now=300,
    ),
    Row(
        "§5.2 Accepted (not Scheduled) while a transaction runs fails",
        "change_availability",
        lambda: (
            remote_start(Log().status(0, "Available").status(1, "Available"))
            .at(2)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
        ),
        "failed",
        "Scheduled",
    ),
    Row(
        "test script 'including connector 0': a charger that never reports connector 0 does not pass (OCPP 1.6 "
        "does not require it: open, not failed)",
        "change_availability",
        lambda: _ok_cycle(
            boot(Log(), 0)
            .status(1, "Available")
            .at(0.5)
            .us("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, ACCEPTED)
            .at(0.6)
            .status(1, "Unavailable")
            .at(0.7)
            .us("ChangeAvailability", {"connectorId": 0, "type": "Operative"}, ACCEPTED)
            .at(0.8)
            .status(1, "Available")
        ),
        "open",
        "including connector 0",
        now=300,
    ),
    Row(
        "§4.9 a Faulted connector is inoperative already: the change shows once the fault clears",
        "change_availability",
        lambda: (
            Log()
            .status(0, "Available")
            .status(1, "Faulted", error="GroundFailure")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
            .at(2)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
        ),
        "open",
        now=300,
    ),
    Row(
        "§4.9 a fault cleared after Operative: the Available that follows is the change",
        "change_availability",
        lambda: _ok_cycle(
            Log()
            .status(0, "Available")
            .status(1, "Faulted", error="GroundFailure")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
            .at(200)
            .status(1, "Available"),
            at=201,
        ),
        "passed",
        now=300,
    ),
    Row(
        "§4.9 without MinimumStatusDuration an Inoperative undone 5 s later had to be reported: its Unavailable "
        "missing fails",
        "change_availability",
        lambda: (
            Log()
            .status(0, "Available")
            .status(1, "Available")
            .at(1)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED)
            .at(6)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
        ),
        "failed",
        now=300,
    ),
    Row(
        "§5.2 a Scheduled change replaced by a later one before the transaction ended is not due",
        "change_availability",
        lambda: (
            remote_start(Log().status(0, "Available").status(1, "Available"))
            .at(2)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Scheduled"})
            .at(3)
            .us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, {"status": "Scheduled"})
            .at(10)
            .charger("StopTransaction", {"transactionId": 1, "meterStop": 5, "timestamp": ts(10)}, {})
            .at(11)
            .status(1, "Available")
        ),
        "open",
        "replaced",
        now=300,
    ),
    # 4 -- GetConfiguration
    Row(
        "§5.8 every key listed passes, counted as the reference does",
        "get_configuration",
        lambda: Log().us(
            "GetConfiguration",
            {},
            {"configurationKey": [{"key": f"K{i}", "readonly": False, "value": "1"} for i in range(109)]},
        ),
        "passed",
        "Configuration (109)",
    ),
    Row(
        "§5.8 an empty list for GetConfiguration() is not all keys and fails",
        "get_configuration",
        lambda: Log().us("GetConfiguration", {}, {"configurationKey": []}),
        "failed",
    ),
    Row(
        "§5.8 only named keys asked is open",
        "get_configuration",
        lambda: Log().us("GetConfiguration", {"key": ["K1"]}, {"configurationKey": [{"key": "K1", "readonly": False}]}),
        "open",
    ),
    Row(
        "§5.8 the session's own pre-flight read is not the item's evidence",
        "get_configuration",
        lambda: Log().config(NumberOfConnectors=1),
        "open",
    ),
    Row(
        "§5.8 GetConfiguration answered NotImplemented fails (Core)",
        "get_configuration",
        lambda: Log().us("GetConfiguration", {}, error="NotImplemented"),
        "failed",
    ),
    Row(
        "§5.8 a handful of keys is not the complete list when the charger reports others elsewhere",
        "get_configuration",
        lambda: (
            Log()
            .config(NumberOfConnectors=1, SupportedFeatureProfiles="Core", HeartbeatInterval=300, ConnectionTimeOut=60)
            .us(
                "GetConfiguration",
                {},
                {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
            )
        ),
        "failed",
        "not the complete list",
    ),
    Row(
        "§5.8/§7.17 keys compare without case: a key answered by name and listed in another case is listed",
        "get_configuration",
        lambda: _read(Log(), "HeartbeatInterval", "300", at=0).us(
            "GetConfiguration",
            {},
            {"configurationKey": [{"key": "heartbeatinterval", "readonly": False, "value": "300"}]},
        ),
        "passed",
    ),
    # 5 -- ChangeConfiguration
    Row(
        "§5.3 a key changed and read back passes",
        "change_configuration",
        lambda: _read(interval(Log(), "HeartbeatInterval", 60), "HeartbeatInterval", "60", at=1),
        "passed",
        "heartbeat interval changed",
    ),
    Row(
        "§5.3 Rejected for an out-of-range value is a legal answer",
        "change_configuration",
        lambda: interval(Log(), "MeterValueSampleInterval", 1, "Rejected"),
        "open",
    ),
    Row(
        "§5.3 NotSupported for an absent key is a legal answer",
        "change_configuration",
        lambda: _read(
            interval(interval(Log(), "NoSuchKey", 1, "NotSupported"), "HeartbeatInterval", 60, at=1),
            "HeartbeatInterval",
            "60",
            at=2,
        ),
        "passed",
    ),
    Row(
        "§5.3 RebootRequired: the value read back after the reboot passes",
        "change_configuration",
        lambda: _read(
            reboot(interval(Log(), "HeartbeatInterval", 60, "RebootRequired"), 2), "HeartbeatInterval", "60", at=10
        ),
        "passed",
    ),
    Row(
        "§5.3 RebootRequired without a reboot is open",
        "change_configuration",
        lambda: interval(Log(), "HeartbeatInterval", 60, "RebootRequired"),
        "open",
        "RebootRequired",
    ),
    Row(
        "§4.2 a HeartbeatInterval read back after a boot handed out its own interval is not a failure",
        "change_configuration",
        lambda: _read(
            boot(interval(Log(), "HeartbeatInterval", 30, "RebootRequired"), 2), "HeartbeatInterval", "60", at=5
        ),
        "open",
    ),
    Row(
        "§5.3 a value read back in another case or spacing is the same value",
        "change_configuration",
        lambda: _read(
            interval(Log(), "MeterValuesSampledData", "Energy.Active.Import.Register,Voltage"),
            "MeterValuesSampledData",
            "energy.active.import.register, voltage",
            at=1,
        ),
        "passed",
    ),
    Row(
        "§5.3 Accepted but another value read back fails",
        "change_configuration",
        lambda: _read(interval(Log(), "HeartbeatInterval", 60), "HeartbeatInterval", "300", at=1),
        "failed",
    ),
    Row(
        "attempts: another item's ChangeConfiguration is not judged as item 5",
        "change_configuration",
        lambda: Log().us(
            "ChangeConfiguration",
            {"key": "HeartbeatInterval", "value": "2"},
            {"status": "Rejected"},
            sent_by="user:ada item:2",
        ),
        "open",
        item=5,
    ),
    Row(
        "§7.17 a key read back in another case is the same key",
        "change_configuration",
        lambda: _read(interval(Log(), "HeartbeatInterval", 60), "heartbeatinterval", "60", at=1),
        "passed",
    ),
    Row(
        "§5.3 a comma-separated value read back in another order is the same set",
        "change_configuration",
        lambda: _read(
            interval(Log(), "MeterValuesSampledData", "Energy.Active.Import.Register,Voltage"),
            "MeterValuesSampledData",
            "Voltage,Energy.Active.Import.Register",
            at=1,
        ),
        "passed",
    ),
    # 6 -- StartTransaction
    Row(
        "§5.11/§4.1 remote start, local start and a refused card pass",
        "start_transaction",
        lambda: _starts(),
        "passed",
        now=200,
    ),
    Row(
        "§4.9 A3: Charging without Preparing is legal",
        "start_transaction",
        lambda: _starts(preparing=False),
        "passed",
        now=200,
    ),
    Row(
        "no order is mandated: Charging before StartTransaction is legal",
        "start_transaction",
        lambda: _starts(charging_first=True),
        "passed",
        now=200,
    ),
    Row(
        "§7.39 a Rejected RemoteStartTransaction (connector occupied) does not fail the item",
        "start_transaction",
        lambda: _starts(
            Log().us("RemoteStartTransaction", {"connectorId": 1, "idTag": "T"}, {"status": "Rejected"}), at=1
        ),
        "passed",
        now=200,
    ),
    Row(
        "§5.11 with AuthorizeRemoteTxRequests=true the Authorize of a remote start is not a local start",
        "start_transaction",
        lambda: refused_card(
            Log()
            .config(AuthorizeRemoteTxRequests="true")
            .us("RemoteStartTransaction", {"connectorId": 1, "idTag": "T"}, ACCEPTED)
            .at(0.1)
            .charger("Authorize", {"idTag": "T"}, {"idTagInfo": ACCEPTED})
            .at(0.2)
            .status(1, "Preparing")
            .at(0.3)
            .charger(
                "StartTransaction",
                {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": ts(0.3)},
                {"transactionId": 1, "idTagInfo": ACCEPTED},
            )
            .at(0.4)
            .status(1, "Charging"),
            5,
        ),
        "open",
        "Local start",
        now=200,
    ),
    Row(
        "§4.1 a local start from the cache or local list may come without Authorize",
        "start_transaction",
        lambda: refused_card(local_start(remote_start(Log()), 2, 10, authorize=False), 20),
        "passed",
        now=200,
    ),
    Row(
        "§4.1 a refused card is shown once the charger moved on to another card",
        "start_transaction",
        lambda: local_start(refused_card(remote_start(Log()), 5), 2, 6),
        "passed",
        now=8,
    ),
    Row(
        "test script: the refused card is required for a pass",
        "start_transaction",
        lambda: local_start(remote_start(Log()), 2, 10),
        "open",
        "Refused card",
        now=200,
    ),
    Row(
        "§4.1/§4.8 a transaction after an Authorize we refused fails",
        "start_transaction",
        lambda: start(refused_card(Log(), 0), 1, 3, tag="BAD"),
        "failed",
        "BAD",
    ),
    Row(
        "§7.28 idTags compare without case: an Authorize and a StartTransaction spelling the card otherwise match",
        "start_transaction",
        lambda: refused_card(
            local_start(remote_start(Log()), 2, 10, tag="good")
            .at(10.5)
            .charger("Authorize", {"idTag": "GOOD"}, {"idTagInfo": ACCEPTED}),
            20,
        ),
        "passed",
        now=200,
    ),
    Row(
        "§5.11 a remote start the charger drops after an Authorize we answered Invalid is correct, not "
        "'no StartTransaction'",
        "start_transaction",
        lambda: (
            Log()
            .config(AuthorizeRemoteTxRequests="true")
            .status(1, "Preparing")
            .at(1)
            .us("RemoteStartTransaction", {"connectorId": 1, "idTag": "BAD"}, ACCEPTED)
            .at(1.1)
            .charger("Authorize", {"idTag": "BAD"}, {"idTagInfo": {"status": "Invalid"}})
        ),
        "open",
        "our Authorize answer",
        now=200,
    ),
    Row(
        "§4.1/§4.8 energy delivered after a refused card is not 'started nothing': it fails",
        "start_transaction",
        lambda: (
            refused_card(stop(remote_start(Log()), 5, 1).at(5.5).status(1, "Available"), 20)
            .at(22)
            .status(1, "Charging")
        ),
        "failed",
        "refused card",
        now=200,
    ),
    Row(
        "§4.8 a start we answered Invalid is not the local start",
        "start_transaction",
        lambda: refused_card(
            remote_start(Log())
            .at(10)
            .charger("Authorize", {"idTag": "GOOD"}, {"idTagInfo": ACCEPTED})
            .at(11)
            .charger(
                "StartTransaction",
                {"connectorId": 1, "idTag": "GOOD", "meterStart": 0, "timestamp": ts(11)},
                {"transactionId": 2, "idTagInfo": {"status": "Blocked"}},
            )
            .at(12)
            .status(1, "Charging"),
            20,
        ),
        "open",
        "Local start",
        now=200,
    ),
    # 7 -- StopTransaction
    Row(
        "§5.12/§4.10 remote, local and unplug stops with their statuses pass",
        "stop_transaction",
        lambda: _stops_all(Log()),
        "passed",
    ),
    Row(
        "no order is mandated: Finishing before StopTransaction is legal",
        "stop_transaction",
        lambda: _stops_all(Log(), finishing_first=True),
        "passed",
    ),
    Row(
        "§4.9 C1: Charging to Available on unplug is legal",
        "stop_transaction",
        lambda: stop(local_start(Log(), 3, 0), 5, 3, "EVDisconnected").at(5.1).status(1, "Available"),
        "open",
        "Remote stop",
        now=200,
    ),
    Row(
        "§6.49 a StopTransaction without reason means Local",
        "stop_transaction",
        lambda: stop(local_start(Log(), 2, 0), 5, 2, reason=None).at(5.2).status(1, "Available"),
        "open",
        "Remote stop",
        now=200,
    ),
    Row(
        "§7.36 EmergencyStop, then Faulted, is not a failure",
        "stop_transaction",
        lambda: stop(local_start(Log(), 2, 0), 5, 2, "EmergencyStop").at(5.2).status(1, "Faulted", error="OtherError"),
        "open",
        now=200,
    ),
    Row(
        "§4.9/§3.7 a stop delivered from the offline queue, then Available, is not a failure",
        "stop_transaction",
        lambda: _offline_transaction().at(62).status(1, "Available"),
        "open",
        now=300,
    ),
    Row(
        "§3.7.1 a StopTransaction retried with a new message id is one stop",
        "stop_transaction",
        lambda: stop(_stops_all(Log()), 26, 3, "EVDisconnected"),
        "passed",
        now=300,
    ),
    Row(
        "§5.12 RemoteStopTransaction Rejected for an unknown transaction is legal",
        "stop_transaction",
        lambda: _stops_all(Log().us("RemoteStopTransaction", {"transactionId": 0}, {"status": "Rejected"})),
        "passed",
    ),
    Row(
        "§5.12 an accepted RemoteStopTransaction with no StopTransaction fails",
        "stop_transaction",
        lambda: remote_start(Log()).at(5).us("RemoteStopTransaction", {"transactionId": 1}, ACCEPTED),
        "failed",
        now=100,
    ),
    Row(
        "§5.12 a stop for another cause after the tolerance does not obey an accepted RemoteStopTransaction",
        "stop_transaction",
        lambda: stop(
            remote_start(Log()).at(5).us("RemoteStopTransaction", {"transactionId": 1}, ACCEPTED),
            90,
            1,
            "EVDisconnected",
        ),
        "failed",
        now=100,
    ),
    Row(
        "§4.9 a connector that reports no status change after its transaction stopped fails",
        "stop_transaction",
        lambda: stop(remote_start(Log()), 5, 1, "Local"),
        "failed",
        now=100,
    ),
    Row(
        "§4.10/§9.1.23 StopTransactionOnEVSideDisconnect=false waives the stop on unplug",
        "stop_transaction",
        lambda: _remote_and_local_stops(Log().config(StopTransactionOnEVSideDisconnect="false")),
        "passed",
    ),
    Row(
        "errata 3.80: StopTransactionOnEVSideDisconnect absent from the configuration: the unplug stop is the "
        "charger's default, not awaited",
        "stop_transaction",
        lambda: _remote_and_local_stops(Log().config(NumberOfConnectors=1)),
        "passed",
        "optional",
    ),
    Row(
        "§5.12/§7.45 a remote stop reported with reason Local is a stop; the reason is a finding",
        "stop_transaction",
        lambda: _stops_all(Log(), remote_reason="Local"),
        "passed",
        "reason Local",
    ),
    Row(
        "§4.9 MinimumStatusDuration: the next transaction began before the states between had to be reported",
        "stop_transaction",
        lambda: local_start(
            stop(remote_start(Log().config(MinimumStatusDuration=5)), 5, 1, "Local"), 2, 7, tag="T2"
        ).at(9),
        "open",
        "too short to report",
        now=300,
    ),
    Row(
        "§4.9 without MinimumStatusDuration a stop followed by the next transaction with no status between fails",
        "stop_transaction",
        lambda: local_start(stop(remote_start(Log()), 5, 1, "Local"), 2, 7, tag="T2").at(9),
        "failed",
        now=300,
    ),
    Row(
        "§3.7/§4.9 a stop queued during an outage the server noticed late (ping timeout) is judged from the queue",
        "stop_transaction",
        lambda: stop(
            remote_start(Log()).at(10).status(1, "Charging").at(60).event("disconnected").at(100).event("connected"),
            101,
            1,
            "Local",
            timestamp=ts(30),
        ),
        "open",
        now=300,
    ),
    # 8 -- MeterValues
    Row(
        "§4.7 begin and end readings, periodic V/I/P at the interval pass",
        "meter_values",
        lambda: metered(interval(Log(), "MeterValueSampleInterval", 2)),
        "passed",
    ),
    Row(
        "§9.1.17 a transaction with the default measurands before configuration is not a failure",
        "meter_values",
        lambda: metered(interval(Log(), "MeterValueSampleInterval", 2), measurands=("Energy.Active.Import.Register",)),
        "open",
        "lacks Voltage",
    ),
    Row(
        "§9.1.17 default measurands first, then a configured transaction, passes",
        "meter_values",
        lambda: metered(
            interval(
                metered(interval(Log(), "MeterValueSampleInterval", 2), measurands=("Energy.Active.Import.Register",)),
                "MeterValuesSampledData",
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage",
                at=20,
            ),
            tx=2,
            at=30,
        ),
        "passed",
    ),
    Row(
        "§3.16.5 no values in StopTransaction when StopTxnSampledData and StopTxnAlignedData are empty: meterStart "
        "and meterStop suffice",
        "meter_values",
        lambda: metered(interval(Log(), "MeterValueSampleInterval", 2), end_data=False),
        "passed",
    ),
    Row(
        "§3.16 samples may travel in StopTransaction.transactionData only",
        "meter_values",
        lambda: metered(interval(Log(), "MeterValueSampleInterval", 2), in_stop_only=True),
        "passed",
    ),
    Row(
        "§7.31/§7.34/§7.45 power in kW, voltage and current per phase",
        "meter_values",
        lambda: metered(interval(Log(), "MeterValueSampleInterval", 2), unit="kW", phases=True),
        "passed",
    ),
    Row(
        "§7.33 queued samples are judged by their own timestamps, not by when they arrived",
        "meter_values",
        lambda: _queued_samples(),
        "passed",
    ),
    Row(
        "§9.1.19 the interval in force during the transaction judges it, not a later one",
        "meter_values",
        lambda: interval(
            metered(interval(Log(), "MeterValueSampleInterval", 2)), "MeterValueSampleInterval", 60, at=30
        ),
        "passed",
    ),
    Row(
        "§9.1.17 a configured measurand may carry its phase (Voltage.L1); the sample names the phase apart",
        "meter_values",
        lambda: metered(
            interval(
                interval(Log(), "MeterValueSampleInterval", 2),
                "MeterValuesSampledData",
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import.L1,Voltage.L1",
            ),
            phases=True,
        ),
        "passed",
    ),
    Row(
        "§9.1.17 a measurand accepted in MeterValuesSampledData but never sent fails",
        "meter_values",
        lambda: metered(
            interval(
                interval(Log(), "MeterValueSampleInterval", 2),
                "MeterValuesSampledData",
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage",
            ),
            measurands=("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"),
        ),
        "failed",
        "Voltage",
    ),
    Row(
        "§9.1.19 periodic samples further apart than the interval fail",
        "meter_values",
        lambda: metered(interval(Log(), "MeterValueSampleInterval", 2), gap=10),
        "failed",
        "in force was 2 s",
    ),
    Row(
        "§5.3/§9.1.19 an interval changed during a transaction takes effect from the change",
        "meter_values",
        lambda: _interval_changed_midway(),
        "passed",
    ),
    Row(
        "§9.1.19 one transaction does not decide for all: a later transaction that ignores the interval fails",
        "meter_values",
        lambda: metered(metered(interval(Log(), "MeterValueSampleInterval", 2)), tx=2, at=30, gap=10),
        "failed",
        "transaction 2",
    ),
    Row(
        "§7.17 measurands compare without case",
        "meter_values",
        lambda: metered(
            interval(
                interval(Log(), "MeterValueSampleInterval", 2),
                "MeterValuesSampledData",
                "energy.active.import.register,power.active.import,current.import,voltage",
            )
        ),
        "passed",
    ),
    Row(
        "§9.1.17 every periodic sample is judged, not the first: a later one without an accepted measurand fails",
        "meter_values",
        lambda: _one_sample_short(),
        "failed",
        "Voltage",
    ),
    Row(
        "§5.3/§9.1.17 voltage refused in MeterValuesSampledData: samples of what was accepted pass, saying so",
        "meter_values",
        lambda: metered(_sampled_data(("Rejected", MEASURED), ("Accepted", MEASURED[:3])), measurands=MEASURED[:3]),
        "passed",
        "Voltage Rejected",
    ),
    Row(
        "§9.1.18 measurands left out to stay within MeterValuesSampledDataMaxLength are not awaited",
        "meter_values",
        lambda: metered(
            _sampled_data(("Accepted", MEASURED[1:3]), MeterValuesSampledDataMaxLength=2), measurands=MEASURED[1:3]
        ),
        "passed",
        "MeterValuesSampledDataMaxLength 2",
    ),
    Row(
        "§9.1.17 a measurand refused in one set and accepted in the next is awaited: missing, it fails",
        "meter_values",
        lambda: metered(_sampled_data(("Rejected", MEASURED), ("Accepted", MEASURED[1:])), measurands=MEASURED[:3]),
        "failed",
        "Voltage",
    ),
    Row(
        "§9.1.17 with no MeterValuesSampledData of ours refused, energy-only samples leave the item open",
        "meter_values",
        lambda: metered(_sampled_data(), measurands=MEASURED[:1]),
        "open",
        "configure MeterValuesSampledData",
    ),
    # 9 -- Reset
    Row("§5.14 hard and soft resets, each back online, pass", "reset", lambda: _resets(), "passed", "Both ok"),
    Row(
        "§7.41 Reset Rejected first, accepted later, passes",
        "reset",
        lambda: _resets(Log().us("Reset", {"type": "Hard"}, {"status": "Rejected"})),
        "passed",
    ),
    Row(
        "§5.14 a reboot that takes minutes is within the reboot timeout",
        "reset",
        lambda: _resets(slow=400),
        "passed",
    ),
    Row(
        "§5.14 a reset accepted that never comes back fails",
        "reset",
        lambda: Log().us("Reset", {"type": "Hard"}, ACCEPTED),
        "failed",
        now=1000,
    ),
    Row(
        "§5.14/§4.10 a transaction stopped with HardReset after the boot is fine",
        "reset",
        lambda: stop(_resets(remote_start(Log())), 100, 1, "HardReset"),
        "passed",
    ),
    Row(
        "§5.14 each reset its own reboot: a Soft reset accepted before the Hard one's reboot, one reboot only, fails",
        "reset",
        lambda: reboot(
            Log().at(30).us("Reset", {"type": "Hard"}, ACCEPTED).at(31).us("Reset", {"type": "Soft"}, ACCEPTED), 32
        ),
        "failed",
        "its own reboot",
        now=1000,
    ),
    Row(
        "§5.14/§5.17 a BootNotification we triggered, without a new connection, is no reboot",
        "reset",
        lambda: (
            Log()
            .at(30)
            .us("Reset", {"type": "Hard"}, ACCEPTED)
            .at(31)
            .us("TriggerMessage", {"requestedMessage": "BootNotification"}, ACCEPTED)
            .at(32)
            .charger("BootNotification", BOOT, {**ACCEPTED, "interval": 60})
            .at(33)
            .status(1, "Available")
        ),
        "failed",
        "reconnection",
        now=1000,
    ),
    Row(
        "§5.14 the charger away for a reboot of minutes is awaited in plain time, not connected time",
        "reset",
        lambda: Log().at(30).us("Reset", {"type": "Hard"}, ACCEPTED).at(31).event("disconnected"),
        "failed",
        now=1000,
    ),
    # 10 -- errors
    Row(
        "§4.9 an error raised and cleared passes",
        "error_notification",
        lambda: Log().status(0, "Faulted", error="GroundFailure", info="CP").at(5).status(0, "Available"),
        "passed",
        "station itself",
    ),
    Row(
        "§4.9 an errorCode with an operative status (a warning) counts as reported",
        "error_notification",
        lambda: Log().status(1, "Charging", error="EVCommunicationError").at(5).status(1, "Charging"),
        "passed",
    ),
    Row(
        "§4.9 an old uncleared error does not block a later raised-and-cleared one",
        "error_notification",
        lambda: (
            Log()
            .status(0, "Faulted", error="OtherError")
            .at(5)
            .status(1, "Faulted", error="GroundFailure")
            .at(6)
            .status(1, "Available")
        ),
        "passed",
    ),
    Row(
        "§4.9 an error not yet cleared is open",
        "error_notification",
        lambda: Log().status(1, "Faulted", error="GroundFailure"),
        "open",
    ),
    # 11 -- cable
    Row(
        "§4.9 B1/§9.1.6 back to Available once ConnectionTimeOut elapsed passes",
        "cable_status",
        lambda: (
            Log()
            .config(ConnectionTimeOut=30)
            .status(1, "Available")
            .at(1)
            .status(1, "Preparing")
            .at(32)
            .status(1, "Available")
        ),
        "passed",
    ),
    Row(
        "§4.9 B6 the timeout reported as Finishing passes",
        "cable_status",
        lambda: (
            Log()
            .config(ConnectionTimeOut=30)
            .status(1, "Available")
            .at(1)
            .status(1, "Preparing")
            .at(32)
            .status(1, "Finishing")
        ),
        "passed",
    ),
    Row(
        "§9.1.6 unplugged by hand before ConnectionTimeOut is no timeout",
        "cable_status",
        lambda: (
            Log()
            .config(ConnectionTimeOut=30)
            .status(1, "Available")
            .at(1)
            .status(1, "Preparing")
            .at(6)
            .status(1, "Available")
        ),
        "open",
        "before ConnectionTimeOut",
    ),
    Row(
        "§9.1.6 unplugged by hand long after ConnectionTimeOut is no timeout either",
        "cable_status",
        lambda: (
            Log()
            .config(ConnectionTimeOut=30)
            .status(1, "Available")
            .at(1)
            .status(1, "Preparing")
            .at(72)
            .status(1, "Available")
        ),
        "open",
        "no timeout seen",
    ),
    Row(
        "§9.1.6 card first: a card with no cable, back to Available once ConnectionTimeOut passed, passes",
        "cable_status",
        lambda: _card_first(back_at=32),
        "passed",
        "card presented, no cable",
    ),
    Row(
        "§9.1.6 card first: Available 19 s after the card, with ConnectionTimeOut 30 s, is no timeout",
        "cable_status",
        lambda: _card_first(back_at=20),
        "open",
        "before ConnectionTimeOut",
    ),
    Row(
        "§9.1.6 card first: still Preparing well after ConnectionTimeOut, the charger heard from, fails (TC_004_2_CS)",
        "cable_status",
        lambda: _card_first(back_at=None).at(55).charger("Heartbeat", {}, {"currentTime": ts(55)}),
        "failed",
        "§9.1.6 asks the charger to cancel",
        now=60,
    ),
    Row(
        "§9.1.6/§3.7 card first: silent since the Preparing, the timeout may have gone unheard: open, not failed",
        "cable_status",
        lambda: _card_first(back_at=None),
        "open",
        now=300,
    ),
    Row(
        "§9.1.6/§5.14 card first: a Reset after the card ends what was pending: not failed",
        "cable_status",
        lambda: (
            _card_first(back_at=None)
            .at(5)
            .us("Reset", {"type": "Soft"}, ACCEPTED)
            .at(55)
            .charger("Heartbeat", {}, {"currentTime": ts(55)})
        ),
        "open",
        now=60,
    ),
    Row(
        "§9.1.6/§3.7 card first: an outage after the card, the Available queued with its own time in the window, passes",
        "cable_status",
        lambda: (
            _card_first(back_at=None)
            .at(10)
            .event("disconnected")
            .at(80)
            .event("connected")
            .status(1, "Available", timestamp=ts(33))
        ),
        "passed",
        now=90,
    ),
    Row(
        "§9.1.6 card first: still Preparing within ConnectionTimeOut and its tolerance is open",
        "cable_status",
        lambda: _card_first(back_at=None),
        "open",
        "awaiting the ConnectionTimeOut expiry",
        now=40,
    ),
    Row(
        "§9.1.6 card first: back to Available long after ConnectionTimeOut fails, the session was never cancelled",
        "cable_status",
        lambda: _card_first(back_at=90),
        "failed",
        "card presented, no cable",
    ),
    Row(
        "§9.1.6/§9.1.20 card first: the timeout's Available held back by MinimumStatusDuration passes",
        "cable_status",
        lambda: _card_first(back_at=55, MinimumStatusDuration=10),
        "passed",
        "card first",
    ),
    Row(
        "§9.1.6 card first: a card then the cable, a transaction, is a local start, not a missed timeout",
        "cable_status",
        lambda: local_start(_card_first(back_at=None), 1, 10).at(200).status(1, "Available"),
        "open",
        now=300,
    ),
    Row(
        "§9.1.6 cable first: a plugged cable without a card still Preparing long after is never failed",
        "cable_status",
        lambda: Log().config(ConnectionTimeOut=30).status(1, "Available").at(1).status(1, "Preparing"),
        "open",
        "try card first",
        now=500,
    ),
    Row(
        "§9.1.6 card first with no status at all: nothing to time, the reason says what was seen",
        "cable_status",
        lambda: Log().config(ConnectionTimeOut=30).at(1).charger("Authorize", {"idTag": "T"}, {"idTagInfo": ACCEPTED}),
        "open",
        "no StatusNotification followed",
        now=200,
    ),
    Row(
        "§9.1.6 a plugged cable may wait for a card: cable first without a timeout yet is open and offers card first",
        "cable_status",
        lambda: Log().config(ConnectionTimeOut=30).status(1, "Available").at(1).status(1, "Preparing"),
        "open",
        "try card first",
        now=10,
    ),
    Row(
        "§4.9 a card that starts a transaction is a local start (item 6), not a timeout",
        "cable_status",
        lambda: (
            local_start(Log().config(ConnectionTimeOut=30).status(1, "Available"), 1, 1).at(40).status(1, "Available")
        ),
        "open",
    ),
    # 12 -- firmware
    Row(
        "§5.19 Downloading, Installed, reboot with the new version passes",
        "firmware_update",
        lambda: _firmware(),
        "passed",
    ),
    Row(
        "§5.19 a reboot before Installed (good practice) passes",
        "firmware_update",
        lambda: _firmware(reboot_first=True),
        "passed",
    ),
    Row(
        "§5.19/§6.55 DownloadFailed followed by a successful retry (retries) passes",
        "firmware_update",
        lambda: _firmware(
            states=("Downloading", "DownloadFailed", "Downloading", "Downloaded", "Installing", "Installed")
        ),
        "passed",
    ),
    Row(
        "§5.19 the version after the update is reported, not required to change (the image's version unknown)",
        "firmware_update",
        lambda: _firmware(version="1.0"),
        "passed",
        "as before",
    ),
    Row(
        "§3.3/OCPP-J §4.2.3 NotImplemented: UpdateFirmware of a charger without Firmware Management is Not supported",
        "firmware_update",
        lambda: boot(Log(), 0).us("UpdateFirmware", {"location": "x", "retrieveDate": ts(0)}, error="NotImplemented"),
        "not_supported",
        "Not supported by Acme",
    ),
    Row(
        "§5.19 an update that ends with InstallationFailed fails",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "Downloaded", "Installing", "InstallationFailed"), reboot_after=False),
        "failed",
        now=300,
    ),
    Row(
        "§4.5 Installed without Downloading before it fails",
        "firmware_update",
        lambda: _firmware(states=("Installed",)),
        "failed",
    ),
    Row(
        "§4.5 DownloadFailed for a location this session does not host (no firmware uploaded): inconclusive",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "DownloadFailed"), reboot_after=False, location="http://x/fw"),
        "inconclusive",
        "upload the manufacturer's file",
        now=200,
    ),
    Row(
        "§4.5 DownloadFailed after our HTTP server refused the URL (a wrong secret): inconclusive",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "DownloadFailed"), reboot_after=False, location=HOSTED),
        "inconclusive",
        "refused a request",
        now=200,
        transfers=_http_saw("refused", "GET with a wrong secret in the URL"),
    ),
    Row(
        "§4.5 DownloadFailed although our HTTP server served the file fails, naming what it served",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "DownloadFailed"), reboot_after=False, location=HOSTED),
        "failed",
        "our HTTP server served fw.bin (8 bytes)",
        now=1000,  # after the charger's own retries (reboot_timeout)
        transfers=_http_saw("served", "fw.bin (8 bytes)"),
    ),
    Row(
        "§4.5 DownloadFailed with nothing reaching our HTTP server fails, breaking no clause of §4.5",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "DownloadFailed"), reboot_after=False, location=HOSTED),
        "failed",
        "nothing reached our HTTP server",
        now=1000,  # after the charger's own retries (reboot_timeout)
    ),
    Row(
        "§5.19/§6.55 retries belong to the charger: a DownloadFailed is not failed while a retry may still come",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "DownloadFailed"), reboot_after=False, location=HOSTED),
        "open",
        "may retry",
        now=300,
    ),
    Row(
        "§6.55 a DownloadFailed after the last of the retries we asked is failed",
        "firmware_update",
        lambda: _firmware(states=("Downloading", "DownloadFailed"), reboot_after=False, location=HOSTED, retries=1),
        "failed",
        now=300,
    ),
    Row(
        "§5.19 the image's version known: a reboot with another version after Installed fails",
        "firmware_update",
        lambda: _firmware(version="1.0", log=Log(firmware_image_version="2.0")),
        "failed",
        "not the image's",
    ),
    # 13 -- diagnostics
    Row(
        "§5.9/§4.4 a file named, uploaded and received passes",
        "diagnostics",
        lambda: _diagnostics(),
        "passed",
        files=_diag_file(2),
    ),
    Row(
        "§5.9 UploadFailed over FTP, then Uploaded over HTTP in the same attempt passes, naming both",
        "diagnostics",
        lambda: _other_protocol(uploaded=True),
        "passed",
        "tried: FTP: UploadFailed; then HTTP: Uploaded",
        files=_diag_file(4),
    ),
    Row(
        "§5.9 UploadFailed over FTP and then over HTTP fails once the upload window passed, naming both",
        "diagnostics",
        lambda: _other_protocol(uploaded=False),
        "failed",
        "tried: FTP: UploadFailed; then HTTP: UploadFailed",
        now=700,
    ),
    Row(
        "§5.9 UploadFailed over FTP: the try over HTTP is awaited, not failed at once",
        "diagnostics",
        lambda: _diagnostics(uploaded=False, failed=True),
        "open",
        "tried: FTP: UploadFailed",
        now=10,
    ),
    Row(
        "§5.9 GetDiagnostics without a file name (nothing in the window) is not a failure",
        "diagnostics",
        lambda: Log().us("GetDiagnostics", {"location": "ftp://x/"}, {}),
        "open",
        "no diagnostics in that window",
        now=1000,
    ),
    Row(
        "NotImplemented: GetDiagnostics of a charger without Firmware Management is Not supported",
        "diagnostics",
        lambda: Log().us("GetDiagnostics", {"location": "ftp://x/"}, error="NotImplemented"),
        "not_supported",
    ),
    Row(
        "an upload slower than the effect timeout, within the diagnostics timeout, is still awaited",
        "diagnostics",
        lambda: _diagnostics(uploaded=False),
        "open",
        now=300,
    ),
    Row(
        "§4.4 no Uploaded within the diagnostics timeout fails",
        "diagnostics",
        lambda: _diagnostics(uploaded=False),
        "failed",
        now=700,
    ),
    Row(
        "§4.4 UploadFailed while our FTP server refused the location's password: the lab's mistake, inconclusive",
        "diagnostics",
        lambda: _diagnostics(uploaded=False, failed=True, location="ftp://s1:wrong@lab:2121/"),
        "inconclusive",
        "refused the login (user 's1': wrong password)",
        transfers=_ftp_saw("login-failed", "user 's1': wrong password"),
    ),
    Row(
        "§4.4 UploadFailed for a location on another port than our FTP server's: inconclusive",
        "diagnostics",
        lambda: _diagnostics(uploaded=False, failed=True, location="ftp://s1:pw@lab:2122/"),
        "inconclusive",
        "the location names port 2122, our FTP server listens on 2121",
    ),
    Row(
        "§4.4 UploadFailed with nothing reaching our FTP server fails the item, breaking no clause of §4.4",
        "diagnostics",
        lambda: _diagnostics(uploaded=False, failed=True, location="ftp://s1:pw@lab:2121/"),
        "failed",
        "nothing reached our FTP server",
        now=700,  # the upload window passed without a retry
    ),
    Row(
        "§4.4 UploadFailed after the charger logged in to our FTP server fails, saying what the server saw",
        "diagnostics",
        lambda: _diagnostics(uploaded=False, failed=True, location="ftp://s1:pw@lab:2121/"),
        "failed",
        "saw the charger log in (user 's1') but no file came",
        now=700,  # the upload window passed without a retry
        transfers=_ftp_saw("login", "user 's1'"),
    ),
    Row(
        "§4.4 Uploaded reported but no file arrived fails",
        "diagnostics",
        lambda: _diagnostics(),
        "failed",
        now=300,
    ),
    Row(
        "§5.9/§6.25 an UploadFailed followed by the charger's retry is not failed, and passes once uploaded",
        "diagnostics",
        lambda: _diagnostics(failed_first=True),
        "passed",
        files=_diag_file(2),
    ),
    Row(
        "§6.25 retries belong to the charger: an UploadFailed is not failed while a retry may still come",
        "diagnostics",
        lambda: _diagnostics(uploaded=None, failed_first=True),
        "open",
        "may retry",
        now=300,
    ),
    Row(
        "§4.4/§6.25 an UploadFailed after the last of the retries we asked is failed",
        "diagnostics",
        lambda: _diagnostics(uploaded=None, failed_first=True, retries=1),
        "failed",
        "UploadFailed",
        now=10,
    ),
    Row(
        "§4.4 an UploadFailed with no retry within the upload window is failed",
        "diagnostics",
        lambda: _diagnostics(uploaded=None, failed_first=True),
        "failed",
        "reported UploadFailed",
        now=700,
    ),
    # 14 -- smart charging
    Row(
        "test script: SetChargingProfile accepted for every connector passes",
        "charging_profile",
        lambda: _profiles(Log().config(NumberOfConnectors=2), (1, 2)),
        "passed",
    ),
    Row(
        "test script 'per connector': one connector of two is open",
        "charging_profile",
        lambda: _profiles(Log().config(NumberOfConnectors=2), (1,)),
        "open",
        "Send SetChargingProfile for connector 2.",
    ),
    Row(
        "§9.4.2 Rejected for a chargingRateUnit the charger does not allow is legal",
        "charging_profile",
        lambda: _profiles(
            Log().config(NumberOfConnectors=1, ChargingScheduleAllowedChargingRateUnit="Power"), (1,), status="Rejected"
        ),
        "open",
        "ChargingScheduleAllowedChargingRateUnit",
    ),
    Row(
        "test script: Rejected for a profile within the charger's own limits fails, the script asking more than §5.16",
        "charging_profile",
        lambda: _profiles(
            Log().config(NumberOfConnectors=1, ChargingScheduleAllowedChargingRateUnit="Current"),
            (1,),
            status="Rejected",
        ),
        "failed",
        "test script requires Accepted",
    ),
    Row(
        "§3.3 Rejected by a charger whose SupportedFeatureProfiles lacks SmartCharging is Not supported",
        "charging_profile",
        lambda: _profiles(Log().config(NumberOfConnectors=1, SupportedFeatureProfiles="Core"), (1,), status="Rejected"),
        "not_supported",
    ),
    Row(
        "NotImplemented: SetChargingProfile of a charger without Smart Charging is Not supported",
        "charging_profile",
        lambda: Log().us("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {}}, error="NotImplemented"),
        "not_supported",
    ),
    Row(
        "§9.4 Rejected beyond MaxChargingProfilesInstalled is legal",
        "charging_profile",
        lambda: _profiles(
            _profiles(Log().config(NumberOfConnectors=2, MaxChargingProfilesInstalled=1), (1,)),
            (2,),
            status="Rejected",
        ),
        "open",
        "MaxChargingProfilesInstalled",
    ),
    Row(
        "§7.17 ChargingScheduleAllowedChargingRateUnit read in another case still says which units are allowed",
        "charging_profile",
        lambda: _profiles(
            Log().config(NumberOfConnectors=1, chargingscheduleallowedchargingrateunit="Power"), (1,), status="Rejected"
        ),
        "open",
        "ChargingScheduleAllowedChargingRateUnit",
    ),
    # 15 -- manual
    Row(
        "no OCPP 1.6 message exists for item 15: open until recorded by hand",
        "smart_charging_switch",
        lambda: Log(),
        "open",
    ),
    # 16 -- offline
    Row(
        "§3.7 transaction messages of the offline period, delivered after the reconnect, pass",
        "offline_transactions",
        lambda: _offline_transaction(),
        "passed",
        item=16,
    ),
    Row(
        "§3.7 clock skew: the server's offline window and the charger's own clock offset decide",
        "offline_transactions",
        lambda: _offline_transaction(skew=-120),
        "passed",
        "offset -120 s",
        item=16,
    ),
    Row(
        "§3.7 an outage the server never saw (a half-open socket replaced at the reconnect) counts from the last frame",
        "offline_transactions",
        lambda: stop(
            start(
                Log().status(1, "Available", timestamp=ts(0)).at(60).event("replaced").at(60.1).event("connected"),
                61,
                9,
                timestamp=ts(20),
            ),
            61.5,
            9,
            timestamp=ts(40),
        ),
        "passed",
        item=16,
    ),
    Row(
        "test script asks for cached transactions: a queued MeterValues alone is not one",
        "offline_transactions",
        lambda: (
            Log()
            .event("disconnected")
            .at(30)
            .event("connected")
            .at(31)
            .charger("MeterValues", {"connectorId": 0, "meterValue": [sample("Sample.Clock", 10)]})
        ),
        "open",
    ),
    Row(
        "test script 'cached transactions': the queued StartTransaction alone is half of one",
        "offline_transactions",
        lambda: start(
            Log().status(1, "Available", timestamp=ts(0)).at(10).event("disconnected").at(60).event("connected"),
            61,
            9,
            timestamp=ts(20),
        ),
        "open",
        "StopTransaction",
        item=16,
    ),
    Row(
        "an offline transaction seen outside an attempt of item 16 does not pass it",
        "offline_transactions",
        lambda: _offline_transaction(),
        "open",
        "outside an attempt",
    ),
    Row(
        "§3.7 an outage the server noticed late (ping timeout): queued messages judged by their own times from the "
        "charger's last frame",
        "offline_transactions",
        lambda: stop(
            start(
                Log().status(1, "Available", timestamp=ts(0)).at(55).event("disconnected").at(100).event("connected"),
                101,
                9,
                timestamp=ts(20),
            ),
            101.5,
            9,
            timestamp=ts(40),
        ),
        "passed",
        item=16,
    ),
    # 17 -- ClearCache
    Row("§5.4 ClearCache Accepted passes", "clear_cache", lambda: Log().us("ClearCache", {}, ACCEPTED), "passed"),
    Row(
        "§3.5/§9.1.2 without an authorization cache, Rejected is Not applicable",
        "clear_cache",
        lambda: Log().config(NumberOfConnectors=1).us("ClearCache", {}, {"status": "Rejected"}),
        "not_applicable",
    ),
    Row(
        "§5.4 Rejected while the configuration is still unknown is awaited, not judged",
        "clear_cache",
        lambda: Log().us("ClearCache", {}, {"status": "Rejected"}),
        "open",
    ),
    Row(
        "§5.4 Rejected although AuthorizationCacheEnabled is true fails",
        "clear_cache",
        lambda: Log().config(AuthorizationCacheEnabled="true").us("ClearCache", {}, {"status": "Rejected"}),
        "failed",
    ),
    Row(
        "§3.3/§5.4 ClearCache answered NotImplemented fails: it is Core",
        "clear_cache",
        lambda: Log().config(NumberOfConnectors=1).us("ClearCache", {}, error="NotImplemented"),
        "failed",
        "Core",
    ),
    Row(
        "§3.5.1/§9.1.2 without an authorization cache the item is Not applicable, even when ClearCache is Accepted",
        "clear_cache",
        lambda: Log().config(NumberOfConnectors=1).us("ClearCache", {}, ACCEPTED),
        "not_applicable",
    ),
    Row(
        "§7.17 AuthorizationCacheEnabled read in another case is the same key",
        "clear_cache",
        lambda: Log().config(authorizationcacheenabled="true").us("ClearCache", {}, {"status": "Rejected"}),
        "failed",
    ),
    # 18 -- TriggerMessage
    Row(
        "§5.17 TriggerMessage StatusNotification accepted, then the status, passes",
        "trigger_message",
        lambda: (
            Log()
            .us("TriggerMessage", {"requestedMessage": "StatusNotification"}, ACCEPTED, sent_by="certify:auto item:18")
            .at(1)
            .status(1, "Available")
        ),
        "passed",
        "Support triggermessage",
    ),
    Row(
        "§5.17 TriggerMessage answered NotImplemented is Not supported",
        "trigger_message",
        lambda: boot(Log(), 0).us("TriggerMessage", {"requestedMessage": "StatusNotification"}, error="NotImplemented"),
        "not_supported",
    ),
    Row(
        "§5.17 a status sent before the TriggerMessage answer is not the triggered one",
        "trigger_message",
        lambda: (
            Log()
            .status(1, "Available")
            .at(1)
            .us("TriggerMessage", {"requestedMessage": "StatusNotification"}, ACCEPTED)
        ),
        "failed",
        now=100,
    ),
    Row(
        "§5.17 TriggerMessage Rejected is a legal answer, not a failure",
        "trigger_message",
        lambda: Log().us("TriggerMessage", {"requestedMessage": "StatusNotification"}, {"status": "Rejected"}),
        "open",
        now=100,
    ),
]


def _beats(log, seconds):
    for second in seconds:
        log.at(second).charger("Heartbeat", {}, {"currentTime": "x"})
    return log


def _traffic(log, seconds):
    for second in seconds:
        log.at(second).charger("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
    return log


def _read(log, key, value, at):
    entries = [{"key": key, "readonly": False, "value": value}]
    return log.at(at).us("GetConfiguration", {"key": [key]}, {"configurationKey": entries})


def _scheduled(unplug_at=None):
    log = remote_start(Log().status(0, "Available").status(1, "Available"))
    log.at(2).us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Scheduled"})
    stop(log, 10, 1, "Local")
    if unplug_at:
        log.at(10.5).status(1, "Finishing")
    log.at(unplug_at or 11).status(1, "Unavailable")
    log.at((unplug_at or 11) + 1).us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
    return log.at((unplug_at or 11) + 2).status(1, "Available")


def _station_scheduled():
    """Connector 0 made Inoperative while connector 1 charges and connector 2 is idle, then Operative."""
    log = Log().config(NumberOfConnectors=2).status(0, "Available").status(1, "Available").status(2, "Available")
    remote_start(log, at=1)
    log.at(2).us("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Scheduled"})
    log.at(2.1).status(2, "Unavailable")
    stop(log, 10, 1, "Local")
    log.at(10.1).status(1, "Unavailable").at(10.2).status(0, "Unavailable")
    log.at(20).us("ChangeAvailability", {"connectorId": 0, "type": "Operative"}, ACCEPTED)
    return log.at(20.1).status(0, "Available").at(20.2).status(1, "Available").at(20.3).status(2, "Available")


def _starts(log=None, at=0, **kwargs):
    log = remote_start(log or Log(), at=at, **kwargs)
    log.at(at + 5).status(1, "Available")
    local_start(log, 2, at + 10)
    return refused_card(log, at + 20)


def _remote_and_local_stops(log):
    remote_start(log, tx=1)
    log.at(5).us("RemoteStopTransaction", {"transactionId": 1}, ACCEPTED)
    stop(log, 6, 1, "Remote").at(7).status(1, "Finishing")
    local_start(log, 2, 10)
    return stop(log, 15, 2, "Local").at(16).status(1, "Finishing")


def _queued_samples():
    log = interval(Log(), "MeterValueSampleInterval", 2)
    remote_start(log)
    log.at(100)
    for i in range(3):
        log.charger("MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [sample(at=2 + 2 * i)]})
    stop(log, 101, 1, timestamp=ts(9))
    return log.at(101.5).status(1, "Finishing")


def _resets(log=None, slow=0):
    log = log or Log()
    for at, kind in ((30, "Hard"), (1000, "Soft")):
        log.at(at).us("Reset", {"type": kind}, ACCEPTED)
        reboot(log, at + 1 + slow)
    return log


def _firmware(
    states=("Downloading", "Downloaded", "Installing", "Installed"),
    version="2.0",
    reboot_first=False,
    reboot_after=True,
    location="http://x/fw",
    log=None,
    **command,
):
    log = boot(log or Log(), 0)
    log.at(1).us("UpdateFirmware", {"location": location, "retrieveDate": ts(1), **command}, {})
    t = 2
    for state in states:
        if reboot_first and state == "Installed":
            reboot(log, t, version)
            t += 5
        log.at(t).charger("FirmwareStatusNotification", {"status": state})
        t += 1
    if reboot_after and not reboot_first:
        reboot(log, t, version)
    return log


def _diagnostics(uploaded=True, failed=False, location="ftp://x/", failed_first=False, **command):
    log = Log(ftp_port=2121).us("GetDiagnostics", {"location": location, **command}, {"fileName": "diag.log"})
    if failed_first:
        log.at(0.5).charger("DiagnosticsStatusNotification", {"status": "Uploading"})
        log.at(0.8).charger("DiagnosticsStatusNotification", {"status": "UploadFailed"})
        if uploaded is None:
            return log
    log.at(1).charger("DiagnosticsStatusNotification", {"status": "Uploading"})
    if uploaded:
        log.at(2).charger("DiagnosticsStatusNotification", {"status": "Uploaded"})
    if failed:
        log.at(2).charger("DiagnosticsStatusNotification", {"status": "UploadFailed"})
    return log


def _other_protocol(uploaded: bool) -> Log:
    """GetDiagnostics over FTP ending UploadFailed, then over HTTP (Uploaded or UploadFailed)."""
    log = _diagnostics(uploaded=False, failed=True, location="ftp://s1:pw@lab:2121/")
    log.at(3).us("GetDiagnostics", {"location": "http://lab/files/diagnostics/1/x/"}, {"fileName": "diag.log"})
    log.at(3.5).charger("DiagnosticsStatusNotification", {"status": "Uploading"})
    status = "Uploaded" if uploaded else "UploadFailed"
    return log.at(4).charger("DiagnosticsStatusNotification", {"status": status})


def _profiles(log, connectors, status="Accepted", unit="A"):
    for connector in connectors:
        profile = {
            "chargingProfileId": connector,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
        }
        log.us("SetChargingProfile", {"connectorId": connector, "csChargingProfiles": profile}, {"status": status})
    return log


def _asked(log, seconds):
    """Our requests, answered by the charger, at these times."""
    for second in seconds:
        log.at(second).us("GetConfiguration", {"key": ["HeartbeatInterval"]}, {"configurationKey": []})
    return log


def _interval_changed_midway():
    """A transaction sampled every 10 s, the interval set to 60 s halfway (§5.3: from then on)."""
    log = interval(interval(Log(), "MeterValueSampleInterval", 10), "MeterValuesSampledData", ",".join(MEASURED))
    remote_start(log)
    for at in (10, 20):
        log.at(at).charger("MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [sample(at=at)]})
    interval(log, "MeterValueSampleInterval", 60, at=25)
    for at in (85, 145):
        log.at(at).charger("MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [sample(at=at)]})
    stop(log, 150, 1)
    return log.at(150.5).status(1, "Finishing")


def _one_sample_short():
    """Voltage configured and sent in the first periodic sample only."""
    log = interval(interval(Log(), "MeterValueSampleInterval", 2), "MeterValuesSampledData", ",".join(MEASURED))
    remote_start(log)
    for i, at in enumerate((2, 4, 6)):
        measured = MEASURED if i == 0 else MEASURED[:3]
        payload = {"connectorId": 1, "transactionId": 1, "meterValue": [sample(at=at, measurands=measured)]}
        log.at(at).charger("MeterValues", payload)
    stop(log, 7, 1)
    return log.at(7.5).status(1, "Finishing")


MEASURED = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")


def _sampled_data(*answers, **config) -> Log:
    """MeterValueSampleInterval 2 s, then each (answer, measurands) MeterValuesSampledData of ours."""
    log = interval(Log().config(**config) if config else Log(), "MeterValueSampleInterval", 2)
    for status, measurands in answers:
        interval(log, "MeterValuesSampledData", ",".join(measurands), status)
    return log


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_rule(row: Row):
    verdict = row.build().judge(row.rule, now_seconds=row.now, files=row.files, item=row.item, transfers=row.transfers)
    assert verdict.status == row.expect, verdict.reason
    if row.reason:
        assert row.reason in f"{verdict.reason} {verdict.remark}"
    if verdict.status == "failed":
        assert verdict.clause, "a failure names the clause it breaks"
        assert verdict.expected and verdict.actual, "a failure says what was expected and what came"


def test_every_rule_has_a_legal_variant_and_a_row():
    assert {row.rule for row in ROWS} == set(RULES)
    # A legal variant: a row the rule passes (a manual case is judged by the engineer, never passed by a rule).
    automatic = {case.rule for case in catalogs.get("ocpp16-testscript").cases if case.automatic}
    passing = {row.rule for row in ROWS if row.expect == "passed"}
    assert automatic - passing == set(), "rules without a passing row"


@pytest.mark.parametrize(
    ("numbers", "text"), [([1], "connector 1"), ([1, 2], "connectors 1 and 2"), ([0, 1, 2], "connectors 0, 1 and 2")]
)
def test_connectors_read_as_words_not_as_a_list(numbers, text):
    assert connectors(numbers) == text


def test_the_card_first_path_names_the_steps_it_saw():
    """After the card-first path passes, nothing says the cable was plugged in."""
    verdict = _card_first(back_at=32).judge("cable_status")
    labels = [step["label"] for step in verdict.steps]
    assert all(step["done"] for step in verdict.steps), verdict.steps
    assert labels[0] == "Card presented, no cable (Authorize Accepted)"
    assert not any("plugged in" in label for label in labels)


def test_a_failed_upload_breaks_no_clause_the_charger_kept():
    """UploadFailed is what §4.4 asks of a charger whose upload failed: not "Breaks §4.4"."""
    log = _diagnostics(uploaded=False, failed=True, location="ftp://s1:pw@lab:2121/")
    verdict = log.judge("diagnostics", now_seconds=700)  # no retry within the upload window
    assert verdict.status == "failed"
    assert "§4.4" not in verdict.clause


def _named(verdict, label_start: str, log: Log) -> list[str]:
    """The actions of the frames a step names (its own and those it names besides)."""
    by_id = {f.id: f for f in log.frames}
    found = next(s for s in verdict.steps if s["label"].startswith(label_start))
    return [
        by_id[i].action + (" result" if by_id[i].message_type == 3 else "")
        for i in (found["frame"], *found.get("frames", ()))
    ]


def test_the_remote_stop_step_names_its_remote_stop_transaction():
    """Test script item 7: the evidence shows the command that stopped the transaction."""
    log = _stops_all(Log())
    verdict = log.judge("stop_transaction")
    assert _named(verdict, "Remote stop", log) == ["StopTransaction", "RemoteStopTransaction", "StatusNotification"]
    remote = next(f.id for f in log.frames if f.action == "RemoteStopTransaction" and f.message_type == 2)
    assert remote in verdict.evidence


def test_the_local_start_step_names_its_charging_status():
    """Test script item 6: the local start's step shows its StartTransaction and Charging, not only the card."""
    log = _starts()
    verdict = log.judge("start_transaction")
    assert _named(verdict, "Local start", log) == ["Authorize", "StartTransaction", "StatusNotification"]


def test_change_availability_cites_the_command_that_changed_the_status():
    """§5.2: a later Operative that finds the connector already Available changes nothing; the
    evidence that counts is the Operative that brought it back."""
    log = Log().config(NumberOfConnectors=1).status(0, "Available").status(1, "Available").at(1)
    log.us("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, ACCEPTED).at(2).status(1, "Unavailable")
    log.at(3).us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED).at(4).status(1, "Available")
    log.at(5).us("ChangeAvailability", {"connectorId": 1, "type": "Operative"}, ACCEPTED)
    verdict = log.judge("change_availability")
    operative = [f for f in log.frames if f.action == "ChangeAvailability" and f.message_type == 2][1]
    assert verdict.status == "passed", verdict.reason
    assert verdict.actual.endswith(f"Operative at {operative.ts:%H:%M:%S} (frame #{operative.seq})")
    assert _named(verdict, "ChangeAvailability Operative", log) == ["ChangeAvailability", "StatusNotification"]


def test_the_offline_step_cites_the_outage_the_queued_messages_came_from():
    """§3.7: the evidence is the reconnect the queued transaction followed, not a later outage."""
    log = _offline_transaction()
    reconnect = log.frames[-5]  # the "connected" event before the queued StartTransaction
    log.at(200).event("disconnected").at(300).event("connected")
    verdict = log.judge("offline_transactions", item=16)
    assert verdict.status == "passed", verdict.reason
    assert (reconnect.direction, verdict.steps[0]["frame"]) == ("event", reconnect.id)


def test_the_case_a_command_was_sent_for_is_read_off_its_tag():
    """Certification reads its own tag off `sent_by`; the log keeps the text as stored."""
    tags = {
        "user:ada case:17": "17",
        "user:ada case:TC_003_CS": "TC_003_CS",
        "certify:auto item:18": "18",  # an old log
        "certify:preflight": None,
        "": None,
    }
    log = FrameLog(
        {"seq": n, "ts": "2026-01-01T12:00:00Z", "direction": "out", "raw": '[2,"x","ClearCache",{}]', "sent_by": tag}
        for n, tag in enumerate(tags, 1)
    )
    assert [case_of(r) for r in log] == list(tags.values())
    assert [sender_of(r) for r in log][:3] == ["user:ada", "user:ada", "certify:auto"]


def test_a_session_without_get_diagnostics_names_nothing_tried():
    verdict = Log().judge("diagnostics")
    assert verdict.status == "open" and "tried" not in verdict.reason
