"""The rules that judge each test item, as small functions of a session's frames.

A rule gets a `SessionFrames` (the session's evidence log, parsed once, with
each CALL linked to its answer) and returns a `Verdict`: open, passed, failed
or not applicable, a one-line reason, a short remark in the reference's style,
and the frames it rests on. A rule fails only on positive evidence of wrong
behaviour, or when an expected effect did not follow within the session's
tolerance; otherwise it says what it is waiting for.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .models import FAILED, NOT_APPLICABLE, OPEN, PASSED

DEFAULT_OPTIONS = {
    "effect_timeout": 60,  # s for a status or message to follow a command
    "reboot_timeout": 180,  # s for a charger to come back after a reset or update
    "interval_tolerance": 0.5,  # fraction of an interval a sample may be late
    "interval_slack": 2,  # s added to every interval check
}
CHARGING_STATES = {"Charging", "SuspendedEV", "SuspendedEVSE"}
OPERATIVE_STATES = {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved"}


@dataclass
class Record:
    """One frame of the log, parsed."""

    id: int
    seq: int
    ts: datetime
    direction: str
    message_type: int | None
    action: str
    unique_id: str
    payload: dict | list | None
    sent_by: str = ""
    answer: Record | None = None  # for a CALL: its CALLRESULT or CALLERROR
    event: str = ""  # for events: connected, disconnected, ...

    @property
    def ok(self) -> bool:
        """A CALL answered with a CALLRESULT."""
        return self.answer is not None and self.answer.message_type == 3

    def answer_status(self) -> str:
        """The answer's status field, or the CALLERROR code, or '' if none yet."""
        if self.answer is None:
            return ""
        if self.answer.message_type == 4:
            return (self.answer.payload or {}).get("errorCode", "CALLERROR")
        return (self.answer.payload or {}).get("status", "")

    def get(self, key: str, default=None):
        return self.payload.get(key, default) if isinstance(self.payload, dict) else default


@dataclass
class Verdict:
    status: str
    reason: str
    remark: str = ""
    evidence: list[int] = field(default_factory=list)
    timings: dict = field(default_factory=dict)


