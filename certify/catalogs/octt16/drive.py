"""How a headless run works an OCTT case: the steps drive themselves. The run
judges the case's frames as they come (the same judge the server uses) and does
what the first step not yet seen waits for: the physical steps before it (plug,
swipe, power-cycle, ...), or our command when it waits for us to send one, with
the payload filled from the test data and what the case saw (the transaction it
started). A physical step whose effect is already in the log is not done again.

The run is handed in as a `Runner`: what a headless run offers a case's drive
(certify.headless.run.CaseRun has it), plus the frames of the charger since a seq.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from certify.judging.scope import PREFLIGHT, case_of
from certify.judging.sequence import Outcome
from certify.judging.steps import SEND_AGAIN_AFTER, SEND_TRIES, AnyOrder, Manual, Send, expand
from chargers.frames.reader import Log, Record

from .case import Declaration, OcttCase
from .judge import case_data, fill, judge_case, steps_of

POLL = 0.3
# Physical steps the bench does itself rather than ask the performer for.
BENCH_STEPS = ("offline", "online")


class Runner(Protocol):
    key: str

    async def command(self, action: str, payload: dict | None = None) -> dict | None: ...

    async def step(self, name: str, connector: int = 1, id_tag: str = "", error_code: str = "") -> None: ...

    def left(self) -> float: ...

    def say(self, text: str) -> None: ...


def leaves(steps: list) -> list:
    """The steps one per row of an outcome's `steps` (groups opened up)."""
    out = []
    for step in steps:
        out.extend(step.steps if isinstance(step, AnyOrder) else (step,))
    return out


async def walk(
    case: OcttCase,
    run: Runner,
    frames: Callable[[int], Awaitable[list[dict]]],
    *,
    since: int,
    declaration: Declaration,
    data: Mapping | None = None,
    options: Mapping | None = None,
    offline: Callable[[float], Awaitable[object]] | None = None,
    log: Log | None = None,
    done: list[tuple[str, int]] | None = None,
) -> Outcome | None:
    """Work the case until its steps are decided or its time is up; returns
    the last outcome (the server's verdict is the one that counts). `frames(seq)`:
    the charger's frames after a seq, as the API gives them; `since`: the seq
    the case began after; `offline(seconds)`: take the charger offline; `log`
    keeps what was read; `done` collects the physical steps performed, (action, connector)."""
    values = case_data(declaration, data)
    steps = leaves(expand(steps_of(case), values))
    log = log if log is not None else Log()
    began = datetime.now(UTC)
    performed: set[int] = set()
    sent: set[int] = set()
    again: dict[int, int] = {}  # step -> sends of it so far, when refused legally
    outcome = None
    while run.left() > 0:
        log.extend(await frames(max(log.last_seq, since)))
        records = [r for r in log if r.seq > since and _mine(r, run.key)]
        outcome = judge_case(
            case, records, now=datetime.now(UTC), declaration=declaration, data=values, start=began, options=options
        )
        if outcome.final:
            return outcome
        rows = outcome.steps
        current = next((i for i, row in enumerate(rows) if row["state"] == "open"), len(rows))
        manual = next(
            (
                i
                for i in range(min(current, len(steps)))
                if rows[i]["state"] == "manual" and not rows[i]["done"] and i not in performed
            ),
            None,
        )
        if manual is not None:
            performed.add(manual)
            await _perform(steps[manual], run, values, offline)
            if done is not None:
                done.append((steps[manual].action, _connector(steps[manual], values)))
            continue
        step = steps[current] if current < len(steps) else None
        wanted = outcome.waiting.get("for", "")
        if isinstance(step, Send) and current not in sent and wanted.startswith("we send"):
            sent.add(current)
            await run.command(step.action, fill(dict(step.payload), values, outcome.named))
            continue
        if isinstance(step, Send) and wanted == f"we send {step.action} again" and again.get(current, 1) < SEND_TRIES:
            # Refused legally (Send.again): as a lab would, a moment later, the same command once more.
            again[current] = again.get(current, 1) + 1
            run.say(f"{run.key}: {step.action} refused; sending it again in {SEND_AGAIN_AFTER:g} s")
            await asyncio.sleep(min(SEND_AGAIN_AFTER, max(0.0, run.left())))
            await run.command(step.action, fill(dict(step.payload), values, outcome.named))
            continue
        await asyncio.sleep(POLL)
    return outcome


