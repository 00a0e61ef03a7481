"""Item 2 of the test script, Heartbeat (automatic): its data (CASE) and its rule (judge).
OCPP 1.6 §4.6 Heartbeat, §9.1.10 HeartbeatInterval."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chargers.frames.reader import CALL, GONE_EVENTS, Record
from chargers.protocol.v16.state import same_key

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, seconds, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="2",
    number=2,
    title="Heartbeat (automatic)",
    criteria=(
        "Receive OCPP command from CS i.e. heartbeat registered",
        "When CS is not providing heartbeat, send OCPP command to see heartbeat",
        "Provide TCPIP default heartbeat at least every 1 hour from CS (configurable under Set Configuration).",
    ),
    manual="Leave the charger idle for at least two heartbeat intervals.",
    commands=(
        Command("Set HeartbeatInterval", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
        Command("Trigger a Heartbeat", "TriggerMessage", {"requestedMessage": "Heartbeat"}),
    ),
    clauses=("4.6 Heartbeat", "9.1.10 HeartbeatInterval"),
    octt=("TC_001",),
)


def _silences(s: Scope, start: datetime, end: datetime | None) -> list[float]:
    """Seconds of silence while the charger was connected: from one OCPP exchange
    to the next. Any frame it sent is one: its own CALL, or its answer to ours
    (the interval is one of inactivity, "no OCPP exchanges", §9.1.10; our traffic
    MAY replace heartbeats, §4.6). A silence that ends with the connection going
    counts only up to `notice_time` before the server saw it go: the connection
    may have died that long before (noticed at a ping timeout, or only when the
    charger came back); without pings, not at all. A reconnection starts anew."""
    end = end or s.now
    notice = s.opt("notice_time")
    points = [(r.ts, r.seq, "msg") for r in s.log.window() if r.direction == "in" and start < r.ts <= end]
    for event in s.log.events:
        if start < event.ts <= end and (event.event == "connected" or event.event in GONE_EVENTS):
            points.append((event.ts, event.seq, "back" if event.event == "connected" else "gone"))
    points.sort(key=lambda p: p[1])
    gaps, last, connected = [], start, True
    for when, _, kind in points:
        if connected and kind == "msg":
            gaps.append(seconds(last, when))
        elif connected and kind == "gone" and notice is not None:
            gaps.append(max(seconds(last, when) - notice, 0.0))
        connected = kind != "gone" and (connected or kind == "back")
        last = when
    if connected and end == s.now and s.state.connected_now():
        gaps.append(seconds(last, s.now))
    return gaps


def _paced(s: Scope, beat: Record, interval: int) -> bool:
    """Whether a Heartbeat came about one interval of inactivity after the
    charger's previous exchange (or its connection), its previous CALL or its
    previous Heartbeat (a charger may count inactivity either way, §9.1.10)."""
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    low, high = interval * (1 - tolerance) - slack, interval * (1 + tolerance) + slack
    before = [
        s.log.before(beat.seq, lambda r: r.direction == "in" or r.event == "connected"),
        s.log.before(beat.seq, lambda r: r.direction == "in" and r.message_type == CALL),
        s.log.before(beat.seq, lambda r: r.direction == "in" and r.action == "Heartbeat" and r.message_type == CALL),
    ]
    return any(r is not None and low <= (beat.ts - r.ts).total_seconds() <= high for r in before)


def judge(s: Scope) -> Verdict:
    beats = [b for b in s.calls("Heartbeat", "in") if b.ok]
    steps = [step("Heartbeat received", beats[0] if beats else None)]
    evidence = ids(beats[0]) if beats else []
    notes = []
    triggered: set[int] = set()  # the Heartbeats our TriggerMessages asked for
    tolerance, slack = s.opt("interval_tolerance"), s.opt("interval_slack")
    for trigger in s.calls("TriggerMessage", "out"):
        if trigger.get("requestedMessage") != "Heartbeat" or trigger.answer is None:
            continue
        status = trigger.answer_status()
        if status != "Accepted":
            # Remote Trigger is optional (§3.3); NotImplemented and Rejected are legal (§5.17).
            notes.append(f"TriggerMessage Heartbeat answered {status} (legal: Remote Trigger is optional)")
            continue
        follow = s.first_after(beats, trigger.answer.ts)
        if follow is None:
            if s.expired(trigger.answer.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "TriggerMessage Heartbeat was accepted but no Heartbeat followed",
                    "",
                    ids(trigger),
                    expected=f"a Heartbeat within {s.opt('effect_timeout')} s of the accepted TriggerMessage",
                    actual=f"Accepted at {at(trigger.answer)}, no Heartbeat",
                    clause="test script item 2, 'send OCPP command to see heartbeat' (§5.17: SHOULD be sent)",
                )
            return Verdict(
                OPEN,
                "TriggerMessage Heartbeat accepted; awaiting the Heartbeat.",
                "",
                ids(trigger),
                steps=[*steps, step("Triggered Heartbeat", None)],
                waiting={
                    "for": "the triggered Heartbeat",
                    "deadline": s.deadline(trigger.answer.ts, s.opt("effect_timeout")),
                },
            )
        triggered.add(follow.id)
        evidence += ids(trigger, follow)
        steps.append(step("Triggered Heartbeat", follow))
    changes = [
        c
        for c in s.calls("ChangeConfiguration", "out")
        if same_key(c.get("key"), "HeartbeatInterval") and c.answer_status() == "Accepted"
    ]
    if changes:
        change = changes[-1]
        try:
            interval = int(float(change.get("value")))
        except (TypeError, ValueError):
            interval = 0
        when = change.answer.ts
        # Until the next boot: a boot hands out a new interval (§4.2), but it does
        # not excuse an interval ignored before it.
        boots = [b for b in s.root.calls("BootNotification", "in") if b.ts > when]
        end = boots[0].ts if boots else None
        after = [b for b in beats if b.ts > when and (end is None or b.ts < end)]
        limit = interval * (1 + tolerance) + slack
        # The first beat may still follow the old timer; from then on the new one rules.
        start = after[0].ts if after else when
        gaps = _silences(s, start, end)
        if interval > 0 and gaps and max(gaps) > limit * 2 + (0 if after else interval):
            return Verdict(
                FAILED,
                f"Heartbeats do not follow HeartbeatInterval {interval} s: {max(gaps):.0f} s without a message "
                "while connected",
                "",
                ids(change, *after[:2]),
                expected=f"a message at least every {interval} s of inactivity after the change was Accepted",
                actual=f"{max(gaps):.0f} s of silence",
                clause="test script item 2 (§9.1.10 HeartbeatInterval; §4.6 makes heartbeats optional over JSON)",
            )
        # A triggered Heartbeat, or two right after the change, show nothing of the interval:
        # untriggered ones, each about one interval after the charger's previous exchange.
        paced = [b for b in after if b.id not in triggered and interval > 0 and _paced(s, b, interval)]
        band = f"{interval} s ± {tolerance:.0%} + {slack} s"
        steps.append(step(f"HeartbeatInterval set to {interval} s", change))
        steps.append(step("Two untriggered Heartbeats at the new interval", paced[1] if len(paced) > 1 else None))
        if len(paced) < 2:
            return Verdict(
                OPEN,
                f"HeartbeatInterval set to {interval} s; awaiting two untriggered Heartbeats at that pace ({band} "
                "after the charger's previous message; leave the charger idle: other messages may replace "
                "heartbeats, §4.6)." + (f" {'; '.join(notes)}." if notes else ""),
                "",
                evidence + ids(change, *paced),
                steps=steps,
                waiting={"for": f"a Heartbeat after {interval} s of inactivity", "person": "leave the charger idle"},
            )
        return Verdict(
            PASSED,
            f"Heartbeats follow the new HeartbeatInterval of {interval} s: {len(paced)} untriggered, each {band} "
            "after the charger's previous message" + (f"; {'; '.join(notes)}" if notes else ""),
            f"ok, heartbeats every {interval} s",  # item 5's "heartbeat interval changed" is the change itself
            evidence + ids(change, *paced[:3]),
            {"HeartbeatInterval change→first Heartbeat": seconds(when, after[0].ts)},
            expected=f"Heartbeats, at most every {interval} s of inactivity",
            actual=f"untriggered Heartbeats at {at(paced[0])} and {at(paced[1])}",
            steps=steps,
        )
    if not beats:
        return Verdict(
            OPEN,
            "Awaiting a Heartbeat (or send TriggerMessage Heartbeat)." + (f" {'; '.join(notes)}." if notes else ""),
            "",
            evidence,
            steps=steps,
            waiting={"for": "a Heartbeat", "person": "leave the charger idle for a heartbeat interval"},
        )
    return Verdict(
        PASSED,
        f"{len(beats)} Heartbeat(s) registered" + (f"; {'; '.join(notes)}" if notes else ""),
        "ok",
        evidence,
        expected="Heartbeat.req from the charger",
        actual=f"first at {at(beats[0])}",
        steps=steps,
    )


async def drive(run: CaseRun) -> None:
    await run.configure("HeartbeatInterval")
    await run.command("TriggerMessage", {"requestedMessage": "Heartbeat"})
