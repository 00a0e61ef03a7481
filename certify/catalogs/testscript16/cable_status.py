"""Item 11, Charging cable connection status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import (
    OPEN,
    PASSED,
    Verdict,
    at,
    ids,
    seconds,
    step,
)
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="11",
    number=11,
    title="Charging cable connection status",
    criteria=(
        "Status to be represented in the StatusNotification messages.",
        "When car is connected, the charging station changes from Available to Occupied and to Error "
        "(connection is timed out).",
    ),
    manual="Plug the cable in and wait longer than ConnectionTimeOut without starting a transaction.",
    commands=(Command("Set ConnectionTimeOut", "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "30"}),),
    clauses=("4.9 Status Notification", "9.1.6 ConnectionTimeOut"),
    octt=("TC_003", "TC_004_2", "TC_011_2", "TC_005_1"),
)


def judge(s: Scope) -> Verdict:
    starts = s.state.started()
    notes = []
    for preparing in s.state.statuses(None, s.lo, s.hi):
        if preparing.get("status") != "Preparing":
            continue
        connector = preparing.get("connectorId")
        if s.state.status_at(connector, preparing.ts) not in ("Available", ""):
            continue
        back = s.first_after(s.state.statuses(connector), preparing.ts, lambda r: r.get("status") != "Preparing")
        timeout = s.state.config_int("ConnectionTimeOut", preparing.ts)
        if back is None:
            waiting = {
                "for": f"connector {connector} to time out (ConnectionTimeOut {timeout or '?'} s)",
                "person": "leave the cable plugged in without starting",
            }
            if timeout:
                waiting["deadline"] = s.deadline(preparing.ts, timeout + s.opt("effect_timeout"))
            return Verdict(
                OPEN,
                f"Connector {connector} is Preparing; awaiting the ConnectionTimeOut expiry.",
                "",
                ids(preparing),
                steps=[
                    step("Available → Preparing (plugged in)", preparing),
                    step("Timed out: Finishing or Available"),
                ],
                waiting=waiting,
            )
        if back.get("status") not in ("Available", "Finishing"):
            continue
        if any(preparing.ts <= st.ts <= back.ts and st.get("connectorId") == connector for st in starts):
            continue
        waited = seconds(preparing.ts, back.ts)
        if timeout is None or waited + s.opt("interval_slack") < timeout:
            notes.append(
                f"connector {connector} went back to {back.get('status')} after {waited:.0f} s, before "
                f"ConnectionTimeOut ({timeout if timeout is not None else 'unknown'} s): unplugged by hand?"
            )
            continue
        latest = (
            timeout * (1 + s.opt("interval_tolerance")) + s.opt("interval_slack") + s.state.minimum_status_duration()
        )
        if waited > latest:
            notes.append(
                f"connector {connector} went back to {back.get('status')} after {waited:.0f} s, long after "
                f"ConnectionTimeOut ({timeout} s): unplugged by hand, no timeout seen"
            )
            continue
        return Verdict(
            PASSED,
            f"Connector {connector}: Available → Preparing, then {back.get('status')} after {waited:.0f} s "
            f"(ConnectionTimeOut {timeout} s, §4.9 B1/B6). OCPP 1.6 has no 'Occupied': Preparing is its "
            "plugged-in state.",
            "ok",
            ids(preparing, back),
            {"Preparing→timeout": waited},
            expected=f"Preparing, then Finishing or Available once ConnectionTimeOut ({timeout} s) passed",
            actual=f"Preparing at {at(preparing)}, {back.get('status')} at {at(back)}",
            steps=[
                step("Available → Preparing (plugged in)", preparing),
                step("Timed out: Finishing or Available", back),
            ],
        )
    note = f" ({'; '.join(notes)})" if notes else ""
    return Verdict(
        OPEN,
        f"Plug the cable in and wait past ConnectionTimeOut without starting.{note}",
        steps=[step("Available → Preparing (plugged in)"), step("Timed out: Finishing or Available")],
        waiting={"for": "a plug-in", "person": "plug the cable in and wait past ConnectionTimeOut"},
    )


async def drive(run: CaseRun) -> None:
    one = run.connectors[0]
    timeout = await run.configure("ConnectionTimeOut") or 60
    mark = run.tail.seq
    await run.step("plug", one)
    await run.wait(
        f"Preparing on connector {one}", lambda: run.tail.status_since(mark, one, lambda s, e: s == "Preparing")
    )
    mark = run.tail.seq
    await run.wait(
        f"connector {one} back to Available after ConnectionTimeOut ({timeout} s)",
        lambda: run.tail.status_since(mark, one, lambda s, e: s in ("Available", "Finishing")),
        timeout + run.options.step_timeout,
    )
    await run.step("unplug", one)
