"""Item 11 of the test script, Charging cable connection status: its data (CASE) and its
rule (judge). OCPP 1.6 §4.9 Status Notification, §9.1.6 ConnectionTimeOut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, seconds, step
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


def _latest(s: Scope, timeout: int) -> float:
    """The latest a timeout may show, counted from the card's authorization or the
    plug-in: ConnectionTimeOut with the lab's tolerance, and the MinimumStatusDuration
    a status may be held back (§9.1.20). A card's session still Preparing after it
    was never cancelled (§9.1.6)."""
    return timeout * (1 + s.opt("interval_tolerance")) + s.opt("interval_slack") + s.state.minimum_status_duration()


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


def _overdue(s: Scope, card, preparing, back, timeout: int) -> bool:
    """Card first: whether the connector demonstrably stayed Preparing past the latest
    a timeout may show. Its leaving is timed by the status's own timestamp (a status
    queued offline is not late); still Preparing needs the charger heard from after
    that (alive, not silently away). An outage or a reboot (a boot, a Reset or firmware
    update of ours) since the card ends the question: a charger that went away may have
    timed out unheard, and a reboot ends what was pending."""
    since, latest = card.answer.ts, _latest(s, timeout)
    if back is not None:
        if (s.state.happened(back) - since).total_seconds() <= latest:
            return False
        until = back.ts
    else:
        alive = next(
            (
                r
                for r in s.log.window(preparing.seq)
                if r.direction == "in" and s.connected_seconds(since, r.ts) > latest
            ),
            None,
        )
        if alive is None:
            return False
        until = alive.ts
    if any(start < until and (end is None or end > since) for start, end in s.outages()):
        return False
    reboots = [
        *s.log.calls("BootNotification", "in"),
        *s.log.calls("Reset", "out"),
        *s.log.calls("UpdateFirmware", "out"),
    ]
    return not any(since < r.ts <= until for r in reboots)


def _never_cancelled(s: Scope, card, preparing, back, timeout: int) -> Verdict:
    """Card first, no cable, and the connector still Preparing well after
    ConnectionTimeOut: the incipient transaction was never cancelled (§9.1.6)."""
    connector = preparing.get("connectorId")
    since = card.answer.ts
    latest = _latest(s, timeout)
    if back is None:
        seen = f"still Preparing {s.connected_seconds(since, s.now):.0f} s after the card's authorization"
        actual = f"card accepted at {at(card)}, Preparing at {at(preparing)}, no other status since"
    else:
        seen = (
            f"Preparing until {back.get('status')} {s.connected_seconds(since, back.ts):.0f} s after the card's "
            "authorization"
        )
        actual = f"card accepted at {at(card)}, Preparing at {at(preparing)}, {back.get('status')} at {at(back)}"
    return Verdict(
        FAILED,
        f"Connector {connector}, {CARD} (card first, OCTT TC_004_2_CS): {seen}, with ConnectionTimeOut {timeout} s; "
        "§9.1.6 asks the charger to cancel the incipient transaction and go back to Available",
        "",
        ids(card, preparing, back),
        expected=f"Available within ConnectionTimeOut ({timeout} s; {latest:.0f} s with the lab's tolerance)",
        actual=actual,
        clause="§9.1.6 ConnectionTimeOut",
        steps=_steps(CARD, card, preparing, None),
    )


def _passed(s: Scope, path: str, card, preparing, back, waited: float, timeout: int) -> Verdict:
    connector = preparing.get("connectorId")
    origin = "the card's authorization (§9.1.6)" if path == CARD else "the plug-in"
    tested = "card first (§9.1.6, OCTT TC_004_2_CS)" if path == CARD else "cable first (the test script's way)"
    return Verdict(
        PASSED,
        f"Connector {connector}, {path}, {tested}: {back.get('status')} {waited:.0f} s after {origin} "
        f"(ConnectionTimeOut {timeout} s, §4.9). OCPP 1.6 has no 'Occupied': Preparing is its waiting state.",
        "ok",
        ids(*(r for r in (card, preparing, back) if r is not None)),
        {f"{'Authorize' if path == CARD else 'Preparing'}→timeout": waited},
        expected=f"back to Available (or Finishing, §4.9 B6) once ConnectionTimeOut ({timeout} s) passed",
        actual=(f"card accepted at {at(card)}, " if card else "")
        + f"Preparing at {at(preparing)}, {back.get('status')} at {at(back)}",
        steps=_steps(path, card, preparing, back),
    )


def judge(s: Scope) -> Verdict:
    """Card first (§9.1.6, OCTT TC_004_2_CS) passes on a timeout in time and fails
    on a card's session never cancelled; cable first (the test script's way)
    passes on a timeout and never fails without one: a plugged cable may wait
    for a card. A failure outweighs a pass."""
    notes, waiting_on, passed = [], None, None
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
        if any(
            preparing.ts <= st.ts and (back is None or st.ts <= back.ts) and st.get("connectorId") == connector
            for st in s.state.started()
        ):
            continue  # a transaction ran: item 6's or 7's, not a timeout
        if path == CARD and timeout and _overdue(s, card, preparing, back, timeout):
            return _never_cancelled(s, card, preparing, back, timeout)
        if back is None:
            waiting_on = (path, since, card, preparing, timeout)
            continue
        waited = seconds(since, s.state.happened(back))  # by its own time: a status may wait offline (§3.7)
        if back.get("status") not in ("Available", "Finishing"):  # §4.9 B1, B6
            continue
        if timeout is None or waited + s.opt("interval_slack") < timeout:
            notes.append(
                f"{path} on connector {connector}: back to {back.get('status')} after {waited:.0f} s, before "
                f"ConnectionTimeOut ({timeout if timeout is not None else 'unknown'} s)"
                + (": unplugged by hand?" if path == CABLE else "")
            )
            continue
        if waited > _latest(s, timeout):
            notes.append(
                f"{path} on connector {connector}: back to {back.get('status')} after {waited:.0f} s, long after "
                f"ConnectionTimeOut ({timeout} s): unplugged by hand, no timeout seen"
            )
            continue
        passed = passed or _passed(s, path, card, preparing, back, waited, timeout)
    if passed is not None:
        return passed
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
            waiting["deadline"] = s.deadline(since, _latest(s, timeout) if path == CARD else timeout)
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
    """Card first, as §9.1.6 and OCTT TC_004_2_CS: ConnectionTimeOut set (longer than
    MinimumStatusDuration, so Preparing is reported, §9.1.20), the card presented at an
    idle connector, no cable; Preparing, then Available once the timeout passed.
    Cable first (the test script's way) is judged when it happens, never driven: a
    charger may keep a plugged cable waiting for a card."""
    held = _int(run.config.get("MinimumStatusDuration"))
    timeout = await run.configure("ConnectionTimeOut", least=held + run.options.interval if held else 0)
    timeout = timeout or _int(run.config.get("ConnectionTimeOut")) or 60
    one = await _idle_connector(run)
    if one is None:
        return
    mark = run.tail.seq
    run.notes.append(f"card first on connector {one}: card {run.options.id_tag}, no cable")
    await run.step("swipe", one, id_tag=run.options.id_tag)
    await run.wait(
        f"Preparing on connector {one} (card presented, no cable)",
        lambda: run.tail.status_since(mark, one, lambda s, e: s == "Preparing"),
    )
    back = await run.wait(
        f"connector {one} back to Available after ConnectionTimeOut ({timeout} s)",
        lambda: run.tail.status_since(mark, one, lambda s, e: s not in ("Preparing", "")),
        timeout * 2 + held + 5,  # past the judge's tolerance (1.5 x the timeout, 2 s, MinimumStatusDuration)
    )
    if not back:
        # Still Preparing counts only from a charger heard from since (not silently away):
        # a Core request whose answer says so, and what ConnectionTimeOut reads.
        await run.command("GetConfiguration", {"key": ["ConnectionTimeOut"]})


def _idle(run: CaseRun) -> int | None:
    busy = run.tail.busy()
    return next((c for c in run.connectors if c not in busy and run.tail.status(c) in ("Available", "")), None)


async def _idle_connector(run: CaseRun) -> int | None:
    """An idle connector for the card (a card at a busy one would stop its
    transaction): one Available; else the run's own transaction left running on the
    last connector is ended (RemoteStopTransaction, then the unplug), as an engineer
    at the bench would; else the first freed within the step timeout."""
    if (found := _idle(run)) is not None:
        return found
    one = run.connectors[-1]
    tx = run.tail.transactions.get(one)
    if tx is not None:
        await run.stop_remotely(one, tx)
    else:
        found = await run.wait("an idle connector (Available)", lambda: _idle(run))
        if isinstance(found, int):
            return found
        if run.tail.status(one) not in ("Available", ""):  # Finishing: the driver has not left
            await run.step("unplug", one)
    if not await run.wait(f"connector {one} idle (Available)", lambda: run.tail.status(one) in ("Available", "")):
        run.notes.append(f"no idle connector for the card: connector {one} is {run.tail.status(one) or 'unknown'}")
        return None
    return one


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0
