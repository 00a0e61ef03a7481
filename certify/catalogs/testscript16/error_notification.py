"""Item 10 of the test script, Any hardware related notifications or error conditions: its
data (CASE) and its rule (judge). OCPP 1.6 §4.9 Status Notification, §7.6
ChargePointErrorCode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import OPEN, PASSED, Verdict, at, ids, seconds, step
from .. import Case

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="10",
    number=10,
    title="Any hardware related notifications or error conditions",
    criteria=(
        "Create an error (e.g. disconnecting communication pin or power pin connection or create 3 phase "
        "imbalance supply), notifications to be represented in the StatusNotification messages.",
        "Error messages on connector 0 are from the Charging Station itself.",
    ),
    manual="Create a hardware error: interrupt the CP signal, open a phase or unbalance the supply; then restore it.",
    clauses=("4.9 Status Notification", "7.6 ChargePointErrorCode"),
    octt=("TC_041", "TC_024", "TC_030"),
)


def judge(s: Scope) -> Verdict:
    waiting = None
    for error in s.state.statuses(None, s.lo, s.hi):
        code = error.get("errorCode")
        if code in (None, "NoError"):
            continue
        connector = error.get("connectorId")
        # A warning (an error code with an operative status) counts as reported (§4.9).
        recovery = s.first_after(
            s.state.statuses(connector, s.lo, s.hi), error.ts, lambda r: r.get("errorCode") == "NoError"
        )
        where = "connector 0 (the station itself)" if connector == 0 else f"connector {connector}"
        info = f" ({error.get('info')})" if error.get("info") else ""
        if recovery is None:
            waiting = waiting or Verdict(
                OPEN,
                f"{code}{info} on {where}; awaiting its recovery (NoError).",
                "",
                ids(error),
                steps=[step("Error reported", error), step("Error cleared")],
                waiting={"for": f"NoError on {where}", "person": "restore the fault"},
            )
            continue
        return Verdict(
            PASSED,
            f"{code}{info} on {where} ({error.get('status')}), then recovered",
            f"Ok, {code} on {where}",
            ids(error, recovery),
            {"error→recovery": seconds(error.ts, recovery.ts)},
            expected="a StatusNotification with an errorCode, then NoError",
            actual=f"{code} at {at(error)}, NoError at {at(recovery)}",
            steps=[step("Error reported", error), step("Error cleared", recovery)],
        )
    return waiting or Verdict(
        OPEN,
        "Create a hardware error (e.g. interrupt the CP signal) and restore it.",
        steps=[step("Error reported"), step("Error cleared")],
        waiting={"for": "an error", "person": "create a hardware error, then restore it"},
    )


async def drive(run: CaseRun) -> None:
    mark = run.tail.seq
    await run.step("fault", 0, error_code=run.options.error_code)
    await run.wait(
        "a StatusNotification with the error",
        lambda: run.tail.status_since(mark, None, lambda s, e: s == "Faulted" or e not in ("", "NoError")),
    )
    mark = run.tail.seq
    await run.step("clear-fault", 0)
    await run.wait(
        "a StatusNotification clearing the error",
        lambda: run.tail.status_since(mark, None, lambda s, e: s != "Faulted" and e in ("", "NoError")),
    )