async def _perform(step: Manual, run: Runner, values: Mapping, offline) -> None:
    params = fill(dict(step.params), values)
    if step.action == "offline":
        seconds = float(values.get("offline_seconds", 30))
        run.say(f"taking the charger offline for {seconds:g} s")
        if offline is not None:
            await offline(seconds)
        return
    if step.action in BENCH_STEPS:
        return
    await run.step(
        step.action,
        _connector(step, values),
        id_tag=str(params.get("id_tag", "")),
        error_code=str(params.get("error_code", "")),
    )


def _mine(record: Record, key: str) -> bool:
    """The charger's frames, and ours sent for this case (not the pre-flight read)."""
    if record.direction != "out":
        return True
    return case_of(record) == key and not record.sent_by.startswith(PREFLIGHT)


# -- a headless run's drive, and the way back to the general preconditions ----------------------


async def drive_run(case: OcttCase, run) -> None:
    """A case as a headless run works it (certify.headless.run.CaseRun): its
    steps walked until decided, then the charger brought back to the document's
    general preconditions so that the next case starts clean."""
    from urllib.parse import quote

    from .catalog import declaration_of, test_data_of

    api, session, charger = run.run.api, run.run.session, quote(run.options.charger, safe="")

    async def frames(after: int) -> list[dict]:
        status, body = await api.call("GET", f"/chargers/{charger}/frames?after_seq={after}&limit=1000")
        return body if status == 200 and isinstance(body, list) else []

    async def offline(seconds: float) -> None:
        await api.call("POST", f"/sessions/{session}/offline", {"seconds": seconds})

    async def command(action: str, payload: dict) -> dict | None:
        status, body = await api.call("POST", f"/chargers/{charger}/commands/{action}", payload)
        return (body or {}).get("payload") if status == 200 and isinstance(body, dict) else None

    since = max(run.tail.seq, max((f["seq"] for f in await frames(run.tail.seq)), default=run.tail.seq))
    status, body = await api.call("GET", f"/sessions/{session}")
    options = (body or {}).get("options") or {} if status == 200 else {}  # the server judges with these
    declaration = declaration_of(options, run.config)
    data = test_data_of(options)
    log, done = Log(), []
    try:
        outcome = await walk(
            case,
            run,
            frames,
            since=since,
            declaration=declaration,
            data=data,
            options=options,
            offline=offline,
            log=log,
            done=done,
        )
        if outcome is not None:
            run.say(f"{case.id}: {outcome.status} ({outcome.reason})")
    finally:
        log.extend(await frames(log.last_seq or since))
        await restore(case, run, [r for r in log if r.seq > since], done, command, frames, declaration, data)


