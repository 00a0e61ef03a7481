"""Item 3 of the test script, Change availability: its data (CASE) and its rule (judge).
OCPP 1.6 §5.2 Change Availability, §4.9 Status Notification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from chargers.protocol.v16.state import OPERATIVE_STATES

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


def judge(s: Scope) -> Verdict:
    timeout = s.opt("effect_timeout")
    minimum = s.state.minimum_status_duration()
    count = s.state.connector_count()
    evidence: list[int] = []
    shown = {"Inoperative": None, "Operative": None}
    # The statuses each shown command caused: the command that changed a status is
    # the one cited, not a later one that found the connector already there (§5.2).
    caused: dict[str, list] = {"Inoperative": [], "Operative": []}
    notes: list[str] = []
    commands = [c for c in s.calls("ChangeAvailability", "out") if c.answer is not None]
    for index, command in enumerate(commands):
        status, kind, connector = command.answer_status(), command.get("type"), command.get("connectorId")
        if status not in ("Accepted", "Scheduled"):
            # Rejected: the change is not possible, e.g. no such connector (§5.2; with a transaction: Scheduled).
            notes.append(f"ChangeAvailability {kind} on connector {connector} answered {status}")
            evidence += ids(command)
            continue
        targets = list(range(1, count + 1)) if connector == 0 and count else [connector]
        later = [c for c in commands[index + 1 :] if c.get("connectorId") in (connector, 0)]
        undone_at = later[0].ts if later else None
        since = command.ts
        if status == "Scheduled":
            # Applied when the running transaction ends (§5.2): judge from its stop.
            stop = s.first_after(s.state.stops(), command.ts)
            if stop is None:
                notes.append(f"ChangeAvailability {kind} Scheduled: awaiting the end of the transaction")
                continue
            since = stop.ts
        want = _wanted(kind)
        follows = []
        for target in targets:
            if status == "Accepted" and want(s.state.status_at(target, command.ts)):
                # Already in that state: Accepted, and no new status is due (§5.2).
                follows.append((target, None))
                continue
            follow = s.first_after(
                s.state.statuses(target, s.lo, s.hi),
                since,
                lambda r, want=want, since=since: (
                    want(r.get("status")) and r.ts - since <= timedelta(seconds=timeout + minimum)
                ),
            )
            if follow is None:
                if undone_at is not None and (undone_at - since).total_seconds() <= minimum + timeout:
                    # Undone before the charger had to report it (MinimumStatusDuration, §4.9).
                    notes.append(f"ChangeAvailability {kind} was undone before connector {target} had to report it")
                    follows = []
                    break
                if s.expired(since, timeout + minimum):
                    expected = "Unavailable" if kind == "Inoperative" else "Available"
                    return Verdict(
                        FAILED,
                        f"No StatusNotification {expected} for connector {target} within {timeout + minimum} s of "
                        f"ChangeAvailability {kind} ({status})",
                        "",
                        ids(command),
                        expected=f"StatusNotification {expected} for connector {target}",
                        actual=f"{status} at {at(command.answer)}, then no such status",
                        clause="§5.2 Change Availability, §4.9 Status Notification",
                    )
                return Verdict(
                    OPEN,
                    f"ChangeAvailability {kind} {status}; awaiting the status of connector {target}.",
                    "",
                    evidence + ids(command),
                    steps=[step(f"{k} shown", None, done=v is not None) for k, v in shown.items()],
                    waiting={
                        "for": f"StatusNotification of connector {target}",
                        "deadline": s.deadline(since, timeout + minimum),
                    },
                )
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
    waiting = [k for k, v in shown.items() if v is None]
    note = f" ({'; '.join(notes)})" if notes else ""
    if waiting:
        return Verdict(
            OPEN,
            f"Send ChangeAvailability {' and '.join(waiting)} (per connector).{note}",
            "",
            evidence,
            steps=steps,
        )
    extra = (
        f"; no status yet for {connectors(missing)}: the test script asks for every connector including 0, "
        "OCPP 1.6 does not require connector 0"
        if missing
        else f"; statuses for connectors 0..{count}"
    )
    return Verdict(
        PASSED,
        f"Inoperative → Unavailable and Operative → Available{extra}{note}",
        "ok",
        evidence,
        expected="after Inoperative: Unavailable; after Operative: Available (per connector)",
        actual=f"Inoperative at {at(shown['Inoperative'])}, Operative at {at(shown['Operative'])}",
        steps=steps,
    )


async def drive(run: CaseRun) -> None:
    mark = run.tail.seq
    await run.command("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    await run.wait("Unavailable", lambda: run.tail.status_since(mark, None, lambda s, e: s == "Unavailable"))
    mark = run.tail.seq
    await run.command("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    await run.wait("Available again", lambda: run.tail.status_since(mark, None, lambda s, e: s == "Available"))
