"""Item 9 of the test script, Reset CS (both hard and soft reset): its data (CASE) and its
rule (judge). OCPP 1.6 §5.14 Reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargers.frames.reader import Record

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, seconds, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="9",
    number=9,
    title="Reset CS (both hard and soft reset)",
    criteria=(
        "Hard reset (ResetType 0): Charging Station comes online after reset (BootNotification message, "
        "StatusNotification message, etc.)",
        "Soft reset (ResetType 1): Charging Station comes online after reset (BootNotification message, "
        "StatusNotification message, etc.)",
    ),
    commands=(
        Command("Hard reset", "Reset", {"type": "Hard"}),
        Command("Soft reset", "Reset", {"type": "Soft"}),
    ),
    clauses=("5.14 Reset",),
    octt=("TC_013", "TC_014", "TC_015", "TC_016"),
)


def _reboot(s: Scope, after: Record, taken: set[int]) -> tuple[Record | None, Record | None, Record | None]:
    """The reboot that follows a reset's answer: the charger's next connection
    (not one an earlier reset took), then its accepted BootNotification and a
    status. A BootNotification without a new connection (one we triggered) is
    no reboot."""
    connected = next(
        (e for e in s.log.events if e.event == "connected" and e.seq > after.seq and e.seq not in taken), None
    )
    if connected is None:
        return None, None, None
    later = next((e for e in s.log.events if e.event == "connected" and e.seq > connected.seq), None)
    boot = next(
        (
            b
            for b in s.log.calls("BootNotification", "in", connected.seq, later.seq if later else None)
            if b.ok and b.answer.get("status") == "Accepted"
        ),
        None,
    )
    status = next(iter(s.state.statuses(lo=boot.seq)), None) if boot else None
    return connected, boot, status


def judge(s: Scope) -> Verdict:
    done: dict[str, Record] = {}
    evidence: list[int] = []
    timings = {}
    notes = []
    waiting = {}
    taken: set[int] = set()
    for command in s.calls("Reset", "out"):
        if command.answer is None:
            continue
        kind = command.get("type")
        if command.answer_status() != "Accepted":
            notes.append(f"Reset {kind} answered {command.answer_status()} (legal, §7.41)")
            evidence += ids(command)
            continue
        # Each reset its own reboot, after its own Accepted (§5.14).
        connected, boot, status = _reboot(s, command.answer, taken)
        if connected is not None and boot is not None:
            taken.add(connected.seq)
        if status is None:
            if s.expired(command.answer.ts, s.opt("reboot_timeout"), wall=True):
                missing = "reconnection" if connected is None else "BootNotification" if boot is None else "status"
                return Verdict(
                    FAILED,
                    f"No reboot ({missing}) within {s.opt('reboot_timeout')} s of the accepted Reset {kind}"
                    + (" (each reset needs its own reboot)" if taken else ""),
                    "",
                    ids(command),
                    expected="a reboot: the connection anew, BootNotification and StatusNotification within "
                    f"{s.opt('reboot_timeout')} s",
                    actual=f"Accepted at {at(command.answer)}, no {missing}",
                    clause="§5.14 Reset",
                )
            waiting = {
                "for": f"the charger back after Reset {kind}",
                "deadline": s.deadline(command.answer.ts, s.opt("reboot_timeout")),
            }
            continue
        done.setdefault(kind, command)
        evidence += [*ids(command, boot, status), connected.id]
        timings[f"Reset {kind}→BootNotification"] = seconds(command.ts, boot.ts)
    steps = [step(f"Reset {k}: back online", done.get(k)) for k in ("Hard", "Soft")]
    note = f" ({'; '.join(notes)})" if notes else ""
    if "Hard" in done and "Soft" in done:
        return Verdict(
            PASSED,
            f"Hard and soft reset: back online with BootNotification and statuses{note}",
            "Both ok",
            evidence,
            timings,
            expected="after each Reset: BootNotification and StatusNotification",
            actual=", ".join(f"{k}: {v:.0f} s to BootNotification" for k, v in timings.items()),
            steps=steps,
        )
    todo = [k for k in ("Hard", "Soft") if k not in done]
    return Verdict(
        OPEN,
        f"Awaiting Reset {' and '.join(todo)} and the charger's return.{note}",
        "",
        evidence,
        timings,
        steps=steps,
        waiting=waiting,
    )


async def drive(run: CaseRun) -> None:
    """Each reset once every transaction ended (a reset would cut one short), the
    soft one only after the hard one's reboot was seen or its budget ran out."""
    for kind in ("Hard", "Soft"):
        await run.idle(f"Reset {kind}")
        for attempt in range(3):  # Rejected is a legal answer (§5.14, §7.41): try again later
            mark = run.tail.seq
            answer = await run.command("Reset", {"type": kind})
            if (answer or {}).get("status") != "Rejected":
                break
            await run.pause(5.0 * (attempt + 1), f"Reset {kind} rejected; trying again")
        if (answer or {}).get("status") == "Accepted":
            await run.reboot(mark)
    if run.reboot_required and "5" in run.cases:  # keys applied after the reboot: read them back (item 5)
        await run.other("5").command("GetConfiguration", {"key": sorted(run.reboot_required)})