async def restore(
    case, run, records: list[Record], done: list[tuple[str, int]], command, frames, declaration, data
) -> None:
    """Back to the general preconditions (OCTT's built-in functions): the
    transactions the case left stopped, the cables it plugged out, the faults it
    raised cleared, availability, configuration, profiles, reservations and the
    local list as they were, the authorization cache empty. Only what the case
    touched is undone, so a case costs seconds, not a round of resets."""
    ours = [r for r in records if r.direction == "out" and r.message_type == 2 and case_of(r) == run.key]
    values = case_data(declaration, data)
    open_tx = _open_transactions(records)
    for transaction in open_tx:
        await command("RemoteStopTransaction", {"transactionId": transaction})
    if open_tx and not await _stopped(open_tx, records, frames):
        # A charger that keeps a transaction we asked it to stop: a hard reset ends it (§5.14),
        # so that the next case does not start behind it.
        run.say(f"transactions {open_tx} still running after RemoteStopTransaction: Reset Hard")
        await command("Reset", {"type": "Hard"})
    plugged = _physical(done, "plug", ("unplug", "unplug-ev-side"))
    faulted = _physical(done, "fault", ("clear-fault",))
    for manual in (*case.cleanup,):
        plugged.discard(_connector(manual, values))
        faulted.discard(_connector(manual, values))
        await _try(run, manual, values)
    for connector in sorted(faulted):
        await _try(run, Manual("clear-fault", "Clear the fault", {"connector": connector}), values)
    for connector in sorted(plugged):
        await _try(run, Manual("unplug", "Unplug the cable", {"connector": connector}), values)
    actions = {r.action for r in ours}
    for record in ours:
        key = record.get("key")
        if record.action == "ChangeConfiguration" and record.answer_status() in ("Accepted", "RebootRequired"):
            if key in run.config and key not in ("AuthorizationKey", "SecurityProfile"):
                await command("ChangeConfiguration", {"key": key, "value": run.config[key]})
    if "ChangeAvailability" in actions:
        await command("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    if actions & {"SetChargingProfile", "RemoteStartTransaction"}:
        if "SmartCharging" in declaration.profiles:
            await command("ClearChargingProfile", {})
    for record in ours:
        if record.action == "ReserveNow" and record.answer_status() == "Accepted":
            await command("CancelReservation", {"reservationId": record.get("reservationId")})
    if "SendLocalList" in actions:
        await command("SendLocalList", {"listVersion": 1, "updateType": "Full"})
    if declaration.authorization_cache:
        await command("ClearCache", {})
    # Every connector the case left busy (a transaction, a cable, an authorization waiting
    # for a cable) idle again before the next case: the stops and unplugs reported, a
    # pending authorization ended by ConnectionTimeOut.
    last = {r.connector: r.get("status") for r in records if r.direction == "in" and r.action == "StatusNotification"}
    busy = {c for c, status in last.items() if c and status not in ("Available", "Unavailable", "Faulted")}
    busy |= set(plugged) | _connectors(records)
    if busy:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(30.0, float(values.get("connection_timeout", 20)) + 10)
        while loop.time() < deadline:
            newer = Log(await frames(records[-1].seq if records else 0))
            now = {**last, **{r.connector: r.get("status") for r in newer.calls("StatusNotification", "in")}}
            if all(now.get(c) in ("Available", "Unavailable", "Faulted") for c in busy):
                break
            await asyncio.sleep(POLL)
        await asyncio.sleep(1.0)  # a charger's own timers from the case (an automatic unplug) fire before the next


async def _stopped(transactions: list, records: list[Record], frames, seconds: float = 10.0) -> bool:
    """Whether StopTransaction came for each of the transactions within `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        newer = Log(await frames(records[-1].seq if records else 0))
        if not set(transactions) & set(_open_transactions([*records, *newer])):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(POLL)


def _open_transactions(records: list[Record]) -> list:
    started = {
        r.answer.get("transactionId")
        for r in records
        if r.direction == "in" and r.action == "StartTransaction" and r.message_type == 2 and r.answer is not None
    }
    stopped = {r.get("transactionId") for r in records if r.direction == "in" and r.action == "StopTransaction"}
    return sorted(t for t in started - stopped if t is not None)


def _connectors(records: list[Record]) -> set[int]:
    return {
        r.get("connectorId")
        for r in records
        if r.direction == "in" and r.action == "StartTransaction" and isinstance(r.get("connectorId"), int)
    }


def _connector(manual: Manual, values: Mapping) -> int:
    connector = fill(dict(manual.params), values).get("connector", values.get("connector", 1))
    try:
        return int(connector)
    except (TypeError, ValueError):
        return int(values.get("connector", 1))


def _physical(done: list[tuple[str, int]], on: str, off: tuple[str, ...]) -> set[int]:
    """The connectors a physical step left in a state (plugged, faulted) that no later one undid."""
    state: set[int] = set()
    for action, connector in done:
        if action == on:
            state.add(connector)
        elif action in off:
            state.discard(connector)
    return state


async def _try(run, manual: Manual, values: Mapping) -> None:
    """A physical step of the way back; one that cannot be done is said, not fatal."""
    try:
        await _perform(manual, run, values, None)
    except Exception as exc:  # the run's Blocked: the next case says what it finds
        run.say(f"could not {manual.action} after the case: {exc}")
