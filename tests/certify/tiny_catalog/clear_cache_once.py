"""A case with one command: ClearCache answered Accepted passes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from certify.catalogs import Case, Command
from certify.judging.scope import Scope
from certify.judging.verdict import OPEN, PASSED, Verdict, at, ids, step

if TYPE_CHECKING:
    from certify.headless.run import CaseRun

CASE = Case(
    key="TINY_CLEAR",
    number=1,
    title="Clear the cache once",
    criteria=("ClearCache is answered Accepted",),
    commands=(Command("Clear cache", "ClearCache", {}),),
    clauses=("5.4 Clear Cache",),
)


def judge(s: Scope) -> Verdict:
    answered = [c for c in s.calls("ClearCache", "out") if c.answer is not None]
    accepted = next((c for c in answered if c.answer_status() == "Accepted"), None)
    if accepted is None:
        return Verdict(OPEN, "Send ClearCache.", steps=[step("ClearCache Accepted")])
    return Verdict(
        PASSED,
        "ClearCache answered Accepted",
        "ok",
        ids(accepted),
        expected="Accepted",
        actual=f"Accepted at {at(accepted.answer)}",
        steps=[step("ClearCache Accepted", accepted)],
    )


async def drive(run: CaseRun) -> None:
    await run.command("ClearCache", {})
