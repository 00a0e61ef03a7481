"""Item 17 of the test script, Clear cache (if applicable): its data (CASE) and its rule
(judge). OCPP 1.6 §5.4 Clear Cache, §9.1.2 AuthorizationCacheEnabled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargers.frames.reader import CALLERROR

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
    if command.answer is not None and command.answer.message_type == CALLERROR:
        # ClearCache is Core (§3.3): every charger implements it, with or without a cache (§5.4).
        return Verdict(
            FAILED,
            f"ClearCache answered {command.answer_status()}: it is a Core message, which every charger implements "
            "(a charger without a cache answers Rejected, §5.4)",
            "",
            ids(command),
            expected="ClearCache.conf (Accepted, or Rejected without a cache)",
            actual=f"{command.answer_status()} at {at(command.answer)}",
            clause="§3.3 Feature Profiles (Core), §5.4 Clear Cache",
        )
    cache = s.state.config_bool("AuthorizationCacheEnabled")
    if cache is None and s.state.config_known():
        # No authorization cache at all: nothing to clear, whatever it answered (§3.5.1, §9.1.2).
        return Verdict(
            NOT_APPLICABLE,
            f"ClearCache answered {command.answer_status()}, and the charger has no authorization cache "
            "(AuthorizationCacheEnabled absent from its configuration; the cache is optional, §3.5.1, §9.1.2)",
            "Not applicable: no authorization cache",
            ids(command),
        )
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
    if cache is None:
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
