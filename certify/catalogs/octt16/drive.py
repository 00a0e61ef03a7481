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

from certify.judging.sequence import AnyOrder, Manual, Outcome, Send, expand
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
) -> Outcome | None:
    """Work the case until its steps are decided or its time is up; returns
    the last outcome (the server's verdict is the one that counts). `frames(seq)`:
    the charger's frames after a seq, as the API gives them; `since`: the seq
    the case began after; `offline(seconds)`: take the charger offline."""
    values = case_data(declaration, data)
    steps = leaves(expand(steps_of(case), values))
    log = Log()
    began = datetime.now(UTC)
    performed: set[int] = set()
    sent: set[int] = set()
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
            continue
        step = steps[current] if current < len(steps) else None
        if isinstance(step, Send) and current not in sent and outcome.waiting.get("for", "").startswith("we send"):
            sent.add(current)
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
        int(params.get("connector", values.get("connector", 1))),
        id_tag=str(params.get("id_tag", "")),
        error_code=str(params.get("error_code", "")),
    )


def _mine(record: Record, key: str) -> bool:
    """The charger's frames, and ours sent for this case (not the pre-flight read)."""
    if record.direction != "out":
        return True
    return record.case == key and not record.sent_by.startswith("certify:preflight")
