"""The rules that judge each test item, as small functions of a session's frames.

A rule gets a `SessionFrames` scoped to the frames it may judge (one attempt of
its item, or the whole session; see certify.evaluation) and returns a `Verdict`:
open, passed, failed, not supported or not applicable, a one-line reason, a
short remark in the reference's words, what was expected and what came, the
clause a failure breaks, and the frames it rests on.

The specification is the judge (OCPP 1.6 edition 2): a rule fails only on
positive evidence of behaviour the specification forbids, or when an effect it
mandates did not follow within the session's tolerance. Where the test script
asks more than the specification, the rule does not fail the charger for it and
says so in its reason. State the session knows (the configuration last read,
the connector states, the open transactions) comes from the whole session
(`s.root`), whatever the scope.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from chargers.frames.reader import Log, Record, parse_time
from chargers.protocol.v16.state import State16

from .models import FAILED, NOT_APPLICABLE, NOT_SUPPORTED, OPEN, PASSED

DEFAULT_OPTIONS = {
    "effect_timeout": 60,  # s for a status or message to follow a command
    "reboot_timeout": 900,  # s for a charger to come back after a reset or update (some wait minutes)
    "diagnostics_timeout": 600,  # s for an upload to end
    "interval_tolerance": 0.5,  # fraction of an interval a sample may be late
    "interval_slack": 2,  # s added to every interval check
    "refusal_wait": 10,  # s a refused card must start nothing before the refusal counts as shown
}
CHARGING_STATES = {"Charging", "SuspendedEV", "SuspendedEVSE"}
OPERATIVE_STATES = {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved"}
UNSUPPORTED_ANSWERS = {"NotImplemented", "NotSupported"}
REBOOT_REASONS = {"HardReset", "SoftReset", "Reboot", "PowerLoss"}
AUTO = "certify:auto"  # our own commands, e.g. item 18's TriggerMessage after a boot
PREFLIGHT = "certify:preflight"  # the pre-flight read: state, never evidence


def case_tag(key: str) -> str:
    """The suffix of `sent_by` naming the case a command was sent for (old logs
    say ` item:<number>`, read alike)."""
    return f" case:{key}"


@dataclass
class Verdict:
    status: str
    reason: str
    remark: str = ""
    evidence: list[int] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    expected: str = ""
    actual: str = ""
    clause: str = ""  # the clause a failure breaks
    steps: list[dict] = field(default_factory=list)  # {"label", "done", "frame"}
    waiting: dict = field(default_factory=dict)  # {"for", "deadline", "person"}

    @property
    def final(self) -> bool:
        return self.status != OPEN


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def step(label: str, record: Record | None = None, done: bool | None = None) -> dict:
    return {
        "label": label,
        "done": record is not None if done is None else done,
        "frame": record.id if record else None,
    }


class SessionFrames:
    """A session's frames, read once (chargers.frames.reader.Log) with what the
    1.6 log says (chargers.protocol.v16.state.State16). `extend` takes frames
    newer than those it has. `scope` gives a view of the same frames limited to
    a seq range and to one case's own commands; `root` is always the whole
    session."""

    def __init__(self, options: dict | None = None, now: datetime | None = None) -> None:
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.log = Log()
        self.state = State16(self.log, self.options.get("initial"))
        self.files: list[dict] = []  # SessionFiles: {"id","kind","name","size","created_at"}
        self.now = now or datetime.now(UTC)
        self.lo, self.hi, self.case = 0, None, None
        self.root = self

    def __len__(self) -> int:
        return len(self.log)

    def extend(self, frames: Iterable) -> None:
        """Add Frame rows (or `.values()` dicts), in seq order."""
        self.log.extend(frames)

    @property
    def last_seq(self) -> int:
        return self.log.last_seq

    @property
    def by_id(self) -> dict[int, Record]:
        return self.log.by_id

    @property
    def by_action(self) -> dict[str, list[Record]]:
        return self.log.by_action

    @property
    def all_events(self) -> list[Record]:
        return self.log.events

    def scope(self, lo: int = 0, hi: int | None = None, case: str | None = None) -> SessionFrames:
        """The frames with seq in (lo, hi]; with `case` (a key), only that case's
        own commands among ours. Our pre-flight read is never evidence."""
        view = copy.copy(self)
        view.lo, view.hi, view.root = lo, hi, self.root
        view.case = None if case is None else str(case)
        return view

    # -- queries (scoped) -------------------------------------------------------

    def _mine(self, record: Record) -> bool:
        if record.direction != "out":
            return True
        if record.sent_by.startswith(PREFLIGHT):
            return False
        return self.case is None or record.case == self.case

    def calls(self, action: str, direction: str) -> list[Record]:
        """CALLs of an action: direction 'in' from the charger, 'out' ours."""
        return [r for r in self.log.calls(action, direction, self.lo, self.hi) if self._mine(r)]

    def window(self) -> list[Record]:
        return self.log.window(self.lo, self.hi)

    @property
    def events(self) -> list[Record]:
        return self.log.events_between(self.lo, self.hi)

    def statuses(self, connector: int | None = None) -> list[Record]:
        return self.state.statuses(connector, self.lo, self.hi)

    def first_after(self, records: list[Record], when: datetime, test: Callable[[Record], bool] = lambda r: True):
        for record in records:
            if record.ts >= when and test(record):
                return record
        return None

    def expired(self, since: datetime, seconds: float) -> bool:
        return self.now - since > timedelta(seconds=seconds)

    def deadline(self, since: datetime, seconds: float) -> str | None:
        return _iso(since + timedelta(seconds=seconds))

    def opt(self, name: str):
        return self.options[name]

    def offline_windows(self) -> list[tuple[datetime, datetime, Record]]:
        return self.state.offline_windows()

    def connected_now(self) -> bool:
        return self.state.connected_now()

    # -- state the session knows (whole session) ----------------------------------

    def config(self, before: datetime | None = None) -> dict[str, str]:
        return self.state.config(before)

    def config_known(self) -> bool:
        return self.state.config_known()

    def config_int(self, key: str, before: datetime | None = None) -> int | None:
        return self.state.config_int(key, before)

    def config_bool(self, key: str) -> bool | None:
        return self.state.config_bool(key)

    def connector_count(self) -> int:
        return self.state.connector_count()

    def status_at(self, connector: int, when: datetime) -> str:
        return self.state.status_at(connector, when)

    def minimum_status_duration(self) -> int:
        return self.state.minimum_status_duration()

    def vendor(self) -> str:
        return self.state.vendor()

    def started(self) -> list[Record]:
        return self.state.started(self.lo, self.hi)

    def stops(self) -> list[Record]:
        return self.state.stops(self.lo, self.hi)

    def start_of(self, transaction_id) -> Record | None:
        return self.state.start_of(transaction_id)

    def from_queue(self, record: Record) -> bool:
        return self.state.from_queue(record, self.opt("interval_slack"))

    def clock_offset(self) -> timedelta:
        return self.state.clock_offset()


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


def _at(record: Record | None) -> str:
    return f"{record.ts:%H:%M:%S} (frame #{record.seq})" if record is not None else ""


def _lacks_profile(s: SessionFrames, profile: str) -> bool:
    """SupportedFeatureProfiles was read and does not list the profile."""
    value = s.config().get("SupportedFeatureProfiles")
    return value is not None and profile not in {p.strip() for p in value.split(",")}


def _without_credentials(url: str) -> str:
    """A location as a report may print it: no user or password (they stay in the log)."""
    parts = urlsplit(str(url))
    if not parts.netloc or "@" not in parts.netloc:
        return str(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def _not_supported(s: SessionFrames, command: Record, what: str) -> Verdict:
    return Verdict(
        NOT_SUPPORTED,
        f"{what} answered {command.answer_status()}: the charger does not implement this optional feature "
        "(§3.3: only Core is required; NotImplemented and NotSupported are correct answers: OCPP-J §4.2.3, "
        "§7.11, §7.44)",
        f"Not supported by {s.vendor()}",
        _ids(command),
        expected=f"{what} Accepted",
        actual=f"{command.answer_status()} at {_at(command.answer)}",
    )


# -- 1 -------------------------------------------------------------------------


SCRIPT_BOOT_FIELDS = ("chargePointSerialNumber", "iccid", "firmwareVersion")


def boot_notification(s: SessionFrames) -> Verdict:
    boots = s.calls("BootNotification", "in")
    if not boots:
        return Verdict(
            OPEN,
            "Awaiting a BootNotification (power the charger on or reset it).",
            steps=[step("BootNotification received")],
            waiting={"for": "a BootNotification", "person": "power the charger on, or send Reset"},
        )
    boot = boots[-1]
    if boot.answer is not None and boot.answer.message_type == 4:
        return Verdict(
            FAILED,
            f"BootNotification broke the schema: we answered {boot.answer_status()}",
            "",
            _ids(boot),
            expected="a BootNotification.req with chargePointVendor and chargePointModel (§6.3)",
            actual=f"{boot.answer_status()} at {_at(boot)}",
            clause="§6.3 BootNotification.req",
        )
    missing = [key for key in SCRIPT_BOOT_FIELDS if not boot.get(key)]
    absent_imsi = "" if boot.get("imsi") else ", imsi"
    reason = f"BootNotification from {boot.get('chargePointVendor')} {boot.get('chargePointModel')}"
    remark = "ok"
    if missing:
        reason += (
            f"; without {', '.join(missing)}: the test script asks for them, OCPP 1.6 §6.3 makes them optional "
            "(iccid and imsi belong to a modem's SIM)"
        )
        remark = f"ok, no {', '.join(missing)}{absent_imsi if 'iccid' in missing else ''}"
    return Verdict(
        PASSED,
        reason,
        remark,
        _ids(boot),
        expected="BootNotification with chargePointVendor and chargePointModel; the script also asks "
        + ", ".join(SCRIPT_BOOT_FIELDS),
        actual=f"BootNotification at {_at(boot)}" + (f", without {', '.join(missing)}" if missing else ""),
        steps=[step("BootNotification received", boot)],
    )


# -- 2 -------------------------------------------------------------------------


def _gaps_while_connected(s: SessionFrames, start: datetime, end: datetime | None) -> list[float]:
    """Seconds of silence from the charger while it was connected (any CALL
    counts: the interval is one of inactivity, §9.1.10): a disconnection ends a
    silence, a reconnection starts one, and up to now while still connected."""
    end = end or s.now
    points = [
        (r.ts, "msg") for r in s.root.window() if r.direction == "in" and r.message_type == 2 and start < r.ts <= end
    ]
    for event in s.root.all_events:
        if start < event.ts <= end:
            kind = "back" if event.event == "connected" else "gone"
            if event.event in ("connected", "disconnected", "replaced", "refused", "offline"):
                points.append((event.ts, kind))
    points.sort(key=lambda p: p[0])
    if end == s.now and s.connected_now():
        points.append((s.now, "msg"))
    gaps, last, connected = [], start, True
    for when, kind in points:
        if connected:
            gaps.append(_seconds(last, when))
        connected = kind != "gone"
        last = when
    return gaps


def heartbeat(s: SessionFrames) -> Verdict:
    beats = [b for b in s.calls("Heartbeat", "in") if b.ok]
    steps = [step("Heartbeat received", beats[0] if beats else None)]
    evidence = _ids(beats[0]) if beats else []
    notes = []
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    for trigger in s.calls("TriggerMessage", "out"):
        if trigger.get("requestedMessage") != "Heartbeat" or trigger.answer is None:
            continue
        status = trigger.answer_status()
        if status != "Accepted":
            # Remote Trigger is optional (§3.3); NotImplemented and Rejected are legal (§5.17).
            notes.append(f"TriggerMessage Heartbeat answered {status} (legal: Remote Trigger is optional)")
            continue
        follow = s.first_after(beats, trigger.answer.ts)
        if follow is None:
            if s.expired(trigger.answer.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "TriggerMessage Heartbeat was accepted but no Heartbeat followed",
                    "",
                    _ids(trigger),
                    expected=f"a Heartbeat within {s.opt('effect_timeout')} s of the accepted TriggerMessage",
                    actual=f"Accepted at {_at(trigger.answer)}, no Heartbeat",
                    clause="test script item 2, 'send OCPP command to see heartbeat' (§5.17: SHOULD be sent)",
                )
            return Verdict(
                OPEN,
                "TriggerMessage Heartbeat accepted; awaiting the Heartbeat.",
                "",
                _ids(trigger),
                steps=[*steps, step("Triggered Heartbeat", None)],
                waiting={
                    "for": "the triggered Heartbeat",
                    "deadline": s.deadline(trigger.answer.ts, s.opt("effect_timeout")),
                },
            )
        evidence += _ids(trigger, follow)
        steps.append(step("Triggered Heartbeat", follow))
    changes = [
        c
        for c in s.calls("ChangeConfiguration", "out")
        if c.get("key") == "HeartbeatInterval" and c.answer_status() == "Accepted"
    ]
    if changes:
        change = changes[-1]
        try:
            interval = int(float(change.get("value")))
        except (TypeError, ValueError):
            interval = 0
        when = change.answer.ts
        # Until the next boot: a boot hands out a new interval (§4.2), but it does
        # not excuse an interval ignored before it.
        boots = [b for b in s.root.calls("BootNotification", "in") if b.ts > when]
        end = boots[0].ts if boots else None
        after = [b for b in beats if b.ts > when and (end is None or b.ts < end)]
        limit = interval * (1 + tolerance) + slack
        # The first beat may still follow the old timer; from then on the new one rules.
        start = after[0].ts if after else when
        gaps = _gaps_while_connected(s, start, end)
        if interval > 0 and gaps and max(gaps) > limit * 2 + (0 if after else interval):
            return Verdict(
                FAILED,
                f"Heartbeats do not follow HeartbeatInterval {interval} s: {max(gaps):.0f} s without a message "
                "while connected",
                "",
                _ids(change, *after[:2]),
                expected=f"a message at least every {interval} s of inactivity after the change was Accepted",
                actual=f"{max(gaps):.0f} s of silence",
                clause="test script item 2 (§9.1.10 HeartbeatInterval; §4.6 makes heartbeats optional over JSON)",
            )
        steps.append(step(f"HeartbeatInterval set to {interval} s", change))
        # The first Heartbeat after the change may be a triggered one or follow the old timer.
        steps.append(step("Heartbeats at the new interval", after[1] if len(after) > 1 else None))
        if len(after) < 2:
            return Verdict(
                OPEN,
                f"HeartbeatInterval set to {interval} s; awaiting two Heartbeats at that pace (leave the charger "
                "idle: other messages may replace heartbeats, §4.6).",
                "",
                evidence + _ids(change),
                steps=steps,
                waiting={"for": f"a Heartbeat after {interval} s of inactivity", "person": "leave the charger idle"},
            )
        return Verdict(
            PASSED,
            f"Heartbeats follow the new HeartbeatInterval of {interval} s" + (f"; {'; '.join(notes)}" if notes else ""),
            "ok, heartbeat interval changed",
            evidence + _ids(change, *after[:3]),
            {"HeartbeatInterval change→first Heartbeat": _seconds(when, after[0].ts)},
            expected=f"Heartbeats, at most every {interval} s of inactivity",
            actual=f"first Heartbeat {_seconds(when, after[0].ts):.0f} s after the change, at {_at(after[0])}",
            steps=steps,
        )
    if not beats:
        return Verdict(
            OPEN,
            "Awaiting a Heartbeat (or send TriggerMessage Heartbeat)." + (f" {'; '.join(notes)}." if notes else ""),
            "",
            evidence,
            steps=steps,
            waiting={"for": "a Heartbeat", "person": "leave the charger idle for a heartbeat interval"},
        )
    return Verdict(
        PASSED,
        f"{len(beats)} Heartbeat(s) registered" + (f"; {'; '.join(notes)}" if notes else ""),
        "ok",
        evidence,
        expected="Heartbeat.req from the charger",
        actual=f"first at {_at(beats[0])}",
        steps=steps,
    )


# -- 3 -------------------------------------------------------------------------


def _wanted(kind: str) -> Callable[[str], bool]:
    if kind == "Inoperative":
        return lambda status: status == "Unavailable"
    return lambda status: status in OPERATIVE_STATES


def change_availability(s: SessionFrames) -> Verdict:
    timeout = s.opt("effect_timeout")
    minimum = s.minimum_status_duration()
    count = s.connector_count()
    evidence: list[int] = []
    shown = {"Inoperative": None, "Operative": None}
    notes: list[str] = []
    commands = [c for c in s.calls("ChangeAvailability", "out") if c.answer is not None]
    for index, command in enumerate(commands):
        status, kind, connector = command.answer_status(), command.get("type"), command.get("connectorId")
        if status not in ("Accepted", "Scheduled"):
            # Rejected: the change is not possible, e.g. no such connector (§5.2; with a transaction: Scheduled).
            notes.append(f"ChangeAvailability {kind} on connector {connector} answered {status}")
            evidence += _ids(command)
            continue
        targets = list(range(1, count + 1)) if connector == 0 and count else [connector]
        later = [c for c in commands[index + 1 :] if c.get("connectorId") in (connector, 0)]
        undone_at = later[0].ts if later else None
        since = command.ts
        if status == "Scheduled":
            # Applied when the running transaction ends (§5.2): judge from its stop.
            stop = s.first_after(s.root.stops(), command.ts)
            if stop is None:
                notes.append(f"ChangeAvailability {kind} Scheduled: awaiting the end of the transaction")
                continue
            since = stop.ts
        want = _wanted(kind)
        follows = []
        for target in targets:
            if status == "Accepted" and want(s.status_at(target, command.ts)):
                # Already in that state: Accepted, and no new status is due (§5.2).
                follows.append((target, None))
                continue
            follow = s.first_after(
                s.statuses(target),
                since,
                lambda r, want=want, since=since: (
                    want(r.get("status")) and r.ts - since <= timedelta(seconds=timeout + minimum)
                ),
            )
            if follow is None:
                if undone_at is not None and (undone_at - since).total_seconds() <= minimum + timeout:
                    # Undone before the charger had to report it (MinimumStatusDuration, §4.9).
                    notes.append(f"ChangeAvailability {kind} was undone before connector {target} had to report it")
                    follows = []
                    break
                if s.expired(since, timeout + minimum):
                    expected = "Unavailable" if kind == "Inoperative" else "Available"
                    return Verdict(
                        FAILED,
                        f"No StatusNotification {expected} for connector {target} within {timeout + minimum} s of "
                        f"ChangeAvailability {kind} ({status})",
                        "",
                        _ids(command),
                        expected=f"StatusNotification {expected} for connector {target}",
                        actual=f"{status} at {_at(command.answer)}, then no such status",
                        clause="§5.2 Change Availability, §4.9 Status Notification",
                    )
                return Verdict(
                    OPEN,
                    f"ChangeAvailability {kind} {status}; awaiting the status of connector {target}.",
                    "",
                    evidence + _ids(command),
                    steps=[step(f"{k} shown", None, done=v is not None) for k, v in shown.items()],
                    waiting={
                        "for": f"StatusNotification of connector {target}",
                        "deadline": s.deadline(since, timeout + minimum),
                    },
                )
            follows.append((target, follow))
        if follows and len(follows) == len(targets):
            shown[kind] = command
            evidence += _ids(command, *[f for _, f in follows])
    steps = [step(f"ChangeAvailability {k} and its status", v) for k, v in shown.items()]
    reported = {r.get("connectorId") for r in s.root.statuses()}
    reported |= {int(c) for c in (s.root.options.get("initial", {}).get("connectors") or {})}
    missing = [c for c in range(0, count + 1) if c not in reported]
    waiting = [k for k, v in shown.items() if v is None]
    note = f" ({'; '.join(notes)})" if notes else ""
    if waiting:
        return Verdict(
            OPEN,
            f"Send ChangeAvailability {' and '.join(waiting)} (per connector).{note}",
            "",
            evidence,
            steps=steps,
        )
    extra = (
        f"; no status yet for connector(s) {missing}: the test script asks for every connector including 0, "
        "OCPP 1.6 does not require connector 0"
        if missing
        else f"; statuses for connectors 0..{count}"
    )
    return Verdict(
        PASSED,
        f"Inoperative → Unavailable and Operative → Available{extra}{note}",
        "ok",
        evidence,
        expected="after Inoperative: Unavailable; after Operative: Available (per connector)",
        actual=f"Inoperative at {_at(shown['Inoperative'])}, Operative at {_at(shown['Operative'])}",
        steps=steps,
    )


# -- 4, 5 ----------------------------------------------------------------------


def get_configuration(s: SessionFrames) -> Verdict:
    requests = [r for r in s.calls("GetConfiguration", "out") if r.answer is not None]
    full = [r for r in requests if not r.get("key")]
    if not full:
        return Verdict(
            OPEN,
            "Send GetConfiguration without keys."
            if not requests
            else "Only named keys were asked for; send GetConfiguration without keys.",
            "",
            _ids(*requests[-1:]),
            steps=[step("GetConfiguration() answered with every key")],
        )
    request = full[-1]
    if not request.ok:
        return Verdict(
            FAILED,
            f"GetConfiguration answered {request.answer_status()}",
            "",
            _ids(request),
            expected="GetConfiguration.conf with every configuration key",
            actual=f"{request.answer_status()} at {_at(request.answer)}",
            clause="§5.8 Get Configuration (Core)",
        )
    keys = request.answer.get("configurationKey", []) or []
    if not keys:
        return Verdict(
            FAILED,
            "GetConfiguration without keys was answered with no keys: §5.8 asks for all of them",
            "",
            _ids(request),
            expected="GetConfiguration.conf listing all configuration keys",
            actual=f"an empty list at {_at(request.answer)}",
            clause="§5.8 Get Configuration",
        )
    return Verdict(
        PASSED,
        f"GetConfiguration listed {len(keys)} keys",
        f"Configuration ({len(keys)})",
        _ids(request),
        expected="the complete list of configuration keys",
        actual=f"{len(keys)} keys at {_at(request.answer)}",
        steps=[step("GetConfiguration() answered with every key", request)],
    )


def _normal(value) -> str:
    """A configuration value as compared: case and spaces in lists do not matter."""
    return ",".join(part.strip() for part in str(value).split(",")).lower()


def _read_back(s: SessionFrames, key: str, after: datetime) -> tuple[Record | None, str | None]:
    """The first GetConfiguration answer after a moment that lists the key."""
    for read in s.root.by_action.get("GetConfiguration", []):
        if read.direction != "out" or not read.ok or read.answer.ts < after:
            continue
        for entry in read.answer.get("configurationKey", []) or []:
            if isinstance(entry, dict) and entry.get("key") == key:
                return read, entry.get("value")
    return None, None


def change_configuration(s: SessionFrames) -> Verdict:
    changes = [c for c in s.calls("ChangeConfiguration", "out") if c.answer is not None]
    if not changes:
        return Verdict(
            OPEN, "Send ChangeConfiguration for a writable key, then read it back.", steps=[step("A key changed")]
        )
    notes, waiting_for = [], ""
    for change in reversed(changes):
        key, value, status = change.get("key"), change.get("value"), change.answer_status()
        if status not in ("Accepted", "RebootRequired"):
            # Rejected (out of range, read-only) and NotSupported (absent key) are legal (§5.3).
            notes.append(f"{key}={value} answered {status}")
            continue
        since = change.answer.ts
        if status == "RebootRequired":
            boot = s.first_after(s.root.calls("BootNotification", "in"), since)
            if boot is None:
                waiting_for = waiting_for or f"{key}: RebootRequired; reset the charger, then read the key back"
                continue
            since = boot.ts
        read, found = _read_back(s, key, since)
        if read is None:
            waiting_for = waiting_for or f"{key} changed ({status}); read it back (GetConfiguration)"
            continue
        boots = [b for b in s.root.calls("BootNotification", "in") if change.ts < b.ts <= read.answer.ts and b.ok]
        overridden = boots and str(boots[-1].answer.get("interval")) == str(found)
        if key == "HeartbeatInterval" and overridden and _normal(found) != _normal(value):
            # A boot in between handed out its own interval (§4.2): the change cannot be read back.
            notes.append(f"{key}={value}: a BootNotification set the interval to {found} before the read-back (§4.2)")
            continue
        if _normal(found) != _normal(value):
            return Verdict(
                FAILED,
                f"ChangeConfiguration {key}={value} was {status}, but GetConfiguration reads {found}",
                "",
                _ids(change, read),
                expected=f"{key} = {value} when read back",
                actual=f"{key} = {found} at {_at(read.answer)}",
                clause="§5.3 Change Configuration",
            )
        remark = "ok, heartbeat interval changed" if key == "HeartbeatInterval" else f"ok, {key} changed"
        note = f" (also: {'; '.join(notes)}: legal answers, §5.3)" if notes else ""
        return Verdict(
            PASSED,
            f"{key} changed to {value} ({status}) and read back{note}",
            remark,
            _ids(change, read),
            expected=f"ChangeConfiguration {key} Accepted and the new value read back",
            actual=f"{status} at {_at(change.answer)}, read back at {_at(read.answer)}",
            steps=[step(f"{key} changed", change), step(f"{key} read back", read)],
        )
    reason = waiting_for or f"No key was changed ({'; '.join(notes)}: legal answers, §5.3); try a writable key."
    return Verdict(
        OPEN,
        reason,
        "",
        _ids(*changes[-3:]),
        steps=[step("A key changed", None, done=bool(waiting_for)), step("Read back")],
        waiting={"for": reason} if waiting_for else {},
    )


# -- 6, 7 ----------------------------------------------------------------------


def _charging_near(s: SessionFrames, start: Record, timeout: float) -> Record | None:
    """A charging status of the start's connector, before or after the
    StartTransaction (no order is mandated between them)."""
    connector = start.get("connectorId")
    window = timedelta(seconds=timeout)
    for record in s.root.statuses(connector):
        if record.get("status") in CHARGING_STATES and start.ts - window <= record.ts <= start.ts + window:
            return record
    return None


def _refused(auth: Record) -> str:
    status = (auth.answer.get("idTagInfo") or {}).get("status") if auth.ok else ""
    return "" if status in ("Accepted", "ConcurrentTx", "", None) else status


def start_transaction(s: SessionFrames) -> Verdict:
    timeout = s.opt("effect_timeout")
    evidence: list[int] = []
    timings: dict = {}
    notes: list[str] = []
    remote_ok = local_ok = refused_ok = None
    remote_starts: set[int] = set()
    starts = s.started()
    remote_tags = set()
    for remote in s.calls("RemoteStartTransaction", "out"):
        if remote.answer is None:
            continue
        status = remote.answer_status()
        if status != "Accepted":
            # E.g. the connector is unavailable or occupied (§5.11, §7.39).
            notes.append(f"RemoteStartTransaction answered {status}")
            evidence += _ids(remote)
            continue
        connector, tag = remote.get("connectorId"), remote.get("idTag")
        remote_tags.add(tag)
        start = s.first_after(
            starts,
            remote.ts,
            lambda r, c=connector, t=tag: (c is None or r.get("connectorId") == c) and r.get("idTag") == t,
        )
        if start is None:
            plugged = connector is not None and s.status_at(connector, remote.ts) == "Preparing"
            if plugged and s.expired(remote.answer.ts, timeout):
                return Verdict(
                    FAILED,
                    f"RemoteStartTransaction was Accepted with a cable plugged into connector {connector}, "
                    f"but no StartTransaction came within {timeout} s",
                    "",
                    _ids(remote),
                    expected="StartTransaction after the accepted RemoteStartTransaction",
                    actual=f"Accepted at {_at(remote.answer)}, no StartTransaction",
                    clause="§5.11 Remote Start Transaction",
                )
            continue
        remote_starts.add(start.id)
        charging = _charging_near(s, start, timeout)
        if charging is None:
            continue
        remote_ok = remote
        evidence += _ids(remote, start, charging)
        timings["RemoteStartTransaction→StartTransaction"] = _seconds(remote.ts, start.ts)
    authorize_remote = s.config_bool("AuthorizeRemoteTxRequests")
    for auth in s.calls("Authorize", "in"):
        if not auth.ok:
            continue
        tag = auth.get("idTag")
        later = [st for st in starts if st.ts >= auth.ts and st.get("idTag") == tag]
        start = later[0] if later else None
        refused = _refused(auth)
        if refused:
            if start is not None and (start.ts - auth.ts).total_seconds() <= timeout:
                return Verdict(
                    FAILED,
                    f"StartTransaction followed Authorize of {tag}, which we answered {refused}: "
                    "the sequence must stop",
                    "",
                    _ids(auth, start),
                    expected=f"no transaction for {tag} after Authorize {refused}",
                    actual=f"StartTransaction at {_at(start)}",
                    clause="§4.1 Authorize, §4.8 Start Transaction",
                )
            # Shown once the charger stayed put for a while, or moved on to another card.
            moved_on = any(st.ts > auth.ts and st.get("idTag") != tag for st in starts)
            if moved_on or s.expired(auth.answer.ts, s.opt("refusal_wait")):
                refused_ok = auth
                evidence += _ids(auth)
            continue
        if start is None or start.id in remote_starts:
            continue
        if authorize_remote and tag in remote_tags:
            continue  # the Authorize of a remote start (§5.11): not a local start
        charging = _charging_near(s, start, timeout)
        if charging is not None and local_ok is None:
            local_ok = auth
            evidence += _ids(auth, start, charging)
            timings["Authorize→StartTransaction"] = _seconds(auth.ts, start.ts)
    if local_ok is None:
        # A card found in the cache or local list may start without Authorize (§4.1).
        for start in starts:
            if start.id in remote_starts or start.get("idTag") in remote_tags:
                continue
            if any(a.get("idTag") == start.get("idTag") and a.ts <= start.ts for a in s.calls("Authorize", "in")):
                continue
            charging = _charging_near(s, start, timeout)
            if charging is not None:
                local_ok = start
                notes.append(f"local start of {start.get('idTag')} without Authorize (cache or local list, §4.1)")
                evidence += _ids(start, charging)
                break
    card = s.root.options.get("id_tag", "")
    refused_card = s.root.options.get("refused_id_tag", "")
    steps = [
        step("Remote start: RemoteStartTransaction, StartTransaction, Charging", remote_ok),
        step(f"Local start: card {card or 'accepted'}, StartTransaction, Charging", local_ok),
        step(
            f"Refused card {refused_card or ''}: Authorize answered Invalid, no transaction".replace("  ", " "),
            refused_ok,
        ),
    ]
    note = f" ({'; '.join(notes)})" if notes else ""
    if remote_ok and local_ok and refused_ok:
        return Verdict(
            PASSED,
            f"Remote and local starts (StartTransaction, Charging), and a refused card started nothing{note}",
            "ok",
            evidence,
            timings,
            expected="remote start, local start, refused card stops the sequence",
            actual=f"remote at {_at(remote_ok)}, local at {_at(local_ok)}, refused at {_at(refused_ok)}",
            steps=steps,
        )
    todo = [s_["label"] for s_ in steps if not s_["done"]]
    return Verdict(
        OPEN,
        f"Awaiting: {'; '.join(todo)}.{note}",
        "",
        evidence,
        timings,
        steps=steps,
        waiting={"for": todo[0], "person": todo[0] if "card" in todo[0].lower() or "local" in todo[0].lower() else ""},
    )


def stop_transaction(s: SessionFrames) -> Verdict:
    timeout = s.opt("effect_timeout")
    minimum = s.minimum_status_duration()
    stops = s.stops()
    root_stops = s.root.stops()
    evidence: list[int] = []
    timings: dict = {}
    notes: list[str] = []
    seen: dict[str, Record | None] = {"remote": None, "local": None, "unplug": None}
    remote_ids = set()
    for remote in s.calls("RemoteStopTransaction", "out"):
        if remote.answer is None:
            continue
        tx = remote.get("transactionId")
        if remote.answer_status() != "Accepted":
            # Rejected for a transaction that is not ongoing (§5.12).
            notes.append(f"RemoteStopTransaction {tx} answered {remote.answer_status()}")
            evidence += _ids(remote)
            continue
        remote_ids.add(tx)
        # Its StopTransaction within the tolerance (reason Remote, or none given); a
        # stop for another cause later (the cable pulled) does not obey the command.
        stop = s.first_after(
            root_stops,
            remote.ts,
            lambda r, t=tx, a=remote.answer.ts: (
                r.get("transactionId") == t
                and r.get("reason", "Remote") == "Remote"
                and r.ts - a <= timedelta(seconds=timeout)
            ),
        )
        if stop is None:
            if s.expired(remote.answer.ts, timeout):
                return Verdict(
                    FAILED,
                    f"No StopTransaction for {tx} within {timeout} s of the accepted RemoteStopTransaction",
                    "",
                    _ids(remote),
                    expected=f"StopTransaction of transaction {tx}",
                    actual=f"Accepted at {_at(remote.answer)}, no StopTransaction",
                    clause="§5.12 Remote Stop Transaction",
                )
            continue
        timings["RemoteStopTransaction→StopTransaction"] = _seconds(remote.ts, stop.ts)
    unplug_waived = s.config_bool("StopTransactionOnEVSideDisconnect") is False
    for stop in stops:
        reason = stop.get("reason") or "Local"  # absent means Local (§6.49)
        tx = stop.get("transactionId")
        start = s.start_of(tx)
        connector = start.get("connectorId") if start else None
        if reason in REBOOT_REASONS or s.from_queue(stop) or connector is None:
            # After a reboot or from the offline queue, historical statuses are not due (§4.9).
            continue
        window = timedelta(seconds=timeout + minimum)
        own = [r for r in s.root.statuses(connector) if r.ts >= start.ts]
        charging = [r.ts for r in own if r.get("status") in CHARGING_STATES and r.ts <= stop.ts]
        # Finishing may come before the StopTransaction or after it: no order is mandated.
        since = max([stop.ts - window, *charging[-1:]])
        left = next(
            (r for r in own if r.get("status") not in CHARGING_STATES and since < r.ts <= stop.ts + window), None
        )
        if left is None:
            if s.expired(stop.ts, timeout + minimum) and s.connected_now():
                return Verdict(
                    FAILED,
                    f"Connector {connector} reported no status change within {timeout + minimum} s of "
                    f"StopTransaction {tx} ({reason})",
                    "",
                    _ids(stop),
                    expected="a StatusNotification leaving Charging (Finishing or Available) around the stop",
                    actual=f"StopTransaction at {_at(stop)}, no status change",
                    clause="test script item 7, 'followed by several StatusNotification messages' (§4.9)",
                )
            continue
        kind = "remote" if tx in remote_ids or reason == "Remote" else "unplug" if reason == "EVDisconnected" else ""
        if not kind and reason == "Local":
            kind = "local"
        if kind and seen[kind] is None:
            seen[kind] = stop
            evidence += _ids(stop, left)
    steps = [
        step("Remote stop: RemoteStopTransaction, StopTransaction, statuses", seen["remote"]),
        step("Local stop: card or button, StopTransaction, statuses", seen["local"]),
        step(
            "Stop on unplug (EVDisconnected)",
            seen["unplug"],
            done=seen["unplug"] is not None or unplug_waived,
        ),
    ]
    missing = [x for x in steps if not x["done"]]
    note = f" ({'; '.join(notes)})" if notes else ""
    if unplug_waived and seen["unplug"] is None:
        note += " (StopTransactionOnEVSideDisconnect is false, so unplugging does not stop: §4.10, §9.1.23)"
    if not missing:
        return Verdict(
            PASSED,
            f"Remote and local stops, then statuses, and a stop on unplug{note}",
            "ok",
            evidence,
            timings,
            expected="StopTransaction after a remote stop, a local stop and an unplug, each with its statuses",
            actual=", ".join(f"{k} at {_at(v)}" for k, v in seen.items() if v),
            steps=steps,
        )
    return Verdict(
        OPEN,
        "Awaiting " + "; ".join(m["label"] for m in missing) + "." + note,
        "",
        evidence,
        timings,
        steps=steps,
        waiting={"for": missing[0]["label"], "person": "" if "Remote" in missing[0]["label"] else missing[0]["label"]},
    )


# -- 8 -------------------------------------------------------------------------

SCRIPT_MEASURANDS = (("Voltage", "Voltage"), ("Current", "Current.Import"), ("Power", "Power.Active.Import"))
DEFAULT_MEASURAND = "Energy.Active.Import.Register"


PHASE_SUFFIXES = ("L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1", "L1", "L2", "L3", "N")


def _without_phase(measurand: str) -> str:
    """A configured measurand may carry a phase ("Voltage.L1", §9.1.17); samples
    carry it in their own phase field."""
    for suffix in PHASE_SUFFIXES:
        if measurand.endswith("." + suffix):
            return measurand[: -len(suffix) - 1]
    return measurand


def meter_values(s: SessionFrames) -> Verdict:
    stops = {r.get("transactionId"): r for r in s.root.stops()}
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    best: Verdict | None = None
    for start in s.started():
        tx = start.answer.get("transactionId")
        stop = stops.get(tx)
        samples = s.state.samples(start, stop, s.now)
        own, periodic, found = samples.frames, samples.periodic, samples.measurands
        config = s.config(start.ts)
        interval = s.config_int("MeterValueSampleInterval", start.ts)
        configured = {
            _without_phase(m.strip())
            for m in (config.get("MeterValuesSampledData") or DEFAULT_MEASURAND).split(",")
            if m.strip()
        }
        ignored = sorted(m for m in configured - found if m != DEFAULT_MEASURAND or not found)
        if len(periodic) >= 2 and ignored and stop is not None:
            return Verdict(
                FAILED,
                f"MeterValuesSampledData in force for transaction {tx} asks {', '.join(configured)}; its samples "
                f"lack {', '.join(ignored)}",
                "",
                _ids(*own[:2]),
                expected=f"periodic samples of {', '.join(sorted(configured))}",
                actual=f"samples of {', '.join(sorted(found))}",
                clause="§9.1.17 MeterValuesSampledData, §3.16.4",
            )
        gaps = [_seconds(a.ts, b.ts) for a, b in itertools.pairwise(periodic)]
        if interval and gaps:
            limit = interval * (1 + tolerance) + slack
            if max(gaps) > limit:
                return Verdict(
                    FAILED,
                    f"Periodic samples of transaction {tx} are {max(gaps):.0f} s apart by their own timestamps; "
                    f"MeterValueSampleInterval in force was {interval} s",
                    "",
                    _ids(*own[:3]),
                    expected=f"a periodic sample every {interval} s",
                    actual=f"{max(gaps):.0f} s between samples",
                    clause="§9.1.19 MeterValueSampleInterval, §7.33 MeterValue",
                )
        if stop is None:
            continue
        lacking = [name for name, measurand in SCRIPT_MEASURANDS if measurand not in found]
        steps = [
            step(f"Transaction {tx}: start and stop readings (meterStart, meterStop)", stop),
            step("Periodic samples at the interval in force", (own or [stop])[0] if len(periodic) >= 2 else None),
            step("Voltage, current and power sampled", (own or [stop])[0] if periodic and not lacking else None),
        ]
        if len(periodic) < 2 or lacking:
            what = (
                f"had {len(periodic)} periodic sample(s); charge for a few MeterValueSampleInterval"
                f" ({interval if interval else '?'} s)"
                if len(periodic) < 2
                else f"lacks {', '.join(lacking)} (configure MeterValuesSampledData: the spec default is energy "
                "only, §9.1.17)"
            )
            best = best or Verdict(OPEN, f"Transaction {tx} {what}.", "", _ids(start, stop), steps=steps)
            continue
        return Verdict(
            PASSED,
            f"Transaction {tx}: meterStart {start.get('meterStart')} and meterStop {stop.get('meterStop')}, periodic "
            f"samples every ~{interval or '?'} s with voltage, current and power",
            "ok",
            _ids(start, *own[:3], stop),
            {"samples": len(periodic)},
            expected="start and stop readings, periodic samples at the interval, voltage, current and power",
            actual=f"{len(periodic)} periodic samples of {', '.join(sorted(found))}",
            steps=steps,
        )
    return best or Verdict(
        OPEN,
        "Awaiting a transaction with meter values (start, charge a few intervals, stop).",
        steps=[step("A stopped transaction with periodic samples of voltage, current and power")],
        waiting={"for": "a transaction", "person": "start a transaction, charge a few intervals, stop it"},
    )


# -- 9 -------------------------------------------------------------------------


def _came_back(s: SessionFrames, after: datetime) -> tuple[Record | None, Record | None, Record | None]:
    """The reconnect, accepted BootNotification and StatusNotification after a time."""
    root = s.root
    connected = s.first_after(root.all_events, after, lambda r: r.event == "connected")
    boot = s.first_after(
        root.calls("BootNotification", "in"), after, lambda r: r.ok and r.answer.get("status") == "Accepted"
    )
    status = s.first_after(root.statuses(), boot.ts) if boot else None
    return connected, boot, status


def reset(s: SessionFrames) -> Verdict:
    done: dict[str, Record] = {}
    evidence: list[int] = []
    timings = {}
    notes = []
    waiting = {}
    for command in s.calls("Reset", "out"):
        if command.answer is None:
            continue
        kind = command.get("type")
        if command.answer_status() != "Accepted":
            notes.append(f"Reset {kind} answered {command.answer_status()} (legal, §7.41)")
            evidence += _ids(command)
            continue
        connected, boot, status = _came_back(s, command.ts)
        if status is None:
            if s.expired(command.answer.ts, s.opt("reboot_timeout")):
                missing = "BootNotification" if boot is None else "StatusNotification"
                return Verdict(
                    FAILED,
                    f"No {missing} within {s.opt('reboot_timeout')} s of the accepted Reset {kind}",
                    "",
                    _ids(command),
                    expected=f"a reboot: BootNotification and StatusNotification within {s.opt('reboot_timeout')} s",
                    actual=f"Accepted at {_at(command.answer)}, no {missing}",
                    clause="§5.14 Reset",
                )
            waiting = {
                "for": f"the charger back after Reset {kind}",
                "deadline": s.deadline(command.answer.ts, s.opt("reboot_timeout")),
            }
            continue
        done.setdefault(kind, command)
        evidence += [*_ids(command, boot, status), *([connected.id] if connected else [])]
        timings[f"Reset {kind}→BootNotification"] = _seconds(command.ts, boot.ts)
    steps = [step(f"Reset {k}: back online", done.get(k)) for k in ("Hard", "Soft")]
    note = f" ({'; '.join(notes)})" if notes else ""
    if "Hard" in done and "Soft" in done:
        return Verdict(
            PASSED,
            f"Hard and soft reset: back online with BootNotification and statuses{note}",
            "Both ok",
            evidence,
            timings,
            expected="after each Reset: BootNotification and StatusNotification",
            actual=", ".join(f"{k}: {v:.0f} s to BootNotification" for k, v in timings.items()),
            steps=steps,
        )
    todo = [k for k in ("Hard", "Soft") if k not in done]
    return Verdict(
        OPEN,
        f"Awaiting Reset {' and '.join(todo)} and the charger's return.{note}",
        "",
        evidence,
        timings,
        steps=steps,
        waiting=waiting,
    )


# -- 10, 11 ----------------------------------------------------------------------


def error_notification(s: SessionFrames) -> Verdict:
    waiting = None
    for error in s.statuses():
        code = error.get("errorCode")
        if code in (None, "NoError"):
            continue
        connector = error.get("connectorId")
        # A warning (an error code with an operative status) counts as reported (§4.9).
        recovery = s.first_after(s.statuses(connector), error.ts, lambda r: r.get("errorCode") == "NoError")
        where = "connector 0 (the station itself)" if connector == 0 else f"connector {connector}"
        info = f" ({error.get('info')})" if error.get("info") else ""
        if recovery is None:
            waiting = waiting or Verdict(
                OPEN,
                f"{code}{info} on {where}; awaiting its recovery (NoError).",
                "",
                _ids(error),
                steps=[step("Error reported", error), step("Error cleared")],
                waiting={"for": f"NoError on {where}", "person": "restore the fault"},
            )
            continue
        return Verdict(
            PASSED,
            f"{code}{info} on {where} ({error.get('status')}), then recovered",
            f"Ok, {code} on {where}",
            _ids(error, recovery),
            {"error→recovery": _seconds(error.ts, recovery.ts)},
            expected="a StatusNotification with an errorCode, then NoError",
            actual=f"{code} at {_at(error)}, NoError at {_at(recovery)}",
            steps=[step("Error reported", error), step("Error cleared", recovery)],
        )
    return waiting or Verdict(
        OPEN,
        "Create a hardware error (e.g. interrupt the CP signal) and restore it.",
        steps=[step("Error reported"), step("Error cleared")],
        waiting={"for": "an error", "person": "create a hardware error, then restore it"},
    )


def cable_status(s: SessionFrames) -> Verdict:
    starts = s.root.started()
    notes = []
    for preparing in s.statuses():
        if preparing.get("status") != "Preparing":
            continue
        connector = preparing.get("connectorId")
        if s.status_at(connector, preparing.ts) not in ("Available", ""):
            continue
        back = s.first_after(s.root.statuses(connector), preparing.ts, lambda r: r.get("status") != "Preparing")
        timeout = s.config_int("ConnectionTimeOut", preparing.ts)
        if back is None:
            waiting = {
                "for": f"connector {connector} to time out (ConnectionTimeOut {timeout or '?'} s)",
                "person": "leave the cable plugged in without starting",
            }
            if timeout:
                waiting["deadline"] = s.deadline(preparing.ts, timeout + s.opt("effect_timeout"))
            return Verdict(
                OPEN,
                f"Connector {connector} is Preparing; awaiting the ConnectionTimeOut expiry.",
                "",
                _ids(preparing),
                steps=[
                    step("Available → Preparing (plugged in)", preparing),
                    step("Timed out: Finishing or Available"),
                ],
                waiting=waiting,
            )
        if back.get("status") not in ("Available", "Finishing"):
            continue
        if any(preparing.ts <= st.ts <= back.ts and st.get("connectorId") == connector for st in starts):
            continue
        waited = _seconds(preparing.ts, back.ts)
        if timeout is None or waited + s.opt("interval_slack") < timeout:
            notes.append(
                f"connector {connector} went back to {back.get('status')} after {waited:.0f} s, before "
                f"ConnectionTimeOut ({timeout if timeout is not None else 'unknown'} s): unplugged by hand?"
            )
            continue
        latest = timeout * (1 + s.opt("interval_tolerance")) + s.opt("interval_slack") + s.minimum_status_duration()
        if waited > latest:
            notes.append(
                f"connector {connector} went back to {back.get('status')} after {waited:.0f} s, long after "
                f"ConnectionTimeOut ({timeout} s): unplugged by hand, no timeout seen"
            )
            continue
        return Verdict(
            PASSED,
            f"Connector {connector}: Available → Preparing, then {back.get('status')} after {waited:.0f} s "
            f"(ConnectionTimeOut {timeout} s, §4.9 B1/B6). OCPP 1.6 has no 'Occupied': Preparing is its "
            "plugged-in state.",
            "ok",
            _ids(preparing, back),
            {"Preparing→timeout": waited},
            expected=f"Preparing, then Finishing or Available once ConnectionTimeOut ({timeout} s) passed",
            actual=f"Preparing at {_at(preparing)}, {back.get('status')} at {_at(back)}",
            steps=[
                step("Available → Preparing (plugged in)", preparing),
                step("Timed out: Finishing or Available", back),
            ],
        )
    note = f" ({'; '.join(notes)})" if notes else ""
    return Verdict(
        OPEN,
        f"Plug the cable in and wait past ConnectionTimeOut without starting.{note}",
        steps=[step("Available → Preparing (plugged in)"), step("Timed out: Finishing or Available")],
        waiting={"for": "a plug-in", "person": "plug the cable in and wait past ConnectionTimeOut"},
    )


# -- 12, 13 ----------------------------------------------------------------------


def _version_before(s: SessionFrames, when: datetime) -> str:
    boots = [b for b in s.root.calls("BootNotification", "in") if b.ts < when]
    if boots:
        return boots[-1].get("firmwareVersion") or ""
    return s.root.options.get("initial", {}).get("firmware_version") or ""


def firmware_update(s: SessionFrames) -> Verdict:
    notes = s.root.calls("FirmwareStatusNotification", "in")
    for command in reversed(s.calls("UpdateFirmware", "out")):
        if command.answer is None:
            continue
        if command.answer_status() in UNSUPPORTED_ANSWERS:
            return _not_supported(s, command, "UpdateFirmware")
        if not command.ok:
            return Verdict(
                FAILED,
                f"UpdateFirmware answered {command.answer_status()}",
                "",
                _ids(command),
                expected="UpdateFirmware.conf",
                actual=command.answer_status(),
                clause="§5.19 Update Firmware",
            )
        after = [n for n in notes if n.ts >= command.ts]
        states = [n.get("status") for n in after]
        steps = [step("Downloading", next((n for n in after if n.get("status") == "Downloading"), None))]
        steps.append(step("Installed", next((n for n in after if n.get("status") == "Installed"), None)))
        if "Installed" in states:
            installed = after[states.index("Installed")]
            if "Downloading" not in states[: states.index("Installed")]:
                return Verdict(
                    FAILED,
                    "Installed came without Downloading before it",
                    "",
                    _ids(command, *after),
                    expected="Downloading, then Installed",
                    actual=" → ".join(states),
                    clause="§4.5 Firmware Status Notification",
                )
            # A reboot before Installed is good practice, after it allowed (§5.19).
            _, boot, _ = _came_back(s, command.ts)
            steps.append(step("Rebooted with the new firmware", boot))
            before = _version_before(s, command.ts)
            if boot is None:
                return Verdict(
                    OPEN,
                    "Installed; awaiting the reboot (BootNotification with the new firmwareVersion).",
                    "",
                    _ids(command, *after),
                    steps=steps,
                    waiting={
                        "for": "a BootNotification",
                        "deadline": s.deadline(installed.ts, s.opt("reboot_timeout")),
                    },
                )
            version = boot.get("firmwareVersion") or ""
            if version == before:
                return Verdict(
                    OPEN,
                    f"Installed, version unchanged ({version or 'none reported'}): upload a different firmware "
                    "version to show the update",
                    "",
                    _ids(command, *after, boot),
                    steps=steps,
                )
            return Verdict(
                PASSED,
                f"{' → '.join(states[: states.index('Installed') + 1])}; rebooted with firmware {version} "
                f"(was {before or 'unknown'})",
                "ok",
                _ids(command, *after, boot),
                {
                    "UpdateFirmware→Installed": _seconds(command.ts, installed.ts),
                    "UpdateFirmware→BootNotification": _seconds(command.ts, boot.ts),
                },
                expected="Downloading, Installed, and a BootNotification with the new version",
                actual=f"Installed at {_at(installed)}, BootNotification {version} at {_at(boot)}",
                steps=steps,
            )
        last = states[-1] if states else ""
        if last in ("DownloadFailed", "InstallationFailed"):
            failed_at = after[-1]
            if s.expired(failed_at.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    f"Firmware update ended with {last} (if the file was not the manufacturer's image, upload the "
                    "right one and try again)",
                    "",
                    _ids(command, *after),
                    expected="Downloading, then Installed",
                    actual=" → ".join(states),
                    clause="§5.19 Update Firmware",
                )
            return Verdict(
                OPEN, f"{last}; the charger may retry (UpdateFirmware.retries).", "", _ids(command, *after), steps=steps
            )
        if not states:
            retrieve = max(parse_time(command.get("retrieveDate")) or command.ts, command.ts)
            if s.expired(retrieve, s.opt("reboot_timeout")):
                return Verdict(
                    FAILED,
                    "No FirmwareStatusNotification after UpdateFirmware",
                    "",
                    _ids(command),
                    expected="FirmwareStatusNotification Downloading after retrieveDate",
                    actual="none",
                    clause="§4.5 Firmware Status Notification",
                )
            return Verdict(
                OPEN,
                "UpdateFirmware accepted; awaiting Downloading.",
                "",
                _ids(command),
                steps=steps,
                waiting={"for": "Downloading", "deadline": s.deadline(retrieve, s.opt("reboot_timeout"))},
            )
        return Verdict(OPEN, f"Firmware update under way ({last}).", "", _ids(command, *after), steps=steps)
    return Verdict(
        OPEN,
        "Upload the manufacturer's firmware file and send UpdateFirmware.",
        steps=[step("Downloading"), step("Installed"), step("Rebooted with the new firmware")],
    )


def diagnostics(s: SessionFrames) -> Verdict:
    notes = s.root.calls("DiagnosticsStatusNotification", "in")
    for command in reversed(s.calls("GetDiagnostics", "out")):
        if command.answer is None:
            continue
        if command.answer_status() in UNSUPPORTED_ANSWERS:
            return _not_supported(s, command, "GetDiagnostics")
        if not command.ok:
            return Verdict(
                FAILED,
                f"GetDiagnostics answered {command.answer_status()}",
                "",
                _ids(command),
                expected="GetDiagnostics.conf",
                actual=command.answer_status(),
                clause="§5.9 Get Diagnostics",
            )
        name = command.answer.get("fileName")
        if not name:
            return Verdict(
                OPEN,
                "GetDiagnostics answered without a file name: no diagnostics in that window (legal, §5.9); widen "
                "the time window.",
                "",
                _ids(command),
                steps=[step("A file name announced")],
            )
        after = [n for n in notes if n.ts >= command.ts]
        states = [n.get("status") for n in after]
        steps = [
            step(f"{name} announced", command),
            step("Uploaded", next((n for n in after if n.get("status") == "Uploaded"), None)),
        ]
        if "UploadFailed" in states and "Uploaded" not in states:
            return Verdict(
                FAILED,
                f"Diagnostics upload failed (UploadFailed); check the charger can reach {_without_credentials(command.get('location', ''))}",
                "",
                _ids(command, *after),
                expected="Uploaded, and the file at our location",
                actual=" → ".join(states),
                clause="§4.4 Diagnostics Status Notification",
            )
        if "Uploaded" not in states:
            limit = s.opt("diagnostics_timeout")
            if s.expired(command.answer.ts, limit):
                return Verdict(
                    FAILED,
                    f"No DiagnosticsStatusNotification Uploaded within {limit} s of GetDiagnostics",
                    "",
                    _ids(command, *after),
                    expected="Uploaded",
                    actual=" → ".join(states) or "nothing",
                    clause="§4.4 Diagnostics Status Notification",
                )
            return Verdict(
                OPEN,
                f"GetDiagnostics answered {name}; awaiting the upload.",
                "",
                _ids(command, *after),
                steps=steps,
                waiting={"for": "the upload", "deadline": s.deadline(command.answer.ts, limit)},
            )
        uploaded = after[states.index("Uploaded")]
        received = [f for f in s.root.files if f["kind"] == "diagnostics" and f["created_at"] >= command.ts]
        if not received:
            if s.expired(uploaded.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "The charger reported Uploaded but no file reached our upload location",
                    "",
                    _ids(command, *after),
                    expected="the file at our location",
                    actual=f"Uploaded at {_at(uploaded)}, no file",
                    clause="§4.4 Diagnostics Status Notification",
                )
            return Verdict(
                OPEN,
                "Uploaded reported; awaiting the file at our upload location.",
                "",
                _ids(command, *after),
                steps=steps,
            )
        got = received[-1]
        return Verdict(
            PASSED,
            f"{name} announced, Uploaded, and {got['name']} ({got['size']} bytes) arrived",
            "ok",
            _ids(command, *after),
            {"GetDiagnostics→Uploaded": _seconds(command.ts, uploaded.ts)},
            expected="a file name, Uploaded, and the file at our location",
            actual=f"{got['name']} ({got['size']} bytes), Uploaded at {_at(uploaded)}",
            steps=steps,
        )
    return Verdict(
        OPEN,
        "Send GetDiagnostics with a time window and our upload location.",
        steps=[step("A file name announced"), step("Uploaded")],
    )


# -- 14, 15, 16, 17, 18 ------------------------------------------------------------

RATE_UNITS = {"A": "Current", "W": "Power"}


def allowed_rate_units(s: SessionFrames) -> list[str]:
    """The chargingRateUnits the charger allows (§9.4.2), A first; both when unknown."""
    value = s.config().get("ChargingScheduleAllowedChargingRateUnit")
    if not value:
        return ["A", "W"]
    allowed = [unit for unit, name in RATE_UNITS.items() if name in value]
    return allowed or ["A", "W"]


def _profile_legal_reject(s: SessionFrames, command: Record) -> str:
    """Why a Rejected SetChargingProfile is a legal answer, or ''."""
    profile = command.get("csChargingProfiles") or {}
    schedule = profile.get("chargingSchedule") or {}
    unit = schedule.get("chargingRateUnit")
    if unit and unit not in allowed_rate_units(s):
        return f"chargingRateUnit {unit} is not in ChargingScheduleAllowedChargingRateUnit (§9.4.2)"
    level = s.config_int("ChargeProfileMaxStackLevel")
    if level is not None and (profile.get("stackLevel") or 0) > level:
        return f"stackLevel above ChargeProfileMaxStackLevel {level} (§9.4.1)"
    periods = s.config_int("ChargingScheduleMaxPeriods")
    if periods is not None and len(schedule.get("chargingSchedulePeriod") or []) > periods:
        return f"more periods than ChargingScheduleMaxPeriods {periods}"
    if command.get("connectorId") not in range(0, s.connector_count() + 1):
        return "no such connector"
    return ""


def charging_profile(s: SessionFrames) -> Verdict:
    latest: dict = {}
    notes = []
    for command in s.calls("SetChargingProfile", "out"):
        if command.answer is None:
            continue
        if command.answer_status() in UNSUPPORTED_ANSWERS or (
            command.answer_status() != "Accepted"
            and command.answer.message_type == 3
            and _lacks_profile(s, "SmartCharging")
        ):
            return _not_supported(s, command, "SetChargingProfile")
        status = command.answer_status()
        if status != "Accepted":
            if not s.config_known():
                notes.append(f"connector {command.get('connectorId')}: Rejected while the charger's limits are unknown")
                continue
            why = _profile_legal_reject(s, command)
            if why:
                notes.append(f"connector {command.get('connectorId')}: Rejected, {why}")
                continue
            return Verdict(
                FAILED,
                f"SetChargingProfile for connector {command.get('connectorId')} answered {status} for a profile the "
                "charger's own limits allow: the test script requires Accepted (§5.16 allows Rejected, without saying "
                "when)",
                "",
                _ids(command),
                expected="SetChargingProfile Accepted",
                actual=f"{status} at {_at(command.answer)}",
                clause="test script item 14 (§5.16 Set Charging Profile)",
            )
        latest[command.get("connectorId")] = command
    count = s.connector_count() or 1
    wanted = list(range(1, count + 1))
    steps = [step(f"Connector {c}: SetChargingProfile Accepted", latest.get(c)) for c in wanted]
    note = f" ({'; '.join(notes)})" if notes else ""
    missing = [c for c in wanted if c not in latest]
    if missing:
        return Verdict(
            OPEN,
            f"Send SetChargingProfile for connector(s) {missing}.{note}",
            "",
            _ids(*latest.values()),
            steps=steps,
        )
    return Verdict(
        PASSED,
        f"SetChargingProfile accepted for every connector ({', '.join(map(str, wanted))}){note}",
        "ok",
        _ids(*latest.values()),
        expected="SetChargingProfile Accepted per connector",
        actual=", ".join(f"connector {c} at {_at(latest[c].answer)}" for c in wanted),
        steps=steps,
    )


def manual_only(s: SessionFrames) -> Verdict:
    return Verdict(OPEN, "Manual item: no OCPP 1.6 message exists for it; record what the charger showed.")


def offline_transactions(s: SessionFrames) -> Verdict:
    queued: list[Record] = []
    for action in ("StartTransaction", "StopTransaction"):
        queued += [r for r in s.calls(action, "in") if r.ok and s.from_queue(r)]
    if queued:
        # The meter values of the offline period came from the queue too.
        queued += [r for r in s.calls("MeterValues", "in") if s.from_queue(r)]
    windows = [w for w in s.offline_windows() if s.lo < w[2].seq and (s.hi is None or w[2].seq <= s.hi)]
    steps = [
        step("Offline (the server saw the socket go)", windows[-1][2] if windows else None),
        step("Transaction messages of the offline period delivered after the reconnect", queued[0] if queued else None),
    ]
    if not queued:
        return Verdict(
            OPEN,
            "Take the charger offline, start and stop a transaction while it is offline, let it reconnect.",
            steps=steps,
            waiting={
                "for": "transaction messages from the offline period",
                "person": "plug in, present the card, unplug while offline",
            },
        )
    queued.sort(key=lambda r: r.seq)
    actions = sorted({r.action for r in queued if r.action != "MeterValues"})
    skew = s.clock_offset().total_seconds()
    return Verdict(
        PASSED,
        f"{len(queued)} transaction message(s) from the offline period arrived after the reconnect "
        f"({', '.join(actions)}; charger clock offset {skew:+.0f} s)",
        "ok",
        _ids(*queued),
        expected="StartTransaction/StopTransaction of the offline period, sent after the reconnect",
        actual=", ".join(f"{r.action} at {_at(r)}" for r in queued[:4]),
        steps=steps,
    )


def clear_cache(s: SessionFrames) -> Verdict:
    commands = [c for c in s.calls("ClearCache", "out") if c.answer is not None]
    if not commands:
        return Verdict(OPEN, "Send ClearCache.", steps=[step("ClearCache Accepted")])
    command = commands[-1]
    if command.answer_status() == "Accepted":
        return Verdict(
            PASSED,
            "ClearCache answered Accepted",
            "ok",
            _ids(command),
            expected="Accepted",
            actual=f"Accepted at {_at(command.answer)}",
            steps=[step("ClearCache Accepted", command)],
        )
    cache = s.config_bool("AuthorizationCacheEnabled")
    if cache is None and not s.config_known():
        return Verdict(
            OPEN,
            f"ClearCache answered {command.answer_status()}; awaiting the configuration (GetConfiguration) to tell "
            "whether the charger has an authorization cache.",
            "",
            _ids(command),
        )
    if not cache:
        return Verdict(
            NOT_APPLICABLE,
            f"ClearCache answered {command.answer_status()}, and the charger's authorization cache is "
            f"{'disabled' if cache is False else 'absent'} (AuthorizationCacheEnabled "
            f"{'false' if cache is False else 'absent'}; the cache is optional, §3.5.1, §9.1.2)",
            "Not applicable: no authorization cache",
            _ids(command),
        )
    return Verdict(
        FAILED,
        f"ClearCache answered {command.answer_status()} although AuthorizationCacheEnabled is true",
        "",
        _ids(command),
        expected="ClearCache Accepted",
        actual=f"{command.answer_status()} at {_at(command.answer)}",
        clause="§5.4 Clear Cache",
    )


def trigger_message(s: SessionFrames) -> Verdict:
    notes = []
    for trigger in reversed(s.calls("TriggerMessage", "out")):
        if trigger.get("requestedMessage") != "StatusNotification" or trigger.answer is None:
            continue
        status = trigger.answer_status()
        if status in UNSUPPORTED_ANSWERS or (status != "Accepted" and _lacks_profile(s, "RemoteTrigger")):
            return _not_supported(s, trigger, "TriggerMessage StatusNotification")
        if status != "Accepted":
            notes.append(f"TriggerMessage StatusNotification answered {status}")
            continue
        connector = trigger.get("connectorId")
        # The triggered message follows the TriggerMessage answer (§5.17).
        reply = s.first_after(s.root.statuses(connector), trigger.answer.ts, lambda r, t=trigger: r.seq > t.answer.seq)
        if reply is None:
            if s.expired(trigger.answer.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "TriggerMessage StatusNotification accepted but no StatusNotification followed",
                    "",
                    _ids(trigger),
                    expected="a StatusNotification after the TriggerMessage answer",
                    actual=f"Accepted at {_at(trigger.answer)}, then none",
                    clause="test script item 18 (§5.17: the requested message SHOULD be sent)",
                )
            return Verdict(
                OPEN,
                "TriggerMessage accepted; awaiting the StatusNotification.",
                "",
                _ids(trigger),
                steps=[step("TriggerMessage Accepted", trigger), step("StatusNotification after the answer")],
                waiting={
                    "for": "the triggered StatusNotification",
                    "deadline": s.deadline(trigger.answer.ts, s.opt("effect_timeout")),
                },
            )
        auto = " (sent automatically after boot)" if trigger.sent_by.startswith(AUTO) else ""
        return Verdict(
            PASSED,
            f"TriggerMessage StatusNotification{auto} answered, then a StatusNotification",
            "Support triggermessage, reply status notification",
            _ids(trigger, reply),
            {"TriggerMessage→StatusNotification": _seconds(trigger.ts, reply.ts)},
            expected="Accepted, then the StatusNotification",
            actual=f"Accepted at {_at(trigger.answer)}, StatusNotification at {_at(reply)}",
            steps=[step("TriggerMessage Accepted", trigger), step("StatusNotification after the answer", reply)],
        )
    note = f" ({'; '.join(notes)}: legal, §5.17)" if notes else ""
    return Verdict(
        OPEN,
        f"Awaiting a boot (TriggerMessage StatusNotification is sent after it) or send it by hand.{note}",
        steps=[step("TriggerMessage Accepted"), step("StatusNotification after the answer")],
    )


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

__all__ = ["NOT_APPLICABLE", "NOT_SUPPORTED", "RULES", "Record", "SessionFrames", "Verdict"]
