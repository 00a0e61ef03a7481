"""Item 11 of the test script, Charging cable connection status: its data (CASE) and its
rule (judge). OCPP 1.6 §4.9 Status Notification, §9.1.6 ConnectionTimeOut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import OPEN, PASSED, Verdict, at, ids, seconds, step
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
    manual=(
        "Either way, then wait past ConnectionTimeOut. Card first (§9.1.6: the timeout runs from the "
        "authorization): present the card {id_tag} and do not plug in; the charger should cancel, its connector "
        "back to Available. Cable first (the test script's way): plug in and present no card; a charger may keep "
        "the cable waiting for a card, then try card first."
    ),
    commands=(Command("Set ConnectionTimeOut", "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "30"}),),
    clauses=("4.9 Status Notification", "9.1.6 ConnectionTimeOut"),
    octt=("TC_003", "TC_004_2", "TC_011_2", "TC_005_1"),
    needs_card=True,
)

# The two ways in, in the words the page and the report use for what was seen.
CARD, CABLE = "card presented, no cable", "cable in, no card"


def _accepted(record) -> bool:
    info = record.answer.get("idTagInfo") if record.answer is not None else None
    return isinstance(info, dict) and info.get("status") == "Accepted"


def _episodes(s: Scope) -> list[tuple]:
    """(path, since, card, preparing) in time order: each accepted card followed
    by no transaction (since: its answer) with the Preparing that came of it, and
    each other plug-in from Available (since: the Preparing)."""
    starts = s.state.started()
    cards = [c for c in s.calls("Authorize", "in") if _accepted(c)]
    lead = s.opt("effect_timeout")
    found = []
    for card in cards:
        if any(st.ts >= card.ts and seconds(card.ts, st.ts) <= lead + _timeout(s, card) for st in starts):
            continue  # the card started a transaction (item 6's local start)
        preparing = s.first_after(
            s.state.statuses(None, s.lo, s.hi),
            card.ts,
            lambda r, when=card.ts: r.get("status") == "Preparing" and seconds(when, r.ts) <= lead,
        )
        found.append((CARD, card.answer.ts, card, preparing))
    for preparing in s.state.statuses(None, s.lo, s.hi):
        if preparing.get("status") != "Preparing":
            continue
        if s.state.status_at(preparing.get("connectorId"), preparing.ts) not in ("Available", ""):
            continue
        if any(p is preparing for *_, p in found):
            continue  # the card path's own Preparing
        found.append((CABLE, preparing.ts, None, preparing))
    return sorted(found, key=lambda e: e[1])


def _timeout(s: Scope, record) -> int:
    return s.state.config_int("ConnectionTimeOut", record.ts) or 0


def _steps(path: str, card, preparing, back) -> list[dict]:
    if path == CARD:
        return [
            step("Card presented, no cable (Authorize Accepted)", card),
            step("Preparing: waiting for the cable", preparing),
            step("Timed out: back to Available, no transaction", back),
        ]
    return [
        step("Available → Preparing (cable in, no card)", preparing),
        step("Timed out: Finishing or Available", back),
    ]


def judge(s: Scope) -> Verdict:
    notes, waiting_on = [], None
    for path, since, card, preparing in _episodes(s):
        timeout = _timeout(s, card or preparing) or None
        if preparing is None:
            # The card was accepted and the charger showed nothing: nothing to time.
            if timeout and not s.expired(since, timeout + s.opt("effect_timeout")):
                waiting_on = (path, since, card, None, timeout)
            else:
                notes.append(
                    f"card presented at {at(card)} with no cable: no StatusNotification followed, so its "
                    "ConnectionTimeOut cannot be seen (set the verdict by hand if the charger cancelled)"
                )
            continue
        connector = preparing.get("connectorId")
        back = s.first_after(s.state.statuses(connector), preparing.ts, lambda r: r.get("status") != "Preparing")
        if back is None:
            waiting_on = (path, since, card, preparing, timeout)
            continue
        wanted = ("Available",) if path == CARD else ("Available", "Finishing")
        if back.get("status") not in wanted:
            continue
        if any(preparing.ts <= st.ts <= back.ts and st.get("connectorId") == connector for st in s.state.started()):
            continue  # a transaction ran: item 6's or 7's, not a timeout
        waited = seconds(since, back.ts)
        if timeout is None or waited + s.opt("interval_slack") < timeout:
            notes.append(
                f"{path} on connector {connector}: back to {back.get('status')} after {waited:.0f} s, before "
                f"ConnectionTimeOut ({timeout if timeout is not None else 'unknown'} s)"
                + (": unplugged by hand?" if path == CABLE else "")
            )
            continue
        latest = (
            timeout * (1 + s.opt("interval_tolerance")) + s.opt("interval_slack") + s.state.minimum_status_duration()
        )
        if waited > latest:
            notes.append(
                f"{path} on connector {connector}: back to {back.get('status')} after {waited:.0f} s, long after "
                f"ConnectionTimeOut ({timeout} s): "
                + ("unplugged by hand, no timeout seen" if path == CABLE else "no timeout seen")
            )
            continue
        origin = "the card's authorization (§9.1.6)" if path == CARD else "the plug-in"
        return Verdict(
            PASSED,
            f"Connector {connector}, {path}: {back.get('status')} {waited:.0f} s after {origin} "
            f"(ConnectionTimeOut {timeout} s, §4.9). OCPP 1.6 has no 'Occupied': Preparing is its waiting state.",
            "ok",
            ids(*(r for r in (card, preparing, back) if r is not None)),
            {f"{'Authorize' if path == CARD else 'Preparing'}→timeout": waited},
            expected=f"back to {' or '.join(wanted)} once ConnectionTimeOut ({timeout} s) passed",
            actual=(f"card accepted at {at(card)}, " if card else "")
            + f"Preparing at {at(preparing)}, {back.get('status')} at {at(back)}",
            steps=_steps(path, card, preparing, back),
        )
    note = f" ({'; '.join(notes)})" if notes else ""
    if waiting_on is not None:
        path, since, card, preparing, timeout = waiting_on
        where = f"connector {preparing.get('connectorId')}" if preparing is not None else "the charger"
        waiting = {
            "for": f"{where} to time out (ConnectionTimeOut {timeout or '?'} s from the "
            f"{'authorization' if path == CARD else 'plug-in'})",
            "person": "do not plug in" if path == CARD else "leave the cable plugged in and present no card",
        }
        if timeout:
            waiting["deadline"] = s.deadline(since, timeout + s.opt("effect_timeout"))
        extra = (
            "; a charger may keep a plugged cable waiting for a card (§9.1.6 starts the timer at the "
            "authorization): if nothing happens, unplug and try card first"
            if path == CABLE
            else ""
        )
        return Verdict(
            OPEN,
            f"Seen: {path}{f' on {where}' if preparing is not None else ''}; awaiting the ConnectionTimeOut "
            f"expiry{extra}.{note}",
            "",
            ids(*(r for r in (card, preparing) if r is not None)),
            steps=_steps(path, card, preparing, None),
            waiting=waiting,
        )
    return Verdict(
        OPEN,
        "Present the card without plugging in (card first, §9.1.6), or plug in without a card (cable first, "
        f"the test script), and wait past ConnectionTimeOut.{note}",
        steps=[step("Card presented with no cable, or cable in with no card"), step("Timed out")],
        waiting={
            "for": "a card with no cable, or a cable with no card",
            "person": "present the card without plugging in, or plug in without a card",
        },
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
