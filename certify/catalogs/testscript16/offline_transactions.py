"""Item 16 of the test script, Get past charge transactions: its data (CASE) and its rule
(judge). OCPP 1.6 §3.7 Transaction-related messages, §4.8 Start Transaction, §4.10 Stop
Transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargers.frames.reader import Record

from ...judging.scope import Scope
from ...judging.verdict import OPEN, PASSED, Verdict, at, ids, step
from .. import Case

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="16",
    number=16,
    title="Get past charge transactions",
    criteria=(
        "When Charging Station reconnects, after being offline, the cached transactions must be sent to the "
        "server automatically",
    ),
    manual="Take the charger offline ('Take offline' below closes its socket and refuses its reconnects for "
    "N s), start and stop a transaction with the card {id_tag} while it is offline, then let it reconnect.",
    panel=frozenset({"offline_control", "cards"}),
    needs_card=True,
    clauses=("3.7 Transaction-related messages", "4.8 Start Transaction", "4.10 Stop Transaction"),
    octt=("TC_036", "TC_037", "TC_038", "TC_039"),
)


def judge(s: Scope) -> Verdict:
    queued: list[Record] = []
    for action in ("StartTransaction", "StopTransaction"):
        queued += [r for r in s.calls(action, "in") if r.ok and s.state.from_queue(r, s.opt("interval_slack"))]
    if queued:
        # The meter values of the offline period came from the queue too.
        queued += [r for r in s.calls("MeterValues", "in") if s.state.from_queue(r, s.opt("interval_slack"))]
    windows = [w for w in s.state.offline_windows() if s.lo < w[2].seq and (s.hi is None or w[2].seq <= s.hi)]
    first = min(queued, key=lambda r: r.seq) if queued else None
    # The outage the queued messages came from: the last reconnect before the first of them
    # (a later outage, after the item passed, is not its evidence).
    before = [w for w in windows if first is None or w[2].seq < first.seq]
    steps = [
        step("Offline, then back (the server saw the socket go and return)", before[-1][2] if before else None),
        step("Transaction messages of the offline period delivered after the reconnect", queued[0] if queued else None),
    ]
    stopped = [r for r in queued if r.action == "StopTransaction"]
    if queued and not stopped:
        # The script asks for the cached transactions: a start alone is half of one.
        return Verdict(
            OPEN,
            "The offline period's StartTransaction came after the reconnect; awaiting its StopTransaction from the "
            "queue (stop the transaction while offline).",
            "",
            ids(*queued),
            steps=steps,
            waiting={"for": "the queued StopTransaction", "person": "stop the transaction while offline"},
        )
    if queued and s.case is None:
        # Seen outside an attempt of this item: a pass needs a finished attempt of its own.
        return Verdict(
            OPEN,
            "Transaction messages of an offline period arrived after a reconnect, outside an attempt of this item: "
            "work it in an attempt (its panel's 'Take offline').",
            "",
            ids(*queued),
            steps=steps,
        )
    if not queued:
        return Verdict(
            OPEN,
            "Take the charger offline, start and stop a transaction while it is offline, let it reconnect.",
            steps=steps,
            waiting={
                "for": "transaction messages from the offline period",
                "person": "plug in, present the card, unplug while offline",
            },
        )
    queued.sort(key=lambda r: r.seq)
    actions = sorted({r.action for r in queued if r.action != "MeterValues"})
    skew = s.state.clock_offset().total_seconds()
    return Verdict(
        PASSED,
        f"{len(queued)} transaction message(s) from the offline period arrived after the reconnect "
        f"({', '.join(actions)}; charger clock offset {skew:+.0f} s)",
        "ok",
        ids(*queued),
        expected="StartTransaction/StopTransaction of the offline period, sent after the reconnect",
        actual=", ".join(f"{r.action} at {at(r)}" for r in queued[:4]),
        steps=steps,
    )


async def offline_card(run: CaseRun) -> str:
    """Make sure the charger accepts the card while offline, the way it offers;
    returns the note saying which."""
    tag = run.options.id_tag
    if run.flag("LocalAuthorizeOffline") is False:
        await run.command("ChangeConfiguration", {"key": "LocalAuthorizeOffline", "value": "true"})
    if "LocalAuthListManagement" in run.profiles() and run.flag("LocalAuthListEnabled") is not False:
        version = await run.command("GetLocalListVersion", {})
        number = max(0, int((version or {}).get("listVersion", 0) or 0)) + 1
        answer = await run.command(
            "SendLocalList",
            {
                "listVersion": number,
                "updateType": "Differential",
                "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": "Accepted"}}],
            },
        )
        if (answer or {}).get("status") == "Accepted":
            return f"card {tag} accepted offline from the local authorization list"
    if run.flag("AuthorizationCacheEnabled") and run.tail.call_since(
        0,
        "Authorize",
        lambda p, a: p.get("idTag") == tag and ((a or {}).get("idTagInfo") or {}).get("status") == "Accepted",
    ):
        return f"card {tag} accepted offline from the authorization cache"
    answer = await run.command("ChangeConfiguration", {"key": "AllowOfflineTxForUnknownId", "value": "true"})
    if (answer or {}).get("status") in ("Accepted", "RebootRequired"):
        return f"card {tag} accepted offline through AllowOfflineTxForUnknownId"
    return f"no way found to have card {tag} accepted offline"


async def drive(run: CaseRun) -> None:
    one, ok = run.connectors[0], run.options.id_tag
    run.notes.append(await offline_card(run))
    await run.wait("the charger connected", lambda: run.tail.connected)
    mark = run.tail.seq
    seconds = run.options.offline_seconds
    await run.take_offline(seconds)
    await run.wait("the socket closed", lambda: run.tail.event_since(mark, "disconnected"), 10)
    await run.step("plug", one)
    await run.step("swipe", one, id_tag=ok)
    await run.pause(min(5.0, seconds / 4), "charging offline a moment")
    await run.step("unplug", one)
    await run.wait(
        "the charger back online with its queued transaction messages",
        lambda: run.tail.event_since(mark, "connected"),
        seconds + run.options.step_timeout,
    )
