"""Item 17 of the test script, Clear cache (if applicable): its data (CASE) and its rule
(judge). OCPP 1.6 §5.4 Clear Cache, §9.1.2 AuthorizationCacheEnabled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import FAILED, NOT_APPLICABLE, OPEN, PASSED, Verdict, at, ids, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="17",
    number=17,
    title="Clear cache (if applicable)",
    criteria=("After sending the ClearCache, a message with status Accepted must be received",),
    commands=(Command("Clear cache", "ClearCache", {}),),
    clauses=("5.4 Clear Cache", "9.1.2 AuthorizationCacheEnabled"),
    octt=("TC_061", "TC_007"),
)


def judge(s: Scope) -> Verdict:
    commands = [c for c in s.calls("ClearCache", "out") if c.answer is not None]
    if not commands:
        return Verdict(OPEN, "Send ClearCache.", steps=[step("ClearCache Accepted")])
    command = commands[-1]
    if command.answer_status() == "Accepted":
        return Verdict(
            PASSED,
            "ClearCache answered Accepted",
            "ok",
            ids(command),
            expected="Accepted",
            actual=f"Accepted at {at(command.answer)}",
            steps=[step("ClearCache Accepted", command)],
        )
    cache = s.state.config_bool("AuthorizationCacheEnabled")
    if cache is None and not s.state.config_known():
        return Verdict(
            OPEN,
            f"ClearCache answered {command.answer_status()}; awaiting the configuration (GetConfiguration) to tell "
            "whether the charger has an authorization cache.",
            "",
            ids(command),
        )
    if not cache:
        return Verdict(
            NOT_APPLICABLE,
            f"ClearCache answered {command.answer_status()}, and the charger's authorization cache is "
            f"{'disabled' if cache is False else 'absent'} (AuthorizationCacheEnabled "
            f"{'false' if cache is False else 'absent'}; the cache is optional, §3.5.1, §9.1.2)",
            "Not applicable: no authorization cache",
            ids(command),
        )
    return Verdict(
        FAILED,
        f"ClearCache answered {command.answer_status()} although AuthorizationCacheEnabled is true",
        "",
        ids(command),
        expected="ClearCache Accepted",
        actual=f"{command.answer_status()} at {at(command.answer)}",
        clause="§5.4 Clear Cache",
    )


async def drive(run: CaseRun) -> None:
    await run.command("ClearCache", {})
