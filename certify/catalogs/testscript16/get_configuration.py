"""Item 4 of the test script, Get configuration (list parameters that can be read): its
data (CASE) and its rule (judge). OCPP 1.6 §5.8 Get Configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargers.frames.reader import Record

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


def _known_elsewhere(s: Scope, request: Record) -> list[tuple[str, Record]]:
    """Keys the charger showed it has in other exchanges of the session: listed in its
    other GetConfiguration answers (the pre-flight read, keys asked by name) or changed
    with Accepted or RebootRequired."""
    known: dict[str, tuple[str, Record]] = {}
    for read in s.log.calls("GetConfiguration", "out"):
        if read is request or not read.ok:
            continue
        for entry in read.answer.get("configurationKey", []) or []:
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                known.setdefault(entry["key"].lower(), (entry["key"], read))
    for change in s.log.calls("ChangeConfiguration", "out"):
        if change.answer_status() in ("Accepted", "RebootRequired") and isinstance(change.get("key"), str):
            known.setdefault(change.get("key").lower(), (change.get("key"), change))
    return list(known.values())


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
    listed = {str(e.get("key")).lower() for e in keys if isinstance(e, dict)}
    missing = [key for key, _ in _known_elsewhere(s, request) if key.lower() not in listed]
    if missing:
        return Verdict(
            FAILED,
            f"GetConfiguration without keys listed {len(keys)} keys, not the complete list: it lacks "
            f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}, which the charger reports elsewhere "
            "(§5.8: all keys; keys compare without case, §7.17)",
            "",
            ids(request),
            expected="GetConfiguration.conf listing all configuration keys",
            actual=f"{len(keys)} keys at {at(request.answer)}, without {', '.join(missing[:5])}",
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
