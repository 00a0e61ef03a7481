"""The findings engine: one pass over the log, frame by frame, keeping only the
state the checks need (per connection, per connector, per transaction), so a
log that grows is fed its new frames and never scanned again.

Connections are the log's connection events; the state of a connection (its
open CALLs, the unique ids it used, the last timestamps) starts afresh with
each. A connector's last status is forgotten at a reconnect or a boot: what
happened while we did not hear is not a transition we saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ....frames.reader import CALL, CALLERROR, CALLRESULT, GONE_EVENTS, Log, Record, parse_time
from ..state import Configuration, meter_values, same_tag
from . import checks as C
from .model import CHECKS, DEVIATION, NOTE, VIOLATION, Check, Finding
from .rules import (
    BACKWARDS,
    CORE_COMMANDS,
    EPOCH,
    EV_COMMUNICATION_STATUSES,
    FUTURE,
    HEARTBEAT_LOW,
    QUEUED,
    SCHEMA_CODES,
    TIMESTAMPED,
    TRANSITIONS,
    TRIGGERED,
    as_number,
    iso_utc,
)
from .transactions import TransactionChecks, Tx


@dataclass
class _Connection:
    since: datetime = EPOCH
    open_in: dict[str, Record] = field(default_factory=dict)  # the charger's CALLs we have not answered
    open_out: dict[str, Record] = field(default_factory=dict)  # our CALLs it has not answered
    used: dict[str, Record] = field(default_factory=dict)  # the charger's CALL unique ids -> its first CALL
    overlaps: dict[str, list[Record]] = field(default_factory=dict)  # unique id -> CALLs sent before its answer
    # Our last answers (the CALL, our answer): a CALL stored after one but that arrived
    # before it left (its time earlier than the answer's) was sent before that answer.
    answered: list[tuple[Record, Record]] = field(default_factory=list)
    last_in: Record | None = None
    stamps: dict[str, tuple[datetime, Record]] = field(default_factory=dict)  # category -> last timestamp
    raised: set = field(default_factory=set)  # (check, key) raised once per connection
    heartbeat: Record | None = None  # the last Heartbeat, while nothing else was exchanged since


@dataclass
class _Connector:
    status: str = ""
    last: Record | None = None  # its last StatusNotification
    between: list[Record] = field(default_factory=list)  # what named the connector since (the first 8)
    samples: int = 0  # MeterValues since, counted, not listed
    reservation: dict | None = None  # our accepted ReserveNow
    register: tuple[float, Record] | None = None  # the last energy register (Wh) and the frame that read it
    tx_id: object = None  # the transaction last started on it
    rebooted: Record | None = None  # the BootNotification its first status since answers to


class Findings(TransactionChecks):
    """Findings over a log, computed as its frames come. `initial` is what was
    known before the log began ({"config": {key: value}}, as State16 takes it)."""

    def __init__(self, initial: dict | None = None, *, now: datetime | None = None) -> None:
        self.all: list[Finding] = []
        self.last_seq = 0
        self.now = now
        initial = initial or {}
        self.config = Configuration({k: str(v) for k, v in (initial.get("config") or {}).items() if v is not None})
        self.conn = _Connection()
        self.connectors: dict[int, _Connector] = {}
        self.txs: dict[object, Tx] = {}
        self.boot = ""  # "", "booting", or the status of the last boot's answer
        self.boot_answer: Record | None = None
        self.inoperative: dict[int, Record] = {}  # connector (0: all) -> our accepted ChangeAvailability Inoperative
        # The last status's own time, kept across reconnects: statuses of an offline period MUST come in
        # the order their events occurred (§4.9).
        self.status_stamps: dict[str, tuple[datetime, Record]] = {}
        self.triggered: dict[str, Record] = {}  # a requested message -> our TriggerMessage
        self._new: list[Finding] = []
        self._readings: list = []  # the meter readings of the frame at hand, read once
        self._burst = 0  # the seq of the last CALL found sent before an earlier one's answer
        self._log: Log | None = None  # the reader, when fed frames rather than Records

    # -- the interface ----------------------------------------------------------------

    def feed(self, records: Iterable) -> list[Finding]:
        """Take frames newer than those seen (older or repeated seqs are skipped); the new findings.
        Records from the one reader, or what it reads (Frame rows, dicts, JSON Lines lines)."""
        self._new = []
        for record in records:
            if not isinstance(record, Record):
                if self._log is None:
                    self._log = Log()
                    self._log.last_seq = self.last_seq
                for parsed in self._log.extend([record]):
                    self._one_new(parsed)
                continue
            self._one_new(record)
        self.all.extend(self._new)
        return self._new

    def _one_new(self, record: Record) -> None:
        if record.seq > self.last_seq:
            self.last_seq = record.seq
            self._one(record)

    def counts(self) -> dict[str, int]:
        """How many findings of each severity."""
        counts = {VIOLATION: 0, DEVIATION: 0, NOTE: 0}
        for finding in self.all:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts

    # -- raising -----------------------------------------------------------------------

    def _raise(self, check: Check, text: str, records: Iterable[Record], connector: int | None = None) -> None:
        frames = sorted({r.seq: r for r in records if r is not None}.items())
        first = next((r.ts for _, r in frames if r.ts != EPOCH), EPOCH)
        self._new.append(
            Finding(
                check.id,
                check.severity,
                check.clause,
                text,
                tuple(seq for seq, _ in frames),
                connector,
                iso_utc(first),
            )
        )

    def _once(self, check: Check, key) -> bool:
        """True the first time (check, key) is seen on this connection."""
        if (check.id, key) in self.conn.raised:
            return False
        self.conn.raised.add((check.id, key))
        return True

    # -- one frame ---------------------------------------------------------------------

    def _one(self, r: Record) -> None:
        if r.direction == "event":
            if r.event == "connected" or r.event in GONE_EVENTS:
                self.conn = _Connection(since=r.ts)
                self._forget_statuses()
            return
        quiet = r.action == "Heartbeat" and r.message_type in (CALL, CALLRESULT)
        if not quiet:
            self.conn.heartbeat = None
        if r.direction == "in":
            if r.message_type == CALL and isinstance(r.payload, dict):
                self._charger_call(r)
            elif r.message_type in (CALLRESULT, CALLERROR):
                self._charger_answer(r)
            elif r.note and self._once(C.SCHEMA, r.note):
                self._raise(C.SCHEMA, f"malformed frame: {r.note}", [r])
            self.conn.last_in = r
        elif r.direction == "out":
            if r.message_type == CALL:
                self._our_call(r)
            elif r.message_type in (CALLRESULT, CALLERROR):
                self._our_answer(r)

    def _forget_statuses(self) -> None:
        for connector in self.connectors.values():
            connector.status, connector.between, connector.samples = "", [], 0

    def _triggered(self, action: str, r: Record) -> bool:
        """Whether we asked for this message with a TriggerMessage not long before."""
        trigger = self.triggered.get(action)
        return trigger is not None and r.ts - trigger.ts <= TRIGGERED

    def _connector(self, number: int) -> _Connector:
        found = self.connectors.get(number)
        if found is None:
            found = self.connectors[number] = _Connector()
        return found

    def _named(self, r: Record, number: int | None) -> None:
        """Note a frame naming a connector, for the transition that may follow."""
        if number is not None and number in self.connectors:
            connector = self.connectors[number]
            if r.action == "MeterValues":
                connector.samples += 1
            elif len(connector.between) < 8:
                connector.between.append(r)

    # -- the charger's CALLs -------------------------------------------------------------

    def _charger_call(self, r: Record) -> None:
        conn = self.conn
        first = conn.used.get(r.unique_id)
        if first is not None and (first.action, first.payload) == (r.action, r.payload):
            pass  # the same CALL sent again (its answer lost or late): not another CALL
        elif first is not None:
            self._raise(
                C.UNIQUE_ID_REUSED,
                f"{r.action} reuses unique id {r.unique_id!r} of the {first.action} at #{first.seq} on this connection",
                [first, r],
            )
        else:
            conn.used[r.unique_id] = r
        for earlier in list(conn.open_in.values())[-2:]:
            if earlier.unique_id != r.unique_id:
                overlaps = conn.overlaps.setdefault(earlier.unique_id, [])
                if len(overlaps) < 3:
                    overlaps.append(r)
        if len(conn.open_in) > 16:  # CALLs we never answered: forget the oldest
            oldest = next(iter(conn.open_in))
            conn.open_in.pop(oldest)
            conn.overlaps.pop(oldest, None)
        conn.open_in[r.unique_id] = r
        for call, answer in conn.answered:
            if call.unique_id != r.unique_id and answer.seq < r.seq and call.ts <= r.ts < answer.ts:
                self._burst = r.seq
                if self._once(C.CALL_BEFORE_ANSWER, answer.seq):
                    self._raise(
                        C.CALL_BEFORE_ANSWER,
                        f"{r.action} (#{r.seq}) reached us before our answer to {call.action} (#{call.seq}) left",
                        [call, r, answer],
                    )
        self._boot_order(r)
        if "before any BootNotification" in r.note and self._once(C.NO_BOOT_SEEN, ""):
            self._raise(C.NO_BOOT_SEEN, f"{r.action} sent before this charger's first BootNotification here", [r])
        self._readings = meter_values(r) if r.action in ("MeterValues", "StopTransaction") else []
        self._timestamps(r)
        handler = getattr(self, f"_on_{r.action}", None)
        if handler is not None:
            handler(r)
        else:
            self._named(r, r.connector)

    def _boot_order(self, r: Record) -> None:
        """§4.2: nothing but BootNotification until the boot is Accepted; while Pending only what a
        TriggerMessage asked for (errata v4.0); while Rejected nothing at all."""
        if r.action == "BootNotification" or self.boot not in ("booting", "Pending", "Rejected"):
            return
        if self.boot == "Pending" and self._triggered(r.action, r):
            return
        state = {"booting": "before its BootNotification was answered"}.get(
            self.boot, f"while its boot was {self.boot}"
        )
        self._raise(C.BEFORE_BOOT_ACCEPTED, f"{r.action} sent {state}", [r], r.connector)

    def _timestamps(self, r: Record) -> None:
        stamps: list[object] = []
        if r.action in TIMESTAMPED:
            stamps.append(r.get("timestamp"))
        stamps += [reading.timestamp for reading in self._readings]
        received = r.ts if r.ts != EPOCH else self.now
        latest = None
        for stamp in stamps:
            if not isinstance(stamp, str):
                continue
            try:
                naive = datetime.fromisoformat(stamp).tzinfo is None
            except ValueError:
                continue  # not a time at all: the schema's finding
            if naive and self._once(C.TIMESTAMP_NO_ZONE, r.action):
                self._raise(C.TIMESTAMP_NO_ZONE, f"{r.action} timestamp {stamp!r} has no time zone", [r], r.connector)
            moment = parse_time(stamp)
            if moment is None:
                continue
            if received is not None and moment - received > FUTURE and self._once(C.TIMESTAMP_FUTURE, ""):
                ahead = (moment - received).total_seconds()
                self._raise(
                    C.TIMESTAMP_FUTURE,
                    f"{r.action} timestamp {stamp} is {ahead:.0f} s ahead of its receipt (the charger's clock runs ahead)",
                    [r],
                    r.connector,
                )
            latest = moment if latest is None else max(latest, moment)
        if r.action == "MeterValues" and r.get("transactionId") is None:
            return  # outside transactions: not queued with them
        category = "status" if r.action == "StatusNotification" else "transaction"
        if self._triggered(r.action, r):
            return  # a triggered message may carry the time its state began
        first = parse_time(stamps[0]) if stamps and isinstance(stamps[0], str) else None
        if first is None:
            return
        stamps_of = self.status_stamps if category == "status" else self.conn.stamps
        previous = stamps_of.get(category)
        if previous is not None and first < previous[0] - BACKWARDS:
            back = (previous[0] - first).total_seconds()
            self._raise(
                C.STATUS_ORDER if category == "status" else C.TIMESTAMP_BACKWARDS,
                f"{r.action} timestamp {stamps[0]} is {back:.0f} s before that of the {previous[1].action} before it",
                [previous[1], r],
                r.connector,
            )
        stamps_of[category] = (max(first, latest or first), r)

    def _clock_may_be_set(self) -> None:
        """A boot's or a heartbeat's answer may set the charger's clock (§4.2, §4.6): a jump after it is no finding."""
        self.conn.stamps.clear()
        self.status_stamps.clear()

    def _on_BootNotification(self, r: Record) -> None:
        answer = self.boot_answer
        if self.boot in ("Pending", "Rejected") and answer is not None and not self._triggered(r.action, r):
            wait = as_number(answer.get("interval")) or 0
            gap = (r.ts - answer.ts).total_seconds()
            if wait > 0 and gap < wait - max(1.0, wait * 0.05):
                self._raise(
                    C.BOOT_RETRY_EARLY,
                    f"BootNotification {gap:.0f} s after a boot answered {self.boot} with interval {wait:g} s",
                    [answer, r],
                )
        self.boot = "booting"
        self._forget_statuses()
        for number in {*self.connectors, *self.inoperative}:
            self._connector(number).rebooted = r
        self._clock_may_be_set()
        self.triggered.pop("BootNotification", None)

    def _on_Heartbeat(self, r: Record) -> None:
        self._clock_may_be_set()
        previous, self.conn.heartbeat = self.conn.heartbeat, r
        interval = self._interval()
        if previous is None or not interval or r.ts == EPOCH or self._burst == r.seq:
            return  # (a Heartbeat sent before the last one was answered is that finding, not a pace)
        gap = (r.ts - previous.ts).total_seconds()
        if gap >= HEARTBEAT_LOW * interval:
            return
        if self._once(C.HEARTBEAT_PACE, interval):
            self._raise(
                C.HEARTBEAT_PACE,
                f"Heartbeats {gap:.0f} s apart with nothing else exchanged; HeartbeatInterval is {interval} s",
                [previous, r],
            )

    def _interval(self) -> int:
        try:
            return int(float(self.config.get("HeartbeatInterval") or 0))
        except ValueError:
            return 0

    def _on_StatusNotification(self, r: Record) -> None:
        number, status = r.connector, r.get("status")
        if number is None or not isinstance(status, str):
            return
        count = as_number(self.config.get("NumberOfConnectors"))
        if count is not None and number > count and self._once(C.CONNECTOR_ABOVE_NUMBER, number):
            count = int(count)
            self._raise(
                C.CONNECTOR_ABOVE_NUMBER,
                f"StatusNotification for connector {number}; NumberOfConnectors is {count}",
                [r],
                number,
            )
        if r.get("errorCode") == "EVCommunicationError" and status not in EV_COMMUNICATION_STATUSES:
            self._raise(
                C.ERROR_CODE_STATUS,
                f"connector {number}: errorCode EVCommunicationError with status {status}",
                [r],
                number,
            )
        if number == 0:  # the charger as a whole: the table is for connectors
            if status not in ("Available", "Unavailable", "Faulted"):
                self._raise(C.CONNECTOR_ZERO_STATUS, f"StatusNotification for connector 0 with status {status}", [r], 0)
            return
        connector = self._connector(number)
        self._after_reboot(connector, number, status, r)
        before = connector.status
        if before in TRANSITIONS and status in TRANSITIONS and not self._may_follow(before, status):
            between = [f"{b.action} #{b.seq}" for b in connector.between]
            if connector.samples:
                between.append(f"{connector.samples} MeterValues")
            between = ", ".join(between) or "nothing"
            self._raise(
                C.STATE_TABLE,
                f"connector {number}: {before} (#{connector.last.seq}) -> {status}, a transition §4.9 does not list "
                f"(between them: {between})",
                [connector.last, *connector.between, r],
                number,
            )
        connector.status, connector.last, connector.between, connector.samples = status, r, [], 0
        if status != "Reserved":
            connector.reservation = None

    def _after_reboot(self, connector: _Connector, number: int, status: str, r: Record) -> None:
        """§4.9: Unavailable set by ChangeAvailability MUST persist across a reboot (a fault may show instead)."""
        boot, connector.rebooted = connector.rebooted, None
        made = self.inoperative.get(number) or self.inoperative.get(0)
        if boot is None or made is None or status in ("Unavailable", "Faulted"):
            return
        self._raise(
            C.UNAVAILABLE_NOT_PERSISTENT,
            f"connector {number} reported {status} after the reboot (#{boot.seq}), though ChangeAvailability "
            f"(#{made.seq}) had made it Unavailable",
            [made, boot, r],
            number,
        )

    def _may_follow(self, before: str, status: str) -> bool:
        """Whether the table lists the change; with MinimumStatusDuration set, a state that lasted
        less MAY go unreported (§9.1.20), so one unreported step between is allowed (Faulted and
        Unavailable, which last, excepted)."""
        if status == before or status in TRANSITIONS[before]:
            return True
        if not (as_number(self.config.get("MinimumStatusDuration")) or 0) > 0:
            return False
        return any(
            status in TRANSITIONS[middle] for middle in TRANSITIONS[before] if middle not in ("Faulted", "Unavailable")
        )

    def _on_StartTransaction(self, r: Record) -> None:
        number = r.connector
        self._named(r, number)
        connector = self.connectors.get(number) if number is not None else None
        if connector is None or not connector.status:
            return
        stamp = parse_time(r.get("timestamp"))
        if stamp is not None and self.conn.since != EPOCH and stamp < self.conn.since - QUEUED:
            return  # from the offline queue: the status we heard is not the one it started on
        reported = parse_time(connector.last.get("timestamp"))
        if stamp is not None and reported is not None and stamp < reported - QUEUED:
            return  # by the charger's own clock it started before that status (a queued start)
        status, reason = connector.status, ""
        if status in ("Unavailable", "Faulted"):
            reason = f"last reported {status} (#{connector.last.seq})"
        elif status == "Reserved" and connector.reservation is not None:
            reserved = connector.reservation
            if same_tag(reserved.get("idTag"), r.get("idTag")) and reserved.get("reservationId") != r.get(
                "reservationId"
            ):
                self._raise(
                    C.START_WITHOUT_RESERVATION,
                    f"StartTransaction for {r.get('idTag')!r} on connector {number} ends reservation "
                    f"{reserved.get('reservationId')} (#{connector.last.seq}) without its reservationId",
                    [connector.last, r],
                    number,
                )
            if (
                not reserved.get("parentIdTag")
                and not same_tag(reserved.get("idTag"), r.get("idTag"))
                and reserved.get("reservationId") != r.get("reservationId")
            ):
                reason = f"reserved for {reserved.get('idTag')!r} (#{connector.last.seq})"
        if reason:
            self._raise(
                C.START_ON_UNAVAILABLE,
                f"StartTransaction for {r.get('idTag')!r} on connector {number}, {reason}",
                [connector.last, r],
                number,
            )

    def _our_answer(self, r: Record) -> None:
        """Our CALLRESULT or CALLERROR to one of the charger's CALLs."""
        call = self.conn.open_in.pop(r.unique_id, None)
        sent_before = self.conn.overlaps.pop(r.unique_id, [])
        if call is not None:
            self.conn.answered = [*self.conn.answered[-2:], (call, r)]
        if call is not None and sent_before:
            later = sent_before[0]
            self._raise(
                C.CALL_BEFORE_ANSWER,
                f"{later.action} (#{later.seq}) sent before our answer to {call.action} (#{call.seq})",
                [call, *sent_before, r],
            )
        if r.message_type == CALLERROR:
            code = (r.payload or {}).get("errorCode", "")
            if code in SCHEMA_CODES and self._once(C.SCHEMA, (r.action, code)):
                frame = call or self.conn.last_in
                description = (r.payload or {}).get("errorDescription", "")
                self._raise(C.SCHEMA, f"{r.action or 'frame'}: {code}: {description}", [frame, r])
            return
        if call is None:
            return
        if call.action == "BootNotification":
            self.boot, self.boot_answer = r.get("status") or "", r
            if self.boot == "Accepted" and as_number(r.get("interval")):
                self.config["HeartbeatInterval"] = str(int(as_number(r.get("interval"))))
        elif call.action == "StartTransaction":
            self._started(call, r)

    def _our_call(self, r: Record) -> None:
        self.conn.open_out[r.unique_id] = r
        self._named(r, r.connector)
        if r.action == "TriggerMessage" and isinstance(r.get("requestedMessage"), str):
            self.triggered[r.get("requestedMessage")] = r

    def _charger_answer(self, r: Record) -> None:
        """The charger's CALLRESULT or CALLERROR to one of our CALLs."""
        call = self.conn.open_out.pop(r.unique_id, None) or r.call
        if "answers no outstanding" in r.note:
            self._raise(C.ANSWER_UNMATCHED, f"answer to unique id {r.unique_id!r}, which we were not waiting for", [r])
        elif r.note and self._once(C.SCHEMA, (r.action, r.note)):
            self._raise(C.SCHEMA, f"{r.action or 'answer'}: {r.note}", [r])
        if call is None:
            return
        if self.boot == "Rejected":
            self._raise(C.BEFORE_BOOT_ACCEPTED, f"{call.action} answered while its boot was Rejected", [call, r])
        status = r.get("status") if r.message_type == CALLRESULT else ""
        if r.message_type == CALLERROR:
            code = (r.payload or {}).get("errorCode", "")
            if call.action in CORE_COMMANDS and code in ("NotImplemented", "NotSupported"):
                self._raise(
                    C.CALLERROR_CORE,
                    f"{call.action} (Core) answered CALLERROR {code}",
                    [call, r],
                    call.connector,
                )
        if call.action == "TriggerMessage" and status != "Accepted":
            self.triggered.pop(call.get("requestedMessage"), None)
        elif call.action == "ChangeConfiguration" and status == "Accepted":
            if isinstance(call.get("key"), str) and call.get("value") is not None:
                self.config[call.get("key")] = str(call.get("value"))
                if call.get("key").lower() == "heartbeatinterval":
                    self.conn.heartbeat = None
        elif call.action == "GetConfiguration" and r.message_type == CALLRESULT:
            for entry in r.get("configurationKey") or []:
                if isinstance(entry, dict) and isinstance(entry.get("key"), str) and entry.get("value") is not None:
                    self.config[entry["key"]] = str(entry["value"])
        elif call.action == "ChangeAvailability" and status == "Accepted" and call.connector is not None:
            if call.connector == 0:
                self.inoperative.clear()
            if call.get("type") == "Inoperative":
                self.inoperative[call.connector] = call
            else:
                self.inoperative.pop(call.connector, None)
        elif call.action == "ReserveNow" and status == "Accepted" and call.connector:
            self._connector(call.connector).reservation = dict(call.payload or {})
        elif call.action == "CancelReservation" and status == "Accepted":
            for connector in self.connectors.values():
                if connector.reservation and connector.reservation.get("reservationId") == call.get("reservationId"):
                    connector.reservation = None


def scan(records: Iterable, *, now: datetime | None = None, initial: dict | None = None) -> list[Finding]:
    """Every finding over a whole log at once (Records, or frames the reader takes)."""
    return Findings(initial, now=now).feed(records)


__all__ = ["CHECKS", "Finding", "Findings", "scan"]
