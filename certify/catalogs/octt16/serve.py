"""How the server works an OCTT case when the engineer runs it from the session
page (certify.page_runs): the server sends what the steps send, filled from the
test data and what the case saw; the steps by hand are the engineer's, prompted
on the page with their Done button and countdown, and no command goes out while
one of them before it is undone. Then the charger is brought back to the
general preconditions as between the cases of a headless run (drive.restore);
what only a person can undo (a cable, a fault) is said to them.

The run is handed in as a `ServerRun` (certify.page_runs has it)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from certify.judging.scope import Scope
from certify.judging.sequence import Outcome
from certify.judging.steps import Send, expand

from .case import Declaration, OcttCase
from .drive import _connector, leaves, restore
from .judge import case_data, fill, judge_case, steps_of

POLL = 0.5


class ServerRun(Protocol):
    key: str

    config: dict  # the charger's configuration before the case (what the way back restores)

    async def scope(self) -> Scope: ...  # the case's attempt as the server judges it now

    async def command(self, action: str, payload: dict | None = None) -> dict | None: ...  # the case's command

    async def charger_command(self, action: str, payload: dict) -> dict | None: ...  # the way back's, no case

    async def frames(self, after: int) -> list[dict]: ...

    async def offline(self, seconds: float) -> None: ...

    async def step(self, name: str, connector: int = 1, id_tag: str = "", error_code: str = "") -> None: ...

    def left(self) -> float: ...

    def say(self, text: str) -> None: ...


async def serve_case(case: OcttCase, run: ServerRun) -> Outcome | None:
    """Work the case until its steps are decided or its time is up, then the way back."""
    from .catalog import declaration_of, test_data_of

    outcome, records, sent, offline_done = None, [], set(), False
    declaration, data, steps = Declaration(), {}, []
    try:
        while run.left() > 0:
            scope = await run.scope()
            records = [r for r in scope.window() if scope.mine(r)]
            declaration, data = declaration_of(scope.options, scope.state.config()), test_data_of(scope.options)
            values = case_data(declaration, data)
            outcome = judge_case(
                case,
                records,
                now=scope.now,
                declaration=declaration,
                data=data,
                start=scope.began,
                options=scope.options,
            )
            steps = leaves(expand(steps_of(case), values))
            if outcome.final:
                return outcome
            rows = outcome.steps
            current = next((i for i, row in enumerate(rows) if row["state"] == "open"), len(rows))
            undone = [
                i for i in range(min(current, len(steps))) if rows[i]["state"] == "manual" and not rows[i]["done"]
            ]
            if undone:
                step = steps[undone[0]]
                if step.action == "offline" and not offline_done:  # the bench cuts the network itself
                    offline_done = True
                    await run.offline(float(values.get("offline_seconds", 30)))
                await asyncio.sleep(POLL)  # the engineer's turn: the page prompts, Done or the frames move on
                continue
            step = steps[current] if current < len(steps) else None
            waits_for_us = outcome.waiting.get("for", "").startswith("we send")
            if isinstance(step, Send) and current not in sent and waits_for_us:
                sent.add(current)
                await run.command(step.action, fill(dict(step.payload), values, outcome.named))
                continue
            await asyncio.sleep(POLL)
        return outcome
    finally:
        if records:
            # What the engineer did by hand (a cable in, a fault raised) is theirs to undo: the way back says so.
            values = case_data(declaration, data)
            rows = outcome.steps if outcome is not None else []
            by_hand = [
                (step.action, _connector(step, values))
                for step, row in zip(steps, rows, strict=False)
                if row["state"] == "manual" and row["done"]
            ]
            await restore(case, run, records, by_hand, run.charger_command, run.frames, declaration, data)
