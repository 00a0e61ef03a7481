"""The one reader of the evidence log: frames parsed once, each CALL linked to
its answer, indexed by action, connector and seq.

Everything that reads stored frames starts here (the rules, the chart, the
report's lines, the headless run's tail), so `raw` is parsed in one place. A
`Log` is built alike from Frame rows (or `.values()` dicts), the API's frame
dicts and the lines of the JSON Lines export, and grows with newer frames only:
an evaluation, a chart or a tail that runs again parses just what came since.

The log is OCPP-J, not a version: this module names no action's fields beyond
the framing (and `connectorId`, the index every version's CALLs share).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CALL, CALLRESULT, CALLERROR = 2, 3, 4
# A connection event's name; those after which the socket is closed.
GONE_EVENTS = ("disconnected", "replaced", "refused", "offline")
FIELDS = ("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "sent_by", "note")


@dataclass(eq=False)
class Record:
    """One frame of the log, parsed. `id` is the Frame's primary key, or its
    seq when the source carries none (the API, JSON Lines)."""

    id: int
    seq: int
    ts: datetime
    direction: str  # "in" from the charger, "out" ours, "event" a connection event
    message_type: int | None  # CALL, CALLRESULT, CALLERROR; None for events and malformed frames
    action: str  # for an answer: the action it answers
    unique_id: str
    payload: dict | list | None  # a CALLERROR's: {"errorCode", "errorDescription", "errorDetails"}
    raw: str = ""
    sent_by: str = ""  # who sent a CALL of ours, as stored (what it means is the sender's business)
    note: str = ""
    event: str = ""  # for events: connected, disconnected, replaced, refused, offline, ...
    malformed: bool = False  # raw is not JSON at all
    answer: Record | None = None  # for a CALL: its CALLRESULT or CALLERROR
    call: Record | None = None  # for an answer: the CALL it answers

    def __repr__(self) -> str:
        return f"<Record #{self.seq} {self.direction} {self.message_type} {self.action or self.event}>"

    @property
    def ok(self) -> bool:
        """A CALL answered with a CALLRESULT."""
        return self.answer is not None and self.answer.message_type == CALLRESULT

    def answer_status(self) -> str:
        """The answer's status field, or the CALLERROR code, or '' if none yet."""
        if self.answer is None:
            return ""
        if self.answer.message_type == CALLERROR:
            return (self.answer.payload or {}).get("errorCode", "CALLERROR")
        return self.answer.get("status", "") or ""

    def get(self, key: str, default=None):
        """A field of the payload (None when the payload is not an object)."""
        return self.payload.get(key, default) if isinstance(self.payload, dict) else default

    @property
    def connector(self) -> int | None:
        """The payload's connectorId, when it is an integer."""
        value = self.get("connectorId")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_time(value) -> datetime | None:
    """An OCPP or log timestamp as an aware UTC datetime; a time without a zone
    is read as UTC here (the evidence log names it as a finding)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def pretty(raw: str) -> str:
    """A frame's text laid out for reading (indented JSON); as stored when it is not JSON."""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return raw


def _fields(frame) -> dict:
    """A frame's columns from a Frame row, a dict or a JSON Lines line."""
    if isinstance(frame, bytes | str):
        frame = json.loads(frame)
    if isinstance(frame, dict):
        return frame
    # A row loaded with .only() would fetch each deferred column in a query of its own.
    deferred = frame.get_deferred_fields() if hasattr(frame, "get_deferred_fields") else ()
    return {name: getattr(frame, name, None) for name in FIELDS if name not in deferred}


def parse(frame) -> Record:
    """One frame as a Record (not yet linked to its CALL or answer). Columns the
    source lacks (a JSON Lines line may carry only ts, direction and raw) are
    read off the raw text; a frame without a seq is numbered by the log."""
    fields = _fields(frame)
    raw = fields.get("raw") or ""
    direction = fields.get("direction") or ""
    malformed = False
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # malformed or absurdly deep
        data, malformed = None, True
    message_type = fields.get("message_type")
    if message_type is None and "message_type" not in fields and direction != "event":
        message_type = _message_type(data)
    action = fields.get("action") or ""
    unique_id = fields.get("unique_id") or ""
    payload = None
    event = ""
    if direction == "event":
        payload = data if isinstance(data, dict) else None
        event = str((payload or {}).get("event", ""))
    elif isinstance(data, list):
        if len(data) >= 2 and not unique_id and isinstance(data[1], str):
            unique_id = data[1]
        if message_type == CALL and len(data) == 4:
            payload = data[3]
            if not action and isinstance(data[2], str):
                action = data[2]
        elif message_type == CALLRESULT and len(data) == 3:
            payload = data[2]
        elif message_type == CALLERROR and len(data) == 5:
            payload = {"errorCode": data[2], "errorDescription": data[3], "errorDetails": data[4]}
    seq = int(fields.get("seq") or 0)  # 0: numbered by the log, in order
    record_id = fields.get("id")
    return Record(
        id=int(record_id) if record_id is not None else seq,
        seq=seq,
        ts=parse_time(fields.get("ts")) or datetime.min.replace(tzinfo=UTC),
        direction=direction,
        message_type=message_type,
        action=action,
        unique_id=unique_id,
        payload=payload,
        raw=raw,
        sent_by=fields.get("sent_by") or "",
        note=fields.get("note") or "",
        event=event,
        malformed=malformed,
    )


