"""Item 3 of the test script, Change availability: its data (CASE) and its rule (judge).
OCPP 1.6 §5.2 Change Availability, §4.9 Status Notification."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from chargers.frames.reader import Record
from chargers.protocol.v16.state import CHARGING_STATES, OPERATIVE_STATES

from ...judging.scope import Scope
from ...judging.verdict import (
    FAILED,
    OPEN,
    PASSED,
    Verdict,
    at,
    connectors,
    ids,
    step,
)
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="3",
    number=3,
    title="Change availability",
    criteria=(
        "After sending ChangeAvailability with type Operative, the status must change to Available.",
        "After sending ChangeAvailability with type Inoperative, the status must change to Unavailable.",
        "This availability must be reflected by receiving a StatusNotification message (per socket)",
        "Receive a (not empty) StatusNotification message per connector (including connector 0), containing: "
        "If not in error: status with Available, Preparing, Charging, SuspendedEV, SuspendedEVSE, Finishing, "
        "Reserved, Unavailable or Faulted; If in error: error details (errorCode)",
    ),
    commands=(
        Command("Inoperative", "ChangeAvailability", {"connectorId": "{connector}", "type": "Inoperative"}),
        Command("Operative", "ChangeAvailability", {"connectorId": "{connector}", "type": "Operative"}),
    ),
    clauses=("5.2 Change Availability", "4.9 Status Notification"),
    panel=frozenset({"per_connector"}),
    octt=("TC_013", "TC_014", "TC_034"),
)


def _wanted(kind: str) -> Callable[[str], bool]:
    if kind == "Inoperative":
        return lambda status: status == "Unavailable"
    return lambda status: status in OPERATIVE_STATES


def _left(s: Scope, target: int, stop: Record) -> Record | None:
    """The connector's first status after its transaction ended that is neither a charging
    state nor Finishing: the driver has left (§4.9), and a scheduled change applies (§5.2)."""
    since = s.state.happened(stop)
    for record in s.state.statuses(target):
        if record.ts >= since and record.get("status") not in CHARGING_STATES | {"Finishing"}:
            return record
    return None


def _due(s: Scope, command: Record, target: int) -> tuple[datetime | None, str]:
    """When the change is due on a connector, and why not yet (None: not yet due).
    Accepted: at once. Scheduled: once its transaction ended and its driver left; a
    connector idle under a Scheduled change of connector 0 MAY change at once (§5.2)."""
    if command.answer_status() == "Accepted":
        return command.answer.ts, ""
    start = s.state.running(target, command.answer.ts)
    if start is None:
        return command.answer.ts, ""
    stop = next((r for r in s.state.stops() if r.get("transactionId") == start.answer.get("transactionId")), None)
    if stop is None:
        return None, f"awaiting the end of the transaction on connector {target}"
    left = _left(s, target, stop)
    if left is None:
        return None, f"awaiting the driver to leave connector {target} (Finishing, then the unplug)"
    return left.ts, ""


def _shown(s: Scope, target: int, since: datetime, want, limit: float) -> tuple[Record | None, datetime]:
    """The first wanted status of a connector from a moment within `limit` s of connected time,
    and the moment the limit counts from: a Faulted connector shows the change once the fault
    clears (§4.9: Faulted is inoperative already)."""
    due = since
    faulted = s.state.status_at(target, since) == "Faulted"
    for record in s.state.statuses(target, s.lo, s.hi):
        if record.ts < since:
            continue
        if want(record.get("status")) and s.connected_seconds(due, record.ts) <= limit:
            return record, due
        if record.get("status") == "Faulted":
            faulted = True
        elif faulted:
            faulted, due = False, record.ts
            if want(record.get("status")):
                return record, due
    return None, (s.now if faulted else due)


def judge(s: Scope) -> Verdict:
    timeout = s.opt("effect_timeout")
    minimum = s.state.minimum_status_duration()
    limit = timeout + minimum
    count = s.state.connector_count()
    evidence: list[int] = []
    shown = {"Inoperative": None, "Operative": None}
    # The statuses each shown command caused: the command that changed a status is
    # the one cited, not a later one that found the connector already there (§5.2).
    caused: dict[str, list] = {"Inoperative": [], "Operative": []}
    notes: list[str] = []
    waiting: dict = {}
    commands = [c for c in s.calls("ChangeAvailability", "out") if c.answer is not None]
    for index, command in enumerate(commands):
        status, kind, connector = command.answer_status(), command.get("type"), command.get("connectorId")
        if status not in ("Accepted", "Scheduled"):
            # Rejected: the change is not possible, e.g. no such connector (§5.2).
            notes.append(f"ChangeAvailability {kind} on connector {connector} answered {status}")
            evidence += ids(command)
            continue
        targets = list(range(1, count + 1)) if connector == 0 and count else [connector]
        busy = [t for t in targets if s.state.running(t, command.answer.ts) is not None]
        if status == "Accepted" and busy:
            return Verdict(
                FAILED,
                f"ChangeAvailability {kind} answered Accepted while a transaction ran on connector {busy[0]}: "
                "§5.2 asks Scheduled, the change to follow the transaction",
                "",
                ids(command, s.state.running(busy[0], command.answer.ts)),
                expected="Scheduled while a transaction is in progress",
                actual=f"Accepted at {at(command.answer)}",
                clause="§5.2 Change Availability",
            )
        want = _wanted(kind)
        follows = []
        for target in targets:
            later = [c for c in commands[index + 1 :] if c.get("connectorId") in (target, 0)]
            since, why = _due(s, command, target)
            if later and (since is None or later[0].ts < since):
                notes.append(f"ChangeAvailability {kind} {status} was replaced by a later one before it applied")
                follows = []
                break
            if since is None:
                notes.append(f"ChangeAvailability {kind} Scheduled: {why}")
                follows = []
                break
            if status == "Accepted" and want(s.state.status_at(target, command.ts)):
                # Already in that state: Accepted, and no new status is due (§5.2).
                follows.append((target, None))
                continue
            follow, due = _shown(s, target, since, want, limit)
            if follow is None:
                undone = later[0].ts if later else None
                if undone is not None and s.connected_seconds(due, undone) <= minimum + s.opt("interval_slack"):
                    # Undone sooner than MinimumStatusDuration: the charger MAY leave it unreported (§4.9).
                    notes.append(f"ChangeAvailability {kind} was undone before connector {target} had to report it")
                    follows = []
                    break
                if s.expired(due, limit):
                    expected = "Unavailable" if kind == "Inoperative" else "Available"
                    return Verdict(
                        FAILED,
                        f"No StatusNotification {expected} for connector {target} within {limit} s of "
                        f"ChangeAvailability {kind} ({status})"
                        + (" taking effect" if due != command.answer.ts else ""),
                        "",
                        ids(command),
                        expected=f"StatusNotification {expected} for connector {target}",
                        actual=f"{status} at {at(command.answer)}, then no such status",
                        clause="§5.2 Change Availability, §4.9 Status Notification",
                    )
                waiting = waiting or {
                    "for": f"StatusNotification of connector {target}",
                    "deadline": s.deadline(due, limit),
                }
                follows = []
                break
            follows.append((target, follow))
        if follows and len(follows) == len(targets):
            changed = [f for _, f in follows if f is not None]
            if shown[kind] is None or (changed and not caused[kind]):
                shown[kind], caused[kind] = command, changed
            evidence += ids(command, *changed)
    steps = [step(f"ChangeAvailability {k} and its status", v, also=tuple(caused[k])) for k, v in shown.items()]
    reported = {r.get("connectorId") for r in s.state.statuses()}
    reported |= set(s.state.initial_statuses())
    missing = [c for c in range(0, count + 1) if c not in reported]
    todo = [k for k, v in shown.items() if v is None]
    note = f" ({'; '.join(notes)})" if notes else ""
    if todo:
        return Verdict(
            OPEN,
            f"Send ChangeAvailability {' and '.join(todo)} (per connector).{note}",
            "",
            evidence,
            steps=steps,
            waiting=waiting,
        )
    if missing:
        return Verdict(
            OPEN,
            f"Inoperative → Unavailable and Operative → Available shown, but no status for {connectors(missing)} "
            "yet: the test script asks a StatusNotification per connector including connector 0 (OCPP 1.6 does "
            "not require connector 0, §4.9: not failed); send ChangeAvailability or TriggerMessage for it." + note,
            "",
            evidence,
            steps=[*steps, step(f"A status of {connectors(missing)}")],
        )
    return Verdict(
        PASSED,
        f"Inoperative → Unavailable and Operative → Available; statuses for connectors 0..{count}{note}",
        "ok",
        evidence,
        expected="after Inoperative: Unavailable; after Operative: Available (per connector)",
        actual=f"Inoperative at {at(shown['Inoperative'])}, Operative at {at(shown['Operative'])}",
        steps=steps,
    )


async def drive(run: CaseRun) -> None:
    """Inoperative, then Operative, for the whole station (connector 0). Operative goes
    only once every connector reported Unavailable: a charger reports a status only once
    it lasted MinimumStatusDuration (§9.1.20), so an Operative sent at the first
    Unavailable (often connector 0's) may leave the others never reported. A connector
    that stays silent is waited for the step timeout, and at least that duration."""
    held = _int(run.config.get("MinimumStatusDuration"))
    await _change(run, "Inoperative", "Unavailable", lambda status: status == "Unavailable", held)
    await _change(run, "Operative", "Available", lambda status: status in OPERATIVE_STATES, held)


async def _change(run: CaseRun, kind: str, shown: str, wanted: Callable[[str], bool], held: int) -> None:
    mark, began = run.tail.seq, time.monotonic()
    await run.command("ChangeAvailability", {"connectorId": 0, "type": kind})

    def silent() -> list[int]:
        return [c for c in run.connectors if not run.tail.status_since(mark, c, lambda s, e: wanted(s))]

    await run.wait(
        f"{shown} on {connectors(run.connectors)}",
        lambda: not silent(),
        run.options.step_timeout + held,
    )
    if missing := silent():
        run.notes.append(f"ChangeAvailability {kind}: no {shown} from {connectors(missing)}")
        await run.pause(began + held - time.monotonic(), f"MinimumStatusDuration ({held} s) before the next change")


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0
