"""Expected message sequences, judged as data: the steps of a test case written
the OCTT way (`certify.judging.steps`) checked against the evidence log without
a hand-written rule per case.

`judge` walks the steps over the case's frames in order and returns an `Outcome`:
passed; failed, naming the step with expected versus actual; open, naming what it
waits for and until when; inconclusive (the bench answered otherwise than the case
needs, or the charger disconnected while a step was awaited); or not supported (an
answer the case declares as "the charger lacks this feature"). Every step keeps the
frames it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chargers.frames.reader import CALL, CALLERROR, GONE_EVENTS, Record

from . import by_hand
from .steps import (
    MISSING,
    SEND_TRIES,
    UNKNOWN,
    Absent,
    AnyOrder,
    Check,
    Expect,
    Manual,
    OneOf,
    Ref,
    Send,
    Step,
    Var,
    actual_of,
    describe,
    expand,
    label_of,
    last_exchange,
    literal,
)
from .verdict import FAILED, INCONCLUSIVE, NOT_SUPPORTED, OPEN, PASSED, iso

EFFECT_TIMEOUT = 60.0  # s for a charger's message or answer to follow, unless the step or options say otherwise
SLACK = 2.0  # s a timed step may be early or late, plus SLACK_FRACTION of its time
SLACK_FRACTION = 0.1


# -- outcome --------------------------------------------------------------------


@dataclass
class Outcome:
    """What the steps make of the frames. `steps` rows: {"label", "done", "frame",
    "frames", "state"}; state: done, skipped (an optional step that did not come),
    manual, watching (must not come), pending (not reached), or the status of the
    step that decided (failed, open, inconclusive, not_supported)."""

    status: str
    reason: str
    step: str = ""  # the label of the step that decided (failed, open, inconclusive)
    expected: str = ""
    actual: str = ""
    steps: list[dict] = field(default_factory=list)
    evidence: list[int] = field(default_factory=list)
    waiting: dict = field(default_factory=dict)
    named: dict[str, Record] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status != OPEN


_SETUP = "the charger refused what the case needs to begin"


class _Stop(Exception):
    """A step decided the case (failed, open, inconclusive, not supported)."""

    def __init__(self, status: str, expected: str = "", actual: str = "", frames=(), waiting=None, why: str = ""):
        super().__init__(status)
        self.status, self.expected, self.actual, self.why = status, expected, actual, why
        self.frames = [r for r in frames if r is not None]
        self.waiting = waiting or {}


@dataclass
class _Found:
    index: int
    record: Record


# -- judging --------------------------------------------------------------------


def judge(
    steps: Iterable[Step],
    records: Iterable[Record],
    *,
    now: datetime,
    data: Mapping | None = None,
    start: datetime | None = None,
    options: Mapping | None = None,
) -> Outcome:
    """Walk the steps over the case's frames (seq order; our CALLs only the
    case's own) as of `now`. `start`: when the case began (the first step's
    deadline counts from it); `options`: effect_timeout, interval_slack."""
    return _Walk(list(records), now, data or {}, start, options or {}).run(expand(steps, data or {}))


class _Walk:
    def __init__(self, records: list[Record], now: datetime, data: Mapping, start, options: Mapping) -> None:
        self.records, self.now, self.data, self.options = records, now, data, options
        self.index = {id(record): i for i, record in enumerate(records)}
        self.cursor = -1  # index of the last frame a step consumed
        self.anchor = start or (records[0].ts if records else now)
        self.person = ""  # what a person does since the last frame (manual steps): no default deadline
        self.person_deadline: datetime | None = None  # when the budget of the steps by hand runs out
        self.prompt: dict = {}  # the first step by hand not yet done: {"step" (row number), "label", "seconds"}
        self.expect_gone = False  # a manual step takes the charger away
        self.named: dict[str, Record] = {}
        self.taken: set[int] = set()
        self.rows: list[dict] = []
        self.absent: list[tuple[Absent, int, datetime, dict]] = []
        self.effect_timeout = float(options.get("effect_timeout", EFFECT_TIMEOUT))
        self.slack = float(options.get("interval_slack", SLACK))

    # -- the walk -------------------------------------------------------------------

    def run(self, steps: list[Step]) -> Outcome:
        for number, step in enumerate(steps):
            try:
                self._step(step)
            except _Stop as stop:
                came = self._absent_so_far(len(self.records))
                if came is not None and stop.status != FAILED:
                    stop = came
                for later in steps[number + 1 :]:
                    self._pending_rows(later)
                return self._stopped(stop)
        try:
            self._absent_at_end()
        except _Stop as stop:
            return self._stopped(stop)
        self._mark_manual_done()  # the walk got past every step: what was to be done by hand was done
        return Outcome(
            PASSED,
            f"All {len(self.rows)} steps came as the case expects",
            steps=self.rows,
            evidence=self._evidence(),
            named=self.named,
        )

    def _step(self, step: Step) -> None:
        if isinstance(step, Manual):
            self._manual(step)
            return
        if isinstance(step, Absent):
            row = _row(label_of(step), "watching")
            self.rows.append(row)
            self.absent.append((step, self.cursor, self.anchor, row))
            return
        members = step.steps if isinstance(step, AnyOrder) else (step,)
        rows = [_row(label_of(m), "open") for m in members]
        self.rows.extend(rows)
        found: list[_Found | None] = []
        stops: list[_Stop] = []
        for member, row in zip(members, rows, strict=True):
            try:
                hit = self._find(member)
            except _Stop as stop:
                row["state"] = stop.status
                row["frames"] = [i for r in stop.frames for i in _ids(r)]
                stops.append(stop)
                found.append(None)
                continue
            found.append(hit)
            if hit is None:
                row["state"] = "skipped"
                continue
            self.taken.add(hit.index)
            row.update(state="done", done=True, frame=hit.record.id, frames=_ids(hit.record))
            if getattr(member, "name", ""):
                self.named[member.name] = hit.record
        hits = [(h, m) for h, m in zip(found, members, strict=True) if h is not None and not getattr(m, "optional", 0)]
        # What must not come is watched until the first frame the next step took up (even
        # while the rest of that step is awaited, or that frame is not what it expects).
        taken_up = [h.index for h, _ in hits] + [
            self.index[id(r)] for stop in stops if stop.status != OPEN for r in stop.frames[:1] if id(r) in self.index
        ]
        if taken_up:
            self._absent_until(min(taken_up))
        if stops:
            # A positive failure outranks what is still awaited.
            rank = {FAILED: 0, NOT_SUPPORTED: 1, INCONCLUSIVE: 2, OPEN: 3}
            raise min(stops, key=lambda s: rank[s.status])
        if not hits:
            return
        last = max(h.index for h, _ in hits)
        self.cursor = max(self.cursor, last)
        self.anchor = max(_settled(h.record) for h, _ in hits)
        self.person, self.person_deadline, self.prompt = "", None, {}
        if any(m.action == "BootNotification" for _, m in hits):
            self.expect_gone = False
        if any(isinstance(m, Send) and m.disconnects for _, m in hits):
            self.expect_gone = True
        self._mark_manual_done()

    def _manual(self, step: Manual) -> None:
        """A step by hand: confirmed done (by_hand.confirmation), or awaited from the
        person within its budget, added to those of the steps by hand before it."""
        row = _row(step.label, "manual")
        self.rows.append(row)
        number = len(self.rows)
        self.expect_gone = self.expect_gone or step.disconnects
        confirmed = by_hand.confirmation(self.records[self.cursor + 1 :], number, step.label)
        if confirmed is not None:  # what was to be done by hand was done; the case goes on from then
            self._mark_manual_done()
            row.update(frame=confirmed.id, frames=[confirmed.id], confirmed=True)
            self.anchor = max(self.anchor, confirmed.ts)
            self.person, self.person_deadline, self.prompt = "", None, {}
            return
        self.person = f"{self.person}; {step.label}" if self.person else step.label
        limit = by_hand.budget(step, self.data)
        seconds = self._seconds(limit, -1.0) if limit is not None else -1.0
        if seconds >= 0:
            self.person_deadline = (self.person_deadline or self.anchor) + timedelta(seconds=seconds)
        self.prompt = self.prompt or {"step": number, "label": step.label, "seconds": seconds if seconds >= 0 else None}

    def _budget_over(self, what: str, frames=()) -> None:
        """The budget ran out with neither Done nor the frames that show the step: inconclusive."""
        if self.prompt.get("step"):
            self.rows[self.prompt["step"] - 1]["state"] = INCONCLUSIVE
        actual = by_hand.overdue(self.prompt, self.person_deadline)
        raise _Stop(INCONCLUSIVE, what, actual, frames, why="the step by hand was not done within its time")

    def _find(self, step: Send | Expect) -> _Found | None:
        if isinstance(step, Send):
            return self._find_send(step)
        try:
            return self._find_expect(step)
        except _Stop:
            if step.optional:
                return None
            raise

    # -- our CALL and the charger's answer --------------------------------------------

    def _find_send(self, step: Send) -> _Found:
        ours = literal(step.payload)
        budget_end = self.person_deadline if self.person else None
        for index in range(self.cursor + 1, len(self.records)):
            record = self.records[index]
            if budget_end is not None and record.ts > budget_end:
                break
            if (
                index in self.taken
                or record.message_type != CALL
                or record.direction != "out"
                or record.action != step.action
                or not self._agrees(ours, record.payload)
            ):
                continue
            answer = record.answer
            what = f"{step.action} answered {self._describe(step.answer) or 'at all'}"
            if answer is None:
                deadline = record.ts + timedelta(seconds=self._seconds(step.within, self.effect_timeout))
                if self.now > deadline:
                    self._gone_or_fail(record.ts, deadline, what, "no answer", [record])
                raise _Stop(
                    OPEN, what, frames=[record], waiting=self._waiting(f"the answer to {step.action}", deadline)
                )
            if answer.message_type == CALLERROR:
                code = (answer.payload or {}).get("errorCode", "CALLERROR")
                if code in step.errors:
                    return _Found(index, record)
                status = NOT_SUPPORTED if code in step.unsupported else step.otherwise
                raise _Stop(status, what, f"CALLERROR {code} {_at(answer)}", [record], why=_SETUP)
            view = answer.payload if isinstance(answer.payload, dict) else {}
            if view.get("status") in step.again:
                self._refused(step, index, record, answer, what)
                continue  # sent again, and that one answered
            if step.unsupported and view.get("status") in step.unsupported:
                raise _Stop(NOT_SUPPORTED, what, f"status {view.get('status')} {_at(answer)}", [record])
            if not self._agrees(step.answer, view):
                actual = f"{self._actual(step.answer, view)} {_at(answer)}"
                raise _Stop(step.otherwise, what, actual, [record], why=_SETUP)
            return _Found(index, record)
        if budget_end is not None and self.now > budget_end:
            self._budget_over(f"we send {step.action}")
        waiting = {"for": f"we send {step.action}", "person": ""}
        if self.prompt:
            waiting |= {"person": self.person, "deadline": iso(budget_end), "prompt": self.prompt}
        raise _Stop(OPEN, f"we send {step.action}", waiting=waiting)

    # -- the charger's CALL and our answer -----------------------------------------------

    def _find_expect(self, step: Expect) -> _Found:
        since = self.named.get(step.since)
        anchor = _settled(since) if since is not None else self.anchor
        earliest = self._bound(step.after, -1, anchor)
        latest = self._bound(step.within, +1, anchor)
        if step.within is None and not self.person:
            latest = self.anchor + timedelta(seconds=self.effect_timeout)
        budget_end = self.person_deadline if self.person and step.within is None else None
        want = f"{step.action} with {self._describe(step.fields)}" if step.fields else step.action
        if step.state:
            for index in range(min(self.cursor, len(self.records) - 1), -1, -1):
                record = self.records[index]
                if (
                    record.message_type == CALL
                    and record.direction == "in"
                    and record.action == step.action
                    and self._agrees(step.match, record.payload)
                ):
                    if self._agrees(step.fields, record.payload):
                        return _Found(index, record)
                    break
        seen: list[Record] = []
        for index in range(self.cursor + 1, len(self.records)):
            record = self.records[index]
            if index in self.taken or not _is(record, step.action) or not self._agrees(step.match, record.payload):
                continue
            if budget_end is not None and record.ts > budget_end:
                break  # came after the person's budget ran out: the step was not done in its time
            if self._agrees(step.fields, record.payload):
                if earliest is not None and record.ts < earliest:
                    raise _Stop(
                        FAILED, f"{want} not before {_clock(earliest)}", f"{record.action} {_at(record)}", [record]
                    )
                late = self._bound(step.within, +1, self._quiet_since(index)) if step.idle else latest
                if late is not None and record.ts > late:
                    raise _Stop(FAILED, f"{want} by {_clock(late)}", f"{record.action} {_at(record)}", [record])
                ours = record.answer.payload if record.answer is not None else None
                if step.ours and isinstance(ours, dict) and not self._agrees(step.ours, ours):
                    raise _Stop(
                        INCONCLUSIVE,
                        f"our answer to {step.action} with {self._describe(step.ours)}",
                        f"we answered {self._actual(step.ours, ours)} {_at(record.answer)}",
                        [record],
                        why="the bench answered otherwise than the case needs; check the case's test data",
                    )
                return _Found(index, record)
            seen.append(record)
            if step.is_strict:
                raise _Stop(FAILED, want, f"{self._actual(step.fields, record.payload)} {_at(record)}", [record])
        actual = f"{self._actual(step.fields, seen[-1].payload)} {_at(seen[-1])}" if seen else "nothing"
        if step.idle and latest is not None:  # still idle: the interval counts from the last exchange
            latest = max(latest, self._bound(step.within, +1, self._quiet_since(len(self.records))) or latest)
        if latest is not None and self.now > latest:
            self._gone_or_fail(self.anchor, latest, f"{want} by {_clock(latest)}", actual, seen[-1:])
        if budget_end is not None:
            if self.now > budget_end:
                self._budget_over(want, seen[-1:])
            latest = budget_end
        raise _Stop(OPEN, want, actual, seen[-1:], waiting=self._waiting(want, latest))

    def _gone_or_fail(self, since: datetime, until: datetime, expected: str, actual: str, frames) -> None:
        """A step that timed out: inconclusive if the charger went away meanwhile
        (and no step of the case takes it away), else failed."""
        for record in self.records[self.cursor + 1 :]:
            if record.direction == "event" and record.event in GONE_EVENTS and since <= record.ts <= until:
                if not self.expect_gone:
                    raise _Stop(
                        INCONCLUSIVE,
                        expected,
                        f"the charger disconnected {_at(record)}",
                        [*frames, record],
                        why="the charger disconnected unexpectedly while the step was awaited",
                    )
        raise _Stop(FAILED, expected, actual, frames)

    # -- what must not come ----------------------------------------------------------------

    def _forbidden(self, step: Absent, lo: int, hi: int, anchor: datetime) -> Record | None:
        limit = self._bound(step.within, +1, anchor)
        for record in self.records[lo + 1 : hi]:
            if limit is not None and record.ts > limit:
                break
            if (
                record.message_type == CALL
                and record.direction == "in"
                and record.action in (step.action or record.action,)
                and self._agrees(step.fields, record.payload)
            ):
                return record
        return None

    def _absent_until(self, index: int) -> None:
        for step, lo, anchor, row in self.absent:
            hit = self._forbidden(step, lo, index, anchor)
            if hit is not None:
                row.update(state="failed", frames=_ids(hit))
                raise _Stop(FAILED, f"no {_absent_text(self, step)}", f"{hit.action or hit.event} {_at(hit)}", [hit])
            row.update(state="done", done=True)
        self.absent = []

    def _absent_so_far(self, index: int) -> _Stop | None:
        """What must not come but came while a later step is still undecided: a
        failure that outranks the wait."""
        for step, lo, anchor, row in self.absent:
            hit = self._forbidden(step, lo, index, anchor)
            if hit is not None:
                row.update(state="failed", frames=_ids(hit))
                return _Stop(FAILED, f"no {_absent_text(self, step)}", f"{hit.action or hit.event} {_at(hit)}", [hit])
        return None

    def _absent_at_end(self) -> None:
        pending = self.absent
        self._absent_until(len(self.records))
        for step, _, anchor, row in pending:
            limit = self._bound(step.within, +1, anchor)
            if limit is not None and self.now <= limit:
                row.update(state=OPEN, done=False)
                raise _Stop(
                    OPEN,
                    f"no {_absent_text(self, step)} until {_clock(limit)}",
                    waiting=self._waiting(f"no {step.action} until {_clock(limit)}", limit),
                )

    # -- helpers ------------------------------------------------------------------------------

    def _stopped(self, stop: _Stop) -> Outcome:
        number = next((i for i, r in enumerate(self.rows) if r["state"] == stop.status), len(self.rows) - 1)
        label = self.rows[number]["label"] if self.rows else ""
        number += 1
        if stop.status == OPEN:
            reason = f"Waiting at step {number} ({label}): {stop.expected}"
        elif stop.status == NOT_SUPPORTED:
            reason = f"Step {number} ({label}): the charger answered {stop.actual}, meaning it lacks the feature"
        elif stop.status == INCONCLUSIVE:
            reason = f"Step {number} ({label}) could not be tested: {stop.why}; {stop.actual}"
        else:
            reason = f"Step {number} ({label}): expected {stop.expected}; came {stop.actual}"
        return Outcome(
            stop.status,
            reason,
            step=label,
            expected=stop.expected,
            actual=stop.actual,
            steps=self.rows,
            evidence=self._evidence(stop.frames),
            waiting=stop.waiting,
            named=self.named,
        )

    def _pending_rows(self, step: Step) -> None:
        if isinstance(step, AnyOrder):
            for member in step.steps:
                self._pending_rows(member)
        else:
            self.rows.append(_row(step.label if isinstance(step, Manual) else label_of(step), "pending"))

    def _mark_manual_done(self) -> None:
        for row in self.rows:
            if row["state"] == "manual":
                row["done"] = True

    def _evidence(self, extra: Iterable[Record] = ()) -> list[int]:
        ids: list[int] = []
        for row in self.rows:
            ids.extend(row["frames"])
        for record in extra:
            ids.extend(_ids(record))
        return list(dict.fromkeys(ids))

    def _waiting(self, what: str, deadline: datetime | None) -> dict:
        """What the case waits for; `prompt` names the step by hand to confirm (the page's Done)."""
        prompt = {"prompt": self.prompt} if self.person and self.prompt else {}
        return {"for": what, "deadline": iso(deadline), "person": self.person, **prompt}

    def _seconds(self, value, default: float) -> float:
        resolved = self._resolve(value) if value is not None else default
        try:
            return float(resolved)
        except (TypeError, ValueError):
            return default

    def _refused(self, step: Send, index: int, record: Record, answer: Record, what: str) -> None:
        """A legal refusal (Send.again): returns when we sent the command again, else the
        case waits for that, or is inconclusive after SEND_TRIES refusals."""
        ours = literal(step.payload)
        same = [r for r in self.records if r.direction == "out" and r.action == step.action and r.message_type == CALL]
        if any(self.index[id(r)] > index and self._agrees(ours, r.payload) for r in same):
            return
        actual = f"status {answer.get('status')} {_at(answer)}"
        if len([r for r in same if self._agrees(ours, r.payload)]) >= SEND_TRIES:
            why = f"the charger refused {step.action} {SEND_TRIES} times, a legal answer: the case could not go on"
            raise _Stop(INCONCLUSIVE, what, actual, [record], why=why)
        raise _Stop(OPEN, what, actual, [record], waiting={"for": f"we send {step.action} again", "person": ""})

    def _quiet_since(self, index: int) -> datetime:
        return last_exchange(self.records[max(0, self.cursor) : index]) or self.anchor

    def _bound(self, value, sign: int, anchor: datetime | None = None) -> datetime | None:
        """The earliest (sign -1) or latest (+1) moment a timed step may come."""
        if value is None:
            return None
        seconds = self._resolve(value)
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            return None
        slack = self.slack + SLACK_FRACTION * seconds
        return (anchor or self.anchor) + timedelta(seconds=max(0.0, seconds + sign * slack))

    def _resolve(self, value):
        if isinstance(value, Var):
            return self.data.get(value.name, UNKNOWN)
        if isinstance(value, Ref):
            record = self.named.get(value.step)
            if record is None:
                return UNKNOWN
            part, _, path = value.path.partition(".")
            source = record.payload if part == "payload" else (record.answer.payload if record.answer else None)
            for key in path.split(".") if path else ():
                if isinstance(source, list) and key.isdigit() and int(key) < len(source):
                    source = source[int(key)]
                else:
                    source = source.get(key, MISSING) if isinstance(source, dict) else MISSING
            return source
        return value

    def _agrees(self, expected: Mapping, actual) -> bool:
        if not expected:
            return True
        if not isinstance(actual, dict):
            return False
        return all(self._value_agrees(want, actual.get(key, MISSING)) for key, want in expected.items())

    def _value_agrees(self, want, value) -> bool:
        want = self._resolve(want)
        if want is UNKNOWN:
            return True
        if want is MISSING:
            return value is MISSING
        if isinstance(want, OneOf):
            return any(self._value_agrees(w, value) for w in want.values)
        if isinstance(want, Check):
            return value is not MISSING and bool(want.test(value, self._resolve))
        if isinstance(want, Mapping):
            return isinstance(value, dict) and self._agrees(want, value)
        if isinstance(want, list | tuple) and isinstance(value, list):
            return len(want) == len(value) and all(self._value_agrees(w, v) for w, v in zip(want, value, strict=True))
        if isinstance(want, bool) or isinstance(value, bool):
            return want is value
        return value == want

    def _describe(self, fields: Mapping) -> str:
        return describe(fields, self._resolve)

    def _actual(self, fields: Mapping, payload) -> str:
        return actual_of(fields, payload, self._resolve)


def _is(record: Record, action: str) -> bool:
    """A CALL of the charger's with this action; "event:<name>" a connection event."""
    if action.startswith("event:"):
        return record.direction == "event" and record.event == action[6:]
    return record.message_type == CALL and record.direction == "in" and record.action == action


def _settled(record: Record) -> datetime:
    """When a step is over: our CALL when answered, the charger's CALL when sent."""
    if record.direction == "out" and record.answer is not None:
        return record.answer.ts
    return record.ts


def _row(label: str, state: str) -> dict:
    return {"label": label, "done": state == "done", "frame": None, "frames": [], "state": state}


def _ids(record: Record) -> list[int]:
    return [record.id] + ([record.answer.id] if record.answer is not None else [])


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M:%S}"


def _at(record: Record | None) -> str:
    return f"at {record.ts:%H:%M:%S} (frame #{record.seq})" if record is not None else ""


def _absent_text(walk: _Walk, step: Absent) -> str:
    described = walk._describe(step.fields)
    action = step.action or "message"
    return f"{action} with {described}" if described else action