def _message_type(data) -> int | None:
    """The message type of a well-formed OCPP-J frame, read off the frame itself."""
    if not isinstance(data, list) or not data or data[0] not in (CALL, CALLRESULT, CALLERROR):
        return None
    if isinstance(data[0], bool):
        return None
    return data[0] if len(data) == {CALL: 4, CALLRESULT: 3, CALLERROR: 5}[data[0]] else None


class Log:
    """A charger's frames in seq order, parsed once. `extend` takes newer frames
    only (older or repeated seqs are ignored), so a log kept between
    evaluations grows by what came since."""

    def __init__(self, frames: Iterable = ()) -> None:
        self.records: list[Record] = []
        self.seqs: list[int] = []
        self.by_id: dict[int, Record] = {}
        self.by_seq: dict[int, Record] = {}
        self.by_action: dict[str, list[Record]] = {}  # CALLs with an object payload, both directions
        self.action_seqs: dict[str, list[int]] = {}
        self.by_connector: dict[int, list[Record]] = {}  # CALLs naming a connectorId, both directions
        self.events: list[Record] = []
        self.event_seqs: list[int] = []
        self.last_seq = 0
        self._open_calls: dict[tuple[str, str], Record] = {}
        self.extend(frames)

    @classmethod
    def from_lines(cls, lines: Iterable[str | bytes]) -> Log:
        """A log from the JSON Lines export (blank lines skipped)."""
        return cls(line for line in lines if line.strip())

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def extend(self, frames: Iterable) -> list[Record]:
        """Add frames newer than those held (Frame rows, dicts or JSON Lines
        lines), in seq order; returns the records added."""
        added = []
        for frame in frames:
            record = parse(frame)
            if not record.seq:
                record.seq = self.last_seq + 1
                record.id = record.id or record.seq
            elif record.seq <= self.last_seq:
                continue
            self._add(record)
            added.append(record)
        return added

    def _add(self, record: Record) -> None:
        self.last_seq = max(self.last_seq, record.seq)
        self.records.append(record)
        self.seqs.append(record.seq)
        self.by_id[record.id] = record
        self.by_seq[record.seq] = record
        if record.direction == "event":
            if record.event:
                self.events.append(record)
                self.event_seqs.append(record.seq)
            return
        if record.message_type == CALL and isinstance(record.payload, dict):
            self.by_action.setdefault(record.action, []).append(record)
            self.action_seqs.setdefault(record.action, []).append(record.seq)
            if record.connector is not None:
                self.by_connector.setdefault(record.connector, []).append(record)
            self._open_calls[(record.direction, record.unique_id)] = record
        elif record.message_type in (CALLRESULT, CALLERROR):
            # An answer travels the other way from its CALL.
            caller = "out" if record.direction == "in" else "in"
            call = self._open_calls.pop((caller, record.unique_id), None)
            if call is not None and call.answer is None:
                call.answer = record
                record.call = call
                record.action = record.action or call.action

    # -- reading ------------------------------------------------------------------

    @staticmethod
    def between(records: list[Record], seqs: list[int], lo: int = 0, hi: int | None = None) -> list[Record]:
        """The records with seq in (lo, hi], from a list and its seqs in order."""
        start = bisect_right(seqs, lo)
        end = len(seqs) if hi is None else bisect_right(seqs, hi)
        return records[start:end]

    def window(self, lo: int = 0, hi: int | None = None) -> list[Record]:
        """Every frame with seq in (lo, hi]."""
        return self.between(self.records, self.seqs, lo, hi)

    def calls(self, action: str, direction: str | None = None, lo: int = 0, hi: int | None = None) -> list[Record]:
        """CALLs of an action with seq in (lo, hi]: direction 'in' the charger's, 'out' ours."""
        records = self.between(self.by_action.get(action, []), self.action_seqs.get(action, []), lo, hi)
        return records if direction is None else [r for r in records if r.direction == direction]

    def events_between(self, lo: int = 0, hi: int | None = None) -> list[Record]:
        """Connection events with seq in (lo, hi]."""
        return self.between(self.events, self.event_seqs, lo, hi)

    def of_connector(self, connector: int, action: str | None = None) -> list[Record]:
        """CALLs naming a connector, of one action or all."""
        records = self.by_connector.get(connector, [])
        return records if action is None else [r for r in records if r.action == action]

    def before(self, seq: int, test=lambda r: True) -> Record | None:
        """The latest frame before a seq that passes a test."""
        index = bisect_right(self.seqs, seq - 1)
        for i in range(index - 1, -1, -1):
            if test(self.records[i]):
                return self.records[i]
        return None

    def pending(self) -> list[Record]:
        """CALLs not answered (yet)."""
        return list(self._open_calls.values())

    def connected(self) -> bool | None:
        """Whether the socket is open as the log last said; None when it said nothing."""
        for event in reversed(self.events):
            if event.event == "connected":
                return True
            if event.event in GONE_EVENTS:
                return False
        return None
