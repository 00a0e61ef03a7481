"""A case judged from what the charger sends: a Heartbeat after our
TriggerMessage for one passes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from certify.catalogs import Case, Command
from certify.judging.scope import Scope
from certify.judging.verdict import OPEN, PASSED, Verdict, at, ids, step

if TYPE_CHECKING:
    from certify.headless.run import CaseRun

CASE = Case(
    key="TINY_BEAT",
    number=2,
    title="Heartbeat on request",
    criteria=("After TriggerMessage (Heartbeat) is Accepted, a Heartbeat comes",),
    commands=(Command("Trigger Heartbeat", "TriggerMessage", {"requestedMessage": "Heartbeat"}),),
    clauses=("5.17 Trigger Message",),
)


def judge(s: Scope) -> Verdict:
    triggers = [
        c
        for c in s.calls("TriggerMessage", "out")
        if c.get("requestedMessage") == "Heartbeat" and c.answer_status() == "Accepted"
    ]
    if not triggers:
        return Verdict(OPEN, "Send TriggerMessage for a Heartbeat.", steps=[step("TriggerMessage Accepted")])
    beat = next((h for h in s.calls("Heartbeat", "in") if h.seq > triggers[0].seq), None)
    steps = [step("TriggerMessage Accepted", triggers[0]), step("Heartbeat", beat)]
    if beat is None:
        return Verdict(OPEN, "Waiting for the Heartbeat.", "", ids(triggers[0]), steps=steps)
    return Verdict(
        PASSED,
        "Heartbeat came after the TriggerMessage",
        "ok",
        ids(triggers[0], beat),
        expected="a Heartbeat",
        actual=f"Heartbeat at {at(beat)}",
        steps=steps,
    )


async def drive(run: CaseRun) -> None:
    mark = run.tail.seq
    await run.command("TriggerMessage", {"requestedMessage": "Heartbeat"})
    await run.wait("a Heartbeat", lambda: run.tail.call_since(mark, "Heartbeat"))
