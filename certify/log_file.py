"""A log file someone hands us to judge: a session's JSON Lines export, a signed
report (the export attached to it), or any OCPP-J log whose lines are
`{"ts": "<ISO 8601>", "direction": "in" | "out" | "event", "raw": "<frame text>"}`.

The bench's own event lines (the session's options, attempt markers, files
received) are taken out of the frame stream here and kept beside it, each with
the seq of the frame it follows; every other line goes to the reader
(chargers.frames.reader) as it is. A line that cannot be read stops the reading
with its number and why (`LogError`).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import datetime

from chargers.frames.reader import parse, parse_time

EVIDENCE_NAME = "evidence.jsonl"  # the export's name inside a signed report (certify.signing)
DIRECTIONS = ("in", "out", "event")
SESSION, STARTED, ENDED, FILE, TRANSFER = (
    "session",
    "attempt-started",
    "attempt-ended",
    "file-received",
    "transfer-seen",
)
BENCH_EVENTS = (SESSION, STARTED, ENDED, FILE, TRANSFER)


class LogError(ValueError):
    """Why a file cannot be judged, with the line at fault (0: the file as a whole)."""

    def __init__(self, why: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {why}" if line else why)
        self.line = line
        self.why = why


@dataclass
class Marker:
    """An attempt's start or end, after the frame with seq `after`."""

    kind: str  # STARTED or ENDED
    case: str
    after: int
    ts: datetime
    outcome: str = ""  # for ENDED: the verdict it ended with, or "abandoned"
    reason: str = ""  # for ENDED: why, where the bench ended it (abandoned, inconclusive)


@dataclass
class LogFile:
    """The frames (JSON Lines dicts, in order, each with its seq) and what the bench wrote beside them."""

    frames: list[dict] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    session: dict = field(default_factory=dict)  # {"catalog", "options", ...} when the export says
    files: list[dict] = field(default_factory=list)  # {"kind", "name", "size", "sha256", "created_at"}
    transfers: list[dict] = field(default_factory=list)  # what our servers saw: {"at", "server", "event", "detail"}

    @property
    def last_ts(self) -> datetime | None:
        """The time the log is judged at: its last line's."""
        stamps = [f["_ts"] for f in self.frames] + [m.ts for m in self.markers]
        stamps += [f["created_at"] for f in self.files] + [t["at"] for t in self.transfers]
        return max(stamps) if stamps else None


def read(data: bytes) -> LogFile:
    """A log from a file's bytes: a PDF's attached export, or JSON Lines."""
    if data.lstrip()[:5] == b"%PDF-":
        data = _attached_log(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LogError("not UTF-8 text", line) from None
    return read_lines(text.splitlines())


def _attached_log(pdf: bytes) -> bytes:
    from pypdf import PdfReader

    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
    except Exception as error:
        raise LogError(f"a PDF that cannot be read ({error})") from None
    found = attachments.get(EVIDENCE_NAME) or []
    if not found:
        raise LogError(f"a PDF without an attached {EVIDENCE_NAME} (is it a signed report of this bench?)")
    return found[0]


def read_lines(lines) -> LogFile:
    log = LogFile()
    last_seq = 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        line = _line(text, number)
        event = _bench_event(line)
        if event is not None:
            _keep(log, event, line, last_seq, number)
            continue
        seq = line.get("seq")
        if seq is None:
            seq = last_seq + 1
        elif not isinstance(seq, int) or isinstance(seq, bool) or seq <= last_seq:
            raise LogError(f"seq {seq!r} does not follow {last_seq}: lines are in seq order", number)
        last_seq = seq
        log.frames.append({**line, "seq": seq})
    if not log.frames:
        raise LogError("no frames: an empty file, or not a log")
    return log


def _line(text: str, number: int) -> dict:
    try:
        line = json.loads(text)
    except ValueError as error:
        raise LogError(f"not JSON ({error.msg} at column {getattr(error, 'colno', '?')})", number) from None
    if not isinstance(line, dict):
        raise LogError("not a JSON object", number)
    ts = parse_time(line.get("ts"))
    if ts is None:
        raise LogError(f"ts {line.get('ts')!r} is not an ISO 8601 time", number)
    if line.get("direction") not in DIRECTIONS:
        raise LogError(f"direction {line.get('direction')!r} is not in, out or event", number)
    if not isinstance(line.get("raw"), str):
        raise LogError("raw is missing or not a string (the frame's exact text)", number)
    # A raw that is no OCPP-J frame is evidence too: the reader keeps it, the rules see no CALL in it.
    line["_ts"] = ts
    line["_line"] = number
    return line


def _bench_event(line: dict) -> dict | None:
    if line["direction"] != "event":
        return None
    record = parse({"direction": "event", "raw": line["raw"]})  # read by the log's one reader
    return record.payload if record.event in BENCH_EVENTS else None


def _keep(log: LogFile, event: dict, line: dict, after: int, number: int) -> None:
    kind = event["event"]
    if kind == SESSION:
        log.session = event
        return
    if kind == FILE:
        log.files.append({**{k: v for k, v in event.items() if k != "event"}, "created_at": line["_ts"]})
        return
    if kind == TRANSFER:
        seen = {"server": event.get("server"), "event": event.get("seen"), "detail": event.get("detail") or ""}
        log.transfers.append({**seen, "at": line["_ts"]})
        return
    case = event.get("item")
    if not isinstance(case, str | int) or isinstance(case, bool) or str(case) == "":
        raise LogError(f"{kind} without an item", number)
    outcome, reason = str(event.get("outcome") or ""), str(event.get("reason") or "")
    log.markers.append(Marker(kind, str(case), after, line["_ts"], outcome, reason))
