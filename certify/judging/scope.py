"""The frames a rule may judge: one attempt of its case, or the whole session.

A `Scope` is the session's log (chargers.frames.reader.Log) and what its
protocol version says of it (`state`, e.g. State16), seen through a seq range
and one case's own commands: a failure rests only on the frames of one of the
case's attempts, while what the session knows (the configuration last read, the
connector states, the open transactions) comes from the whole log whatever the
scope. It also carries the lab's tolerances and options, the session's files
and the moment of judging, so a rule is a pure function of its scope.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from chargers.frames.reader import CALL, GONE_EVENTS, Log, Record

from .verdict import iso

DEFAULT_OPTIONS = {
    "effect_timeout": 60,  # s for a status or message to follow a command
    "reboot_timeout": 900,  # s for a charger to come back after a reset or update (some wait minutes)
    "diagnostics_timeout": 600,  # s for an upload to end
    "interval_tolerance": 0.5,  # fraction of an interval a sample may be late
    "interval_slack": 2,  # s added to every interval check
    "refusal_wait": 10,  # s a refused card must start nothing before the refusal counts as shown
    # s within which the server notices a dead connection (its ping interval and timeout); None: it may
    # never notice before the charger comes back
    "notice_time": 50,
}
AUTO = "certify:auto"  # our own commands, e.g. a case's command after every boot
PREFLIGHT = "certify:preflight"  # the pre-flight read: state, never evidence


def case_tag(key: str) -> str:
    """The suffix of `sent_by` naming the case a command was sent for (old logs
    say ` item:<number>`, read alike by `case_of`)."""
    return f" case:{key}"


def case_of(record: Record) -> str | None:
    """The test case a CALL of ours was sent for, from its `sent_by` tag
    (`case:<key>`; old logs say `item:<number>`). The tag is certification's
    word: the log stores `sent_by` as it came and knows nothing of cases."""
    for tag in (" case:", " item:"):
        _, found, tail = f" {record.sent_by}".rpartition(tag)
        if found and tail and " " not in tail:
            return tail
    return None


def sender_of(record: Record) -> str:
    """Who sent a CALL of ours, without the case tag."""
    return record.sent_by.split(" case:")[0].split(" item:")[0]


class Scope:
    """A log seen by one rule: seq in (lo, hi], and with `case`, only that
    case's commands among ours. `root` is the whole session."""

    def __init__(
        self,
        log: Log,
        state: Any = None,
        options: dict | None = None,
        now: datetime | None = None,
        files: Iterable[dict] = (),
        transfers: Iterable[dict] = (),
    ) -> None:
        self.log = log
        self.state = state  # what the log says, in its protocol version's words
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.now = now or datetime.now(UTC)
        self.files = list(files)  # the session's files: {"id", "kind", "name", "size", "created_at"}
        # What our FTP and HTTP servers saw of them: {"at", "server", "event", "detail"} (certify.transfer.saw)
        self.transfers = list(transfers)
        self.lo, self.hi, self.case = 0, None, None
        self.began: datetime | None = None  # when the attempt in view began (its first step's time counts from it)
        self.root = self

    def narrow(
        self, lo: int = 0, hi: int | None = None, case: str | None = None, began: datetime | None = None
    ) -> Scope:
        """The frames with seq in (lo, hi]; with `case` (a key), only that case's
        own commands among ours; `began`: when that attempt began."""
        view = copy.copy(self)
        view.lo, view.hi, view.root = lo, hi, self.root
        view.case = None if case is None else str(case)
        view.began = began
        return view

    @property
    def last_seq(self) -> int:
        return self.log.last_seq

    # -- the frames in scope -----------------------------------------------------------

    def mine(self, record: Record) -> bool:
        """Whether a frame may be judged here: the charger's always; ours when
        sent for this case (or any, for the whole session), never the pre-flight read."""
        if record.direction != "out":
            return True
        if record.sent_by.startswith(PREFLIGHT):
            return False
        return self.case is None or case_of(record) == self.case

    def calls(self, action: str, direction: str) -> list[Record]:
        """CALLs of an action: direction 'in' from the charger, 'out' ours."""
        return [r for r in self.log.calls(action, direction, self.lo, self.hi) if self.mine(r)]

    def window(self) -> list[Record]:
        return self.log.window(self.lo, self.hi)

    @property
    def events(self) -> list[Record]:
        return self.log.events_between(self.lo, self.hi)

    def own_commands(self) -> list[str]:
        """The unique ids of the commands we sent within this scope for its case."""
        return [r.unique_id for r in self.window() if r.direction == "out" and r.message_type == CALL and self.mine(r)]

    # -- time and tolerances ---------------------------------------------------------------

    @staticmethod
    def first_after(records: list[Record], when: datetime, test: Callable[[Record], bool] = lambda r: True):
        """The first record at or after a moment that passes a test."""
        for record in records:
            if record.ts >= when and test(record):
                return record
        return None

    def expired(self, since: datetime, seconds: float, wall: bool = False) -> bool:
        """Whether an effect due within `seconds` of a moment is late: counted in
        the time the charger was connected (what it could not send while away is
        not late, §3.7), or with `wall` in plain time (a reboot is meant to take
        it away)."""
        if wall:
            return self.now - since > timedelta(seconds=seconds)
        return self.connected_seconds(since, self.now) > seconds

    def outages(self) -> list[tuple[datetime, datetime | None]]:
        """When the charger was away: from its last frame before the server saw the
        socket go (an outage noticed late, at a ping timeout or only when it came
        back, began then) to its next connection; None while still away."""
        root = self.root
        cached = root.__dict__.get("_outages")
        if cached is not None and cached[0] == self.log.last_seq:
            return cached[1]
        found: list[tuple[datetime, datetime | None]] = []
        gone: datetime | None = None
        for event in self.log.events:
            if event.event in GONE_EVENTS and gone is None:
                last = self.log.before(event.seq, lambda r: r.direction == "in")
                gone = min(last.ts, event.ts) if last is not None else event.ts
            elif event.event == "connected" and gone is not None:
                found.append((gone, event.ts))
                gone = None
        if gone is not None:
            found.append((gone, None))
        root.__dict__["_outages"] = (self.log.last_seq, found)
        return found

    def connected_seconds(self, since: datetime, until: datetime) -> float:
        """Seconds between two moments that the charger was connected."""
        total = (until - since).total_seconds()
        for start, end in self.outages():
            end = end or until
            overlap = (min(end, until) - max(start, since)).total_seconds()
            total -= max(overlap, 0.0)
        return total

    def deadline(self, since: datetime, seconds: float) -> str | None:
        return iso(since + timedelta(seconds=seconds))

    def opt(self, name: str):
        return self.options[name]
