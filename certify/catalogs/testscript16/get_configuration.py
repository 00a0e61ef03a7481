"""Item 4 of the test script, Get configuration (list parameters that can be read): its
data (CASE) and its rule (judge). OCPP 1.6 §5.8 Get Configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="4",
    number=4,
    title="Get configuration (list parameters that can be read)",
    criteria=(
        "After sending GetConfiguration() the Charge Station must respond with a GetConfiguration message, "
        "containing the total number of items, followed by a message with the complete list of items.",
    ),
    commands=(Command("Get all keys", "GetConfiguration", {}),),
    clauses=("5.8 Get Configuration",),
    octt=("TC_019",),
    result_prefix="Ok, ",
)


def judge(s: Scope) -> Verdict:
    requests = [r for r in s.calls("GetConfiguration", "out") if r.answer is not None]
    full = [r for r in requests if not r.get("key")]
    if not full:
        return Verdict(
            OPEN,
            "Send GetConfiguration without keys."
            if not requests
            else "Only named keys were asked for; send GetConfiguration without keys.",
            "",
            ids(*requests[-1:]),
            steps=[step("GetConfiguration() answered with every key")],
        )
    request = full[-1]
    if not request.ok:
        return Verdict(
            FAILED,
            f"GetConfiguration answered {request.answer_status()}",
            "",
            ids(request),
            expected="GetConfiguration.conf with every configuration key",
            actual=f"{request.answer_status()} at {at(request.answer)}",
            clause="§5.8 Get Configuration (Core)",
        )
    keys = request.answer.get("configurationKey", []) or []
    if not keys:
        return Verdict(
            FAILED,
            "GetConfiguration without keys was answered with no keys: §5.8 asks for all of them",
            "",
            ids(request),
            expected="GetConfiguration.conf listing all configuration keys",
            actual=f"an empty list at {at(request.answer)}",
            clause="§5.8 Get Configuration",
        )
    return Verdict(
        PASSED,
        f"GetConfiguration listed {len(keys)} keys",
        f"Configuration ({len(keys)})",
        ids(request),
        expected="the complete list of configuration keys",
        actual=f"{len(keys)} keys at {at(request.answer)}",
        steps=[step("GetConfiguration() answered with every key", request)],
    )


async def drive(run: CaseRun) -> None:
    await run.command("GetConfiguration", {})  # the run keeps the configuration it answers