def parse_time(value) -> datetime | None:
    """An OCPP timestamp as an aware UTC datetime; a time without a zone is
    read as UTC here (the evidence log names it as a finding)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class SessionFrames:
    """A session's frames, parsed, with CALLs linked to their answers. Built
    incrementally: `extend` takes frames newer than those it has."""

    def __init__(self, options: dict | None = None, now: datetime | None = None) -> None:
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.records: list[Record] = []
        self.by_action: dict[str, list[Record]] = {}
        self.events: list[Record] = []
        self._open_calls: dict[tuple[str, str], Record] = {}
        self.files: list[dict] = []  # SessionFiles: {"id","kind","name","size","created_at"}
        self.last_seq = 0
        self.now = now or datetime.now(UTC)

    def extend(self, frames: Iterable) -> None:
        """Add Frame rows (or anything with the same attributes), in seq order."""
        for frame in frames:
            try:
                data = json.loads(frame.raw)
            except (ValueError, RecursionError):
                data = None
            payload = None
            event = ""
            if frame.direction == "event":
                payload = data if isinstance(data, dict) else None
                event = (payload or {}).get("event", "")
            elif isinstance(data, list):
                if frame.message_type == 2 and len(data) == 4:
                    payload = data[3]
                elif frame.message_type == 3 and len(data) == 3:
                    payload = data[2]
                elif frame.message_type == 4 and len(data) == 5:
                    payload = {"errorCode": data[2], "errorDescription": data[3]}
            record = Record(
                frame.id,
                frame.seq,
                frame.ts,
                frame.direction,
                frame.message_type,
                frame.action,
                frame.unique_id,
                payload,
                getattr(frame, "sent_by", ""),
                event=event,
            )
            self.last_seq = max(self.last_seq, frame.seq)
            self.records.append(record)
            if event:
                self.events.append(record)
                continue
            if record.message_type == 2 and isinstance(payload, dict):
                self.by_action.setdefault(record.action, []).append(record)
                self._open_calls[(record.direction, record.unique_id)] = record
            elif record.message_type in (3, 4):
                # An answer travels the other way from its CALL.
                caller = "out" if record.direction == "in" else "in"
                call = self._open_calls.pop((caller, record.unique_id), None)
                if call is not None and call.answer is None:
                    call.answer = record

    # -- queries --------------------------------------------------------------

    def calls(self, action: str, direction: str) -> list[Record]:
        """CALLs of an action: direction 'in' from the charger, 'out' ours."""
        return [r for r in self.by_action.get(action, []) if r.direction == direction]

    def statuses(self, connector: int | None = None) -> list[Record]:
        return [
            r for r in self.calls("StatusNotification", "in") if connector is None or r.get("connectorId") == connector
        ]

    def first_after(self, records: list[Record], when: datetime, test: Callable[[Record], bool] = lambda r: True):
        for record in records:
            if record.ts >= when and test(record):
                return record
        return None

    def expired(self, since: datetime, seconds: float) -> bool:
        return self.now - since > timedelta(seconds=seconds)

    def opt(self, name: str):
        return self.options[name]

    def offline_windows(self) -> list[tuple[datetime, datetime, Record]]:
        """(went away, came back, the connected event) for each reconnection."""
        windows = []
        gone: datetime | None = None
        for event in self.events:
            if event.event in ("disconnected", "replaced"):
                gone = gone or event.ts
            elif event.event == "connected" and gone is not None:
                windows.append((gone, event.ts, event))
                gone = None
        return windows


def _ids(*records: Record | None) -> list[int]:
    ids: list[int] = []
    for record in records:
        if record is not None:
            ids.append(record.id)
            if record.answer is not None:
                ids.append(record.answer.id)
    return ids


def _seconds(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds(), 3)


# -- 1 -------------------------------------------------------------------------


def boot_notification(s: SessionFrames) -> Verdict:
    boots = s.calls("BootNotification", "in")
    if not boots:
        return Verdict(OPEN, "Awaiting a BootNotification (power the charger on or reset it).")
    boot = boots[-1]
    wanted = ["chargePointSerialNumber", "iccid", "firmwareVersion"]
    missing = [key for key in wanted if not boot.get(key)]
    if missing:
        return Verdict(
            FAILED, f"BootNotification lacks {', '.join(missing)}", "missing " + ", ".join(missing), _ids(boot)
        )
    return Verdict(
        PASSED,
        f"BootNotification from {boot.get('chargePointVendor')} {boot.get('chargePointModel')} with serial, "
        "ICCID and firmware version",
        "ok",
        _ids(boot),
    )


# -- 2 -------------------------------------------------------------------------


def _interval_changes(s: SessionFrames) -> list[tuple[datetime, int, Record]]:
    """When the charger was told which heartbeat interval to keep."""
    changes = []
    for boot in s.calls("BootNotification", "in"):
        if boot.ok and isinstance(boot.answer.get("interval"), int):
            changes.append((boot.answer.ts, boot.answer.get("interval"), boot))
    for change in s.calls("ChangeConfiguration", "out"):
        if change.get("key") == "HeartbeatInterval" and change.answer_status() == "Accepted":
            try:
                changes.append((change.answer.ts, int(change.get("value")), change))
            except (TypeError, ValueError):
                continue
    return sorted(changes, key=lambda c: c[0])


def heartbeat(s: SessionFrames) -> Verdict:
    beats = [b for b in s.calls("Heartbeat", "in") if b.ok]
    if not beats:
        return Verdict(OPEN, "Awaiting a Heartbeat (or send TriggerMessage Heartbeat).")
    evidence = _ids(beats[0])
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    # TriggerMessage Heartbeat must be followed by a Heartbeat.
    for trigger in s.calls("TriggerMessage", "out"):
        if trigger.get("requestedMessage") != "Heartbeat" or trigger.answer is None:
            continue
        if trigger.answer_status() != "Accepted":
            return Verdict(FAILED, f"TriggerMessage Heartbeat answered {trigger.answer_status()}", "", _ids(trigger))
        follow = s.first_after(beats, trigger.ts)
        if follow is None and s.expired(trigger.answer.ts, s.opt("effect_timeout")):
            return Verdict(FAILED, "TriggerMessage Heartbeat was accepted but no Heartbeat followed", "", _ids(trigger))
        evidence += _ids(trigger, follow)
    changes = _interval_changes(s)
    if changes:
        when, interval, source = changes[-1]
        if interval > 3600:
            return Verdict(FAILED, f"Heartbeat interval {interval} s is longer than an hour", "", _ids(source))
        if source.action == "ChangeConfiguration":
            after = [b for b in beats if b.ts > when]
            limit = interval * (1 + tolerance) + slack
            # The first beat may still follow the old timer; from then on the new one rules.
            start = after[0].ts if after else when
            charger_calls = [r.ts for r in s.records if r.direction == "in" and r.message_type == 2 and r.ts >= start]
            marks = [start, *charger_calls]
            gaps = [_seconds(a, b) for a, b in itertools.pairwise(marks)]
            silent = _seconds(marks[-1], s.now)
            offline = any(w[0] > start for w in s.offline_windows())
            if not offline and (any(g > limit * 2 for g in gaps) or (silent > limit * 2 + interval)):
                return Verdict(
                    FAILED,
                    f"Heartbeats do not follow HeartbeatInterval {interval} s: "
                    f"{max([*gaps, silent]):.0f} s without a message",
                    "",
                    _ids(source, *after[:2]),
                )
            if len(after) < 2:
                return Verdict(OPEN, f"HeartbeatInterval set to {interval} s; awaiting two Heartbeats at that pace.")
            return Verdict(
                PASSED,
                f"Heartbeats follow the new HeartbeatInterval of {interval} s",
                "ok, heartbeat interval changed",
                evidence + _ids(source, *after[:3]),
                {"HeartbeatInterval change→first Heartbeat": _seconds(when, after[0].ts)},
            )
    return Verdict(PASSED, f"{len(beats)} Heartbeat(s) registered", "ok", evidence)


# -- 3 -------------------------------------------------------------------------


def _connector_count(s: SessionFrames) -> int:
    for request in reversed(s.calls("GetConfiguration", "out")):
        if request.ok:
            for entry in request.answer.get("configurationKey", []) or []:
                if entry.get("key") == "NumberOfConnectors":
                    try:
                        return int(entry.get("value"))
                    except (TypeError, ValueError):
                        pass
    seen = [r.get("connectorId") for r in s.statuses()]
    return max([c for c in seen if isinstance(c, int)], default=0)


def change_availability(s: SessionFrames) -> Verdict:
    evidence: list[int] = []
    done = {"Inoperative": False, "Operative": False}
    for command in s.calls("ChangeAvailability", "out"):
        if command.answer is None:
            continue
        status = command.answer_status()
        kind = command.get("type")
        if status == "Scheduled":
            continue  # applies after the running transaction; judged when it does
        if status != "Accepted":
            return Verdict(FAILED, f"ChangeAvailability {kind} answered {status}", "", _ids(command))
        connector = command.get("connectorId")
        count = _connector_count(s)
        targets = list(range(1, count + 1)) if connector == 0 else [connector]
        want = (
            (lambda r: r.get("status") == "Unavailable")
            if kind == "Inoperative"
            else (lambda r: r.get("status") in OPERATIVE_STATES)
        )
        for target in targets or [connector]:
            follow = s.first_after(s.statuses(target), command.ts, want)
            if follow is None:
                if s.expired(command.answer.ts, s.opt("effect_timeout")):
                    expected = "Unavailable" if kind == "Inoperative" else "Available"
                    return Verdict(
                        FAILED,
                        f"No StatusNotification {expected} for connector {target} within "
                        f"{s.opt('effect_timeout')} s of ChangeAvailability {kind}",
                        "",
                        _ids(command),
                    )
                return Verdict(OPEN, f"ChangeAvailability {kind} accepted; awaiting the status of connector {target}.")
            evidence += _ids(command, follow)
        done[kind] = True
    count = _connector_count(s)
    reported = {r.get("connectorId") for r in s.statuses()}
    missing = [c for c in range(0, count + 1) if c not in reported]
    waiting = [k for k, v in done.items() if not v]
    if waiting:
        return Verdict(OPEN, f"Send ChangeAvailability {' and '.join(waiting)} (per connector).", "", evidence)
    if missing:
        return Verdict(OPEN, f"No StatusNotification yet for connector(s) {missing}.", "", evidence)
    return Verdict(
        PASSED,
        f"Inoperative → Unavailable and Operative → Available; statuses for connectors 0..{count}",
        "ok",
        evidence,
    )


# -- 4, 5 ----------------------------------------------------------------------


def get_configuration(s: SessionFrames) -> Verdict:
    requests = [r for r in s.calls("GetConfiguration", "out") if r.answer is not None]
    if not requests:
        return Verdict(OPEN, "Send GetConfiguration without keys.")
    full = [r for r in requests if not r.get("key")]
    request = (full or requests)[-1]
    if not request.ok:
        return Verdict(FAILED, f"GetConfiguration answered {request.answer_status()}", "", _ids(request))
    keys = request.answer.get("configurationKey", []) or []
    if not full:
        return Verdict(OPEN, "Only named keys were asked for; send GetConfiguration without keys.", "", _ids(request))
    return Verdict(PASSED, f"GetConfiguration listed {len(keys)} keys", f"Configuration ({len(keys)})", _ids(request))


def change_configuration(s: SessionFrames) -> Verdict:
    latest: dict[str, Record] = {}
    for change in s.calls("ChangeConfiguration", "out"):
        if change.answer is not None:
            latest[change.get("key")] = change
    if not latest:
        return Verdict(OPEN, "Send ChangeConfiguration for a key.")
    refused = {k: r for k, r in latest.items() if r.answer_status() not in ("Accepted", "RebootRequired")}
    if refused:
        key, record = next(iter(refused.items()))
        return Verdict(FAILED, f"ChangeConfiguration {key} answered {record.answer_status()}", "", _ids(record))
    keys = ", ".join(latest)
    remark = "ok, heartbeat interval changed" if list(latest) == ["HeartbeatInterval"] else f"ok, {keys} changed"
    return Verdict(PASSED, f"ChangeConfiguration accepted for {keys}", remark, _ids(*latest.values()))


# -- 6, 7 ----------------------------------------------------------------------


def _started(s: SessionFrames) -> list[Record]:
    return [r for r in s.calls("StartTransaction", "in") if r.ok]


def start_transaction(s: SessionFrames) -> Verdict:
    timeout = s.opt("effect_timeout")
    evidence: list[int] = []
    timings: dict = {}
    remote_ok = local_ok = False
    for remote in s.calls("RemoteStartTransaction", "out"):
        if remote.answer is None:
            continue
        if remote.answer_status() != "Accepted":
            return Verdict(FAILED, f"RemoteStartTransaction answered {remote.answer_status()}", "", _ids(remote))
        connector = remote.get("connectorId")
        start = s.first_after(_started(s), remote.ts, lambda r, c=connector: c is None or r.get("connectorId") == c)
        if start is None:
            if s.expired(remote.answer.ts, timeout):
                return Verdict(
                    FAILED, f"No StartTransaction within {timeout} s of RemoteStartTransaction", "", _ids(remote)
                )
            continue
        charging = s.first_after(
            s.statuses(start.get("connectorId")), start.ts, lambda r: r.get("status") in CHARGING_STATES
        )
        if charging is None:
            if s.expired(start.ts, timeout):
                return Verdict(
                    FAILED,
                    f"No StatusNotification Charging within {timeout} s of StartTransaction",
                    "",
                    _ids(remote, start),
                )
            continue
        preparing = [
            r for r in s.statuses(start.get("connectorId")) if r.get("status") == "Preparing" and r.ts <= start.ts
        ]
        if not preparing:
            return Verdict(FAILED, "Charging without Preparing before it", "", _ids(remote, start, charging))
        remote_ok = True
        evidence += _ids(remote, preparing[-1], start, charging)
        timings["RemoteStartTransaction→Charging"] = _seconds(remote.ts, charging.ts)
    for auth in s.calls("Authorize", "in"):
        if not auth.ok:
            continue
        tag = auth.get("idTag")
        start = s.first_after(_started(s), auth.ts, lambda r, t=tag: r.get("idTag") == t)
        accepted = (auth.answer.get("idTagInfo") or {}).get("status") == "Accepted"
        if not accepted:
            if start is not None and (start.ts - auth.ts).total_seconds() < timeout:
                return Verdict(
                    FAILED,
                    f"StartTransaction followed Authorize of {tag}, which we answered "
                    f"{(auth.answer.get('idTagInfo') or {}).get('status')}",
                    "",
                    _ids(auth, start),
                )
            evidence += _ids(auth)
            continue
        if start is None:
            continue
        charging = s.first_after(
            s.statuses(start.get("connectorId")), start.ts, lambda r: r.get("status") in CHARGING_STATES
        )
        if charging is not None:
            local_ok = True
            evidence += _ids(auth, start, charging)
            timings.setdefault("Authorize→Charging", _seconds(auth.ts, charging.ts))
    if remote_ok and local_ok:
        return Verdict(PASSED, "Remote and local starts: StartTransaction, then Charging", "ok", evidence, timings)
    if not remote_ok:
        return Verdict(
            OPEN, "Awaiting a remote start (RemoteStartTransaction, StartTransaction, Charging).", "", evidence, timings
        )
    return Verdict(
        OPEN, "Remote start ok; awaiting a local start (Authorize, StartTransaction, Charging).", "", evidence, timings
    )


def stop_transaction(s: SessionFrames) -> Verdict:
    timeout = s.opt("effect_timeout")
    stops = [r for r in s.calls("StopTransaction", "in") if r.ok]
    evidence: list[int] = []
    timings: dict = {}
    seen = {"remote": False, "local": False, "unplug": False}
    remote_ids = set()
    for remote in s.calls("RemoteStopTransaction", "out"):
        if remote.answer is None:
            continue
        if remote.answer_status() != "Accepted":
            return Verdict(FAILED, f"RemoteStopTransaction answered {remote.answer_status()}", "", _ids(remote))
        tx = remote.get("transactionId")
        remote_ids.add(tx)
        stop = s.first_after(stops, remote.ts, lambda r, t=tx: r.get("transactionId") == t)
        if stop is None:
            if s.expired(remote.answer.ts, timeout):
                return Verdict(
                    FAILED, f"No StopTransaction for {tx} within {timeout} s of RemoteStopTransaction", "", _ids(remote)
                )
            continue
        timings["RemoteStopTransaction→StopTransaction"] = _seconds(remote.ts, stop.ts)
        evidence += _ids(remote)
    for stop in stops:
        reason = stop.get("reason", "Local")
        connector = _connector_of(s, stop.get("transactionId"))
        statuses = s.statuses(connector) if connector is not None else s.statuses()
        if reason == "EVDisconnected":
            seen["unplug"] = True
            evidence += _ids(stop)
            continue
        if reason in ("HardReset", "SoftReset", "Reboot", "PowerLoss", "UnlockCommand", "DeAuthorized", "Other"):
            continue
        finishing = s.first_after(statuses, stop.ts, lambda r: r.get("status") == "Finishing")
        if finishing is None:
            early = s.first_after(statuses, stop.ts, lambda r: r.get("status") != "Finishing")
            if early is not None or s.expired(stop.ts, timeout):
                return Verdict(FAILED, f"No Finishing after StopTransaction ({reason})", "", _ids(stop, early))
            continue
        available = s.first_after(statuses, finishing.ts, lambda r: r.get("status") == "Available")
        if available is None:
            continue
        kind = "remote" if stop.get("transactionId") in remote_ids or reason == "Remote" else "local"
        seen[kind] = True
        evidence += _ids(stop, finishing, available)
    missing = [k for k, v in seen.items() if not v]
    if not missing:
        return Verdict(
            PASSED,
            "Remote and local stops (then Finishing, Available) and a stop on unplug (EVDisconnected)",
            "ok",
            evidence,
            timings,
        )
    wanted = {
        "remote": "a remote stop",
        "local": "a local stop",
        "unplug": "a StopTransaction on unplug (EVDisconnected)",
    }
    return Verdict(OPEN, "Awaiting " + ", ".join(wanted[m] for m in missing) + ".", "", evidence, timings)


def _connector_of(s: SessionFrames, transaction_id) -> int | None:
    for start in _started(s):
        if start.answer.get("transactionId") == transaction_id:
            return start.get("connectorId")
    return None


# -- 8 -------------------------------------------------------------------------


def _measurands(samples: Iterable[dict]) -> set[str]:
    found = set()
    for sample in samples:
        for value in sample.get("sampledValue", []) or []:
            found.add(value.get("measurand", "Energy.Active.Import.Register"))
    return found


def _contexts(samples: Iterable[dict]) -> set[str]:
    return {v.get("context", "Sample.Periodic") for sample in samples for v in sample.get("sampledValue", []) or []}


def _sample_interval(s: SessionFrames) -> int | None:
    value = None
    for request in s.calls("GetConfiguration", "out"):
        if request.ok:
            for entry in request.answer.get("configurationKey", []) or []:
                if entry.get("key") == "MeterValueSampleInterval":
                    value = entry.get("value")
    for change in s.calls("ChangeConfiguration", "out"):
        if change.get("key") == "MeterValueSampleInterval" and change.answer_status() == "Accepted":
            value = change.get("value")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def meter_values(s: SessionFrames) -> Verdict:
    interval = _sample_interval(s)
    stops = {r.get("transactionId"): r for r in s.calls("StopTransaction", "in") if r.ok}
    meters = s.calls("MeterValues", "in")
    best: Verdict | None = None
    for start in _started(s):
        tx = start.answer.get("transactionId")
        own = [m for m in meters if m.get("transactionId") == tx]
        periodic = [m for m in own if "Sample.Periodic" in _contexts(m.get("meterValue", []))]
        samples = [sample for m in own for sample in m.get("meterValue", [])]
        stop = stops.get(tx)
        if stop is not None:
            samples += stop.get("transactionData", []) or []
        found = _measurands(samples)
        lacking = [
            name
            for name, measurand in (
                ("Voltage", "Voltage"),
                ("Current", "Current.Import"),
                ("Power", "Power.Active.Import"),
            )
            if measurand not in found
        ]
        if len(periodic) >= 2 and lacking:
            return Verdict(
                FAILED, f"MeterValues of transaction {tx} lack {', '.join(lacking)}", "", _ids(*periodic[:2])
            )
        if interval and len(periodic) >= 2:
            limit = interval * (1 + s.opt("interval_tolerance")) + s.opt("interval_slack")
            gaps = [_seconds(a.ts, b.ts) for a, b in itertools.pairwise(periodic)]
            if max(gaps) > limit:
                return Verdict(
                    FAILED,
                    f"Periodic MeterValues of transaction {tx} came {max(gaps):.0f} s apart; MeterValueSampleInterval is {interval} s",
                    "",
                    _ids(*periodic[:3]),
                )
        if stop is None:
            continue
        contexts = _contexts(samples)
        if "Transaction.Begin" not in contexts or "Transaction.End" not in contexts:
            which = [c for c in ("Transaction.Begin", "Transaction.End") if c not in contexts]
            return Verdict(FAILED, f"Transaction {tx} has no {' or '.join(which)} meter reading", "", _ids(start, stop))
        if len(periodic) < 2:
            best = best or Verdict(
                OPEN, f"Transaction {tx} had fewer than two periodic samples; charge longer.", "", _ids(start, stop)
            )
            continue
        return Verdict(
            PASSED,
            f"Begin and End readings, periodic samples every ~{interval or '?'} s with voltage, current and power",
            "ok",
            _ids(start, *periodic[:3], stop),
        )
    return best or Verdict(OPEN, "Awaiting a transaction with meter values (start, charge a few intervals, stop).")


# -- 9 -------------------------------------------------------------------------


def _came_back(s: SessionFrames, after: datetime) -> tuple[Record | None, Record | None, Record | None]:
    """The reconnect, BootNotification and StatusNotification after a time."""
    connected = s.first_after(s.events, after, lambda r: r.event == "connected")
    if connected is None:
        return None, None, None
    boot = s.first_after(s.calls("BootNotification", "in"), connected.ts)
    status = s.first_after(s.statuses(), boot.ts) if boot else None
    return connected, boot, status


def reset(s: SessionFrames) -> Verdict:
    done: dict[str, list[int]] = {}
    timings = {}
    for command in s.calls("Reset", "out"):
        if command.answer is None:
            continue
        kind = command.get("type")
        if command.answer_status() != "Accepted":
            return Verdict(FAILED, f"Reset {kind} answered {command.answer_status()}", "", _ids(command))
        connected, boot, status = _came_back(s, command.ts)
        if status is None:
            if s.expired(command.answer.ts, s.opt("reboot_timeout")):
                missing = (
                    "reconnect" if connected is None else "BootNotification" if boot is None else "StatusNotification"
                )
                return Verdict(
                    FAILED, f"No {missing} within {s.opt('reboot_timeout')} s of Reset {kind}", "", _ids(command)
                )
            continue
        done[kind] = [*_ids(command, boot, status), connected.id]
        timings[f"Reset {kind}→BootNotification"] = _seconds(command.ts, boot.ts)
    if "Hard" in done and "Soft" in done:
        return Verdict(
            PASSED,
            "Hard and soft reset: back online with BootNotification and statuses",
            "Both ok",
            done["Hard"] + done["Soft"],
            timings,
        )
    waiting = [k for k in ("Hard", "Soft") if k not in done]
    return Verdict(
        OPEN,
        f"Awaiting Reset {' and '.join(waiting)} and the charger's return.",
        "",
        [i for ids in done.values() for i in ids],
        timings,
    )


# -- 10, 11 ----------------------------------------------------------------------


def error_notification(s: SessionFrames) -> Verdict:
    for error in s.statuses():
        code = error.get("errorCode")
        if code in (None, "NoError"):
            continue
        connector = error.get("connectorId")
        recovery = s.first_after(s.statuses(connector), error.ts, lambda r: r.get("errorCode") == "NoError")
        where = "connector 0 (the station itself)" if connector == 0 else f"connector {connector}"
        info = f" ({error.get('info')})" if error.get("info") else ""
        if recovery is None:
            return Verdict(OPEN, f"{code}{info} on {where}; awaiting its recovery (NoError).", "", _ids(error))
        return Verdict(
            PASSED,
            f"{code}{info} on {where}, then recovered",
            f"Ok, {code} on {where}",
            _ids(error, recovery),
            {"error→recovery": _seconds(error.ts, recovery.ts)},
        )
    return Verdict(OPEN, "Create a hardware error (e.g. interrupt the CP signal) and restore it.")


def _connection_timeout(s: SessionFrames) -> int | None:
    value = None
    for change in s.calls("ChangeConfiguration", "out"):
        if change.get("key") == "ConnectionTimeOut" and change.answer_status() == "Accepted":
            value = change.get("value")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def cable_status(s: SessionFrames) -> Verdict:
    starts = _started(s)
    for preparing in s.statuses():
        if preparing.get("status") != "Preparing":
            continue
        connector = preparing.get("connectorId")
        before = [r for r in s.statuses(connector) if r.ts < preparing.ts]
        if not before or before[-1].get("status") != "Available":
            continue
        back = s.first_after(s.statuses(connector), preparing.ts, lambda r: r.get("status") != "Preparing")
        if back is None or back.get("status") != "Available":
            continue
        if any(preparing.ts <= st.ts <= back.ts and st.get("connectorId") == connector for st in starts):
            continue
        waited = _seconds(preparing.ts, back.ts)
        configured = _connection_timeout(s)
        note = f" (ConnectionTimeOut {configured} s)" if configured else ""
        return Verdict(
            PASSED,
            f"Connector {connector}: Available → Preparing, back to Available after {waited:.0f} s{note}. "
            "OCPP 1.6 has no 'Occupied': Preparing is its plugged-in state.",
            "ok",
            _ids(before[-1], preparing, back),
            {"Preparing→Available (timeout)": waited},
        )
    return Verdict(OPEN, "Plug the cable in and wait past ConnectionTimeOut without starting.")


# -- 12, 13 ----------------------------------------------------------------------


def firmware_update(s: SessionFrames) -> Verdict:
    notes = s.calls("FirmwareStatusNotification", "in")
    for command in reversed(s.calls("UpdateFirmware", "out")):
        if command.answer is None:
            continue
        if not command.ok:
            return Verdict(FAILED, f"UpdateFirmware answered {command.answer_status()}", "", _ids(command))
        after = [n for n in notes if n.ts >= command.ts]
        states = [n.get("status") for n in after]
        failed = [st for st in states if st in ("DownloadFailed", "InstallationFailed")]
        if failed:
            return Verdict(FAILED, f"Firmware update ended with {failed[0]}", "", _ids(command, *after))
        if "Downloading" not in states:
            retrieve = parse_time(command.get("retrieveDate")) or command.ts
            if s.expired(max(retrieve, command.ts), s.opt("reboot_timeout")):
                return Verdict(
                    FAILED, "No FirmwareStatusNotification Downloading after UpdateFirmware", "", _ids(command)
                )
            return Verdict(OPEN, "UpdateFirmware accepted; awaiting Downloading.", "", _ids(command))
        if "Installed" not in states:
            return Verdict(OPEN, f"Firmware update under way ({states[-1]}).", "", _ids(command, *after))
        if states.index("Downloading") > states.index("Installed"):
            return Verdict(FAILED, "Installed came before Downloading", "", _ids(command, *after))
        installed = after[states.index("Installed")]
        _connected, boot, _ = _came_back(s, installed.ts)
        if boot is None:
            if s.expired(installed.ts, s.opt("reboot_timeout")):
                return Verdict(FAILED, "No reboot (BootNotification) after Installed", "", _ids(command, *after))
            return Verdict(OPEN, "Installed; awaiting the reboot.", "", _ids(command, *after))
        return Verdict(
            PASSED,
            f"Downloading → {' → '.join(states[states.index('Downloading') + 1 : states.index('Installed') + 1])}, "
            f"then rebooted with firmware {boot.get('firmwareVersion', '?')}",
            "ok",
            _ids(command, *after, boot),
            {
                "UpdateFirmware→Installed": _seconds(command.ts, installed.ts),
                "Installed→BootNotification": _seconds(installed.ts, boot.ts),
            },
        )
    return Verdict(OPEN, "Upload a firmware file and send UpdateFirmware.")


def diagnostics(s: SessionFrames) -> Verdict:
    notes = s.calls("DiagnosticsStatusNotification", "in")
    for command in reversed(s.calls("GetDiagnostics", "out")):
        if command.answer is None:
            continue
        if not command.ok:
            return Verdict(FAILED, f"GetDiagnostics answered {command.answer_status()}", "", _ids(command))
        name = command.answer.get("fileName")
        if not name:
            return Verdict(
                FAILED, "GetDiagnostics answered without a file name (no diagnostics available)", "", _ids(command)
            )
        after = [n for n in notes if n.ts >= command.ts]
        states = [n.get("status") for n in after]
        if "UploadFailed" in states:
            return Verdict(FAILED, "Diagnostics upload failed (UploadFailed)", "", _ids(command, *after))
        if "Uploaded" not in states:
            if s.expired(command.answer.ts, s.opt("reboot_timeout")):
                return Verdict(
                    FAILED, "No DiagnosticsStatusNotification Uploaded after GetDiagnostics", "", _ids(command, *after)
                )
            return Verdict(OPEN, f"GetDiagnostics answered {name}; awaiting the upload.", "", _ids(command, *after))
        if "Uploading" not in states[: states.index("Uploaded")]:
            return Verdict(FAILED, "Uploaded without Uploading before it", "", _ids(command, *after))
        received = [f for f in s.files if f["kind"] == "diagnostics" and f["created_at"] >= command.ts]
        if not received:
            if s.expired(after[states.index("Uploaded")].ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "The charger reported Uploaded but no file reached our upload location",
                    "",
                    _ids(command, *after),
                )
            return Verdict(
                OPEN, "Uploaded reported; awaiting the file at our upload location.", "", _ids(command, *after)
            )
        got = received[-1]
        return Verdict(
            PASSED,
            f"{name} reported, Uploading → Uploaded, and {got['name']} ({got['size']} bytes) arrived",
            "ok",
            _ids(command, *after),
            {"GetDiagnostics→Uploaded": _seconds(command.ts, after[states.index("Uploaded")].ts)},
        )
    return Verdict(OPEN, "Send GetDiagnostics with a time window and our upload location.")


# -- 14, 15, 16, 17, 18 ------------------------------------------------------------


def charging_profile(s: SessionFrames) -> Verdict:
    latest: dict = {}
    for command in s.calls("SetChargingProfile", "out"):
        if command.answer is not None:
            latest[command.get("connectorId")] = command
    if not latest:
        return Verdict(OPEN, "Send SetChargingProfile per connector.")
    for connector, command in latest.items():
        if command.answer_status() != "Accepted":
            return Verdict(
                FAILED,
                f"SetChargingProfile for connector {connector} answered {command.answer_status()}",
                "",
                _ids(command),
            )
    return Verdict(
        PASSED, f"SetChargingProfile accepted for connector(s) {sorted(latest)}", "ok", _ids(*latest.values())
    )


def manual_only(s: SessionFrames) -> Verdict:
    return Verdict(OPEN, "Manual item: no OCPP 1.6 message exists for it; record what the charger showed.")


def offline_transactions(s: SessionFrames) -> Verdict:
    queued: list[Record] = []
    for gone, back, _connected in s.offline_windows():
        for action in ("StartTransaction", "StopTransaction", "MeterValues"):
            for record in s.calls(action, "in"):
                if record.ts < back:
                    continue
                stamp = parse_time(record.get("timestamp"))
                if stamp is None and action == "MeterValues":
                    stamps = [parse_time(v.get("timestamp")) for v in record.get("meterValue", []) or []]
                    stamp = min([t for t in stamps if t], default=None)
                if stamp is not None and gone <= stamp <= back:
                    queued.append(record)
    if not queued:
        return Verdict(OPEN, "Take the charger offline, start and stop a transaction, let it reconnect.")
    queued.sort(key=lambda r: r.seq)
    actions = sorted({r.action for r in queued})
    return Verdict(
        PASSED,
        f"{len(queued)} transaction message(s) from the offline period arrived after the reconnect ({', '.join(actions)})",
        "ok",
        _ids(*queued),
    )


def clear_cache(s: SessionFrames) -> Verdict:
    commands = [c for c in s.calls("ClearCache", "out") if c.answer is not None]
    if not commands:
        return Verdict(OPEN, "Send ClearCache.")
    command = commands[-1]
    if command.answer_status() != "Accepted":
        return Verdict(FAILED, f"ClearCache answered {command.answer_status()}", "", _ids(command))
    return Verdict(PASSED, "ClearCache answered Accepted", "ok", _ids(command))


def trigger_message(s: SessionFrames) -> Verdict:
    for trigger in reversed(s.calls("TriggerMessage", "out")):
        if trigger.get("requestedMessage") != "StatusNotification" or trigger.answer is None:
            continue
        if trigger.answer_status() != "Accepted":
            return Verdict(
                FAILED, f"TriggerMessage StatusNotification answered {trigger.answer_status()}", "", _ids(trigger)
            )
        connector = trigger.get("connectorId")
        reply = s.first_after(s.statuses(connector), trigger.ts)
        if reply is None:
            if s.expired(trigger.answer.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "TriggerMessage StatusNotification accepted but no StatusNotification followed",
                    "",
                    _ids(trigger),
                )
            return Verdict(OPEN, "TriggerMessage accepted; awaiting the StatusNotification.", "", _ids(trigger))
        auto = " (sent automatically after boot)" if trigger.sent_by == "certify:auto" else ""
        return Verdict(
            PASSED,
            f"TriggerMessage StatusNotification{auto} answered with a StatusNotification",
            "Support triggermessage, reply status notification",
            _ids(trigger, reply),
            {"TriggerMessage→StatusNotification": _seconds(trigger.ts, reply.ts)},
        )
    return Verdict(OPEN, "Awaiting a boot (TriggerMessage StatusNotification is sent after it) or send it by hand.")


RULES: dict[str, Callable[[SessionFrames], Verdict]] = {
    "boot_notification": boot_notification,
    "heartbeat": heartbeat,
    "change_availability": change_availability,
    "get_configuration": get_configuration,
    "change_configuration": change_configuration,
    "start_transaction": start_transaction,
    "stop_transaction": stop_transaction,
    "meter_values": meter_values,
    "reset": reset,
    "error_notification": error_notification,
    "cable_status": cable_status,
    "firmware_update": firmware_update,
    "diagnostics": diagnostics,
    "charging_profile": charging_profile,
    "manual_only": manual_only,
    "offline_transactions": offline_transactions,
    "clear_cache": clear_cache,
    "trigger_message": trigger_message,
}

__all__ = ["NOT_APPLICABLE", "RULES", "Record", "SessionFrames", "Verdict"]
