"""Item 7 of the test script, Stop charge transaction (both local notification and remote
trigger): its data (CASE) and its rule (judge). OCPP 1.6 §5.12 Remote Stop Transaction,
§4.10 Stop Transaction."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from chargers.frames.reader import Record
from chargers.protocol.v16.state import CHARGING_STATES, REBOOT_REASONS

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, seconds, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="7",
    number=7,
    title="Stop charge transaction (both local notification and remote trigger)",
    criteria=(
        "After sending RemoteStopTransaction (by using the transactionId) the transaction must stop, via a "
        "StopTransaction message, followed by several StatusNotification messages (according to OCPP 1.6)",
        "Local StopTransaction starts with receiving a StopTransaction and several StatusNotification messages "
        "(according to OCPP 1.6)",
        "When the charging cable is disconnected, a StopTransaction message must be received",
    ),
    manual="For the local stop, present the card {id_tag} again or press stop; then start again and unplug "
    "the cable while charging.",
    panel=frozenset({"cards"}),
    needs_card=True,
    commands=(Command("Remote stop", "RemoteStopTransaction", {"transactionId": "{transaction_id}"}),),
    clauses=("5.12 Remote Stop Transaction", "4.10 Stop Transaction"),
    octt=("TC_012", "TC_068", "TC_069", "TC_005_1", "TC_005_2", "TC_005_3", "TC_028"),
)


def judge(s: Scope) -> Verdict:
    timeout = s.opt("effect_timeout")
    minimum = s.state.minimum_status_duration()
    stops = s.state.stops(s.lo, s.hi)
    root_stops = s.state.stops()
    evidence: list[int] = []
    timings: dict = {}
    notes: list[str] = []
    seen: dict[str, Record | None] = {"remote": None, "local": None, "unplug": None}
    remote_ids = set()
    remote_of: dict = {}  # transactionId -> the accepted RemoteStopTransaction
    with_stop: dict[str, tuple] = {}  # the frames each stop's step names besides the StopTransaction
    for remote in s.calls("RemoteStopTransaction", "out"):
        if remote.answer is None:
            continue
        tx = remote.get("transactionId")
        if remote.answer_status() != "Accepted":
            # Rejected for a transaction that is not ongoing (§5.12).
            notes.append(f"RemoteStopTransaction {tx} answered {remote.answer_status()}")
            evidence += ids(remote)
            continue
        remote_ids.add(tx)
        remote_of.setdefault(tx, remote)
        # Its StopTransaction within the tolerance (of connected time): a stop later, for
        # another cause (the cable pulled), does not obey the command.
        stop = s.first_after(
            root_stops,
            remote.ts,
            lambda r, t=tx, a=remote.answer.ts: r.get("transactionId") == t and s.connected_seconds(a, r.ts) <= timeout,
        )
        if stop is not None and stop.get("reason", "Remote") != "Remote":
            # A stop it is, whatever the reason says; the reason is a finding (§5.12, §7.45 Remote).
            notes.append(f"transaction {tx} stopped remotely with reason {stop.get('reason')} (§7.45 says Remote)")
        if stop is None:
            if s.expired(remote.answer.ts, timeout):
                return Verdict(
                    FAILED,
                    f"No StopTransaction for {tx} within {timeout} s of the accepted RemoteStopTransaction",
                    "",
                    ids(remote),
                    expected=f"StopTransaction of transaction {tx}",
                    actual=f"Accepted at {at(remote.answer)}, no StopTransaction",
                    clause="§5.12 Remote Stop Transaction",
                )
            continue
        timings["RemoteStopTransaction→StopTransaction"] = seconds(remote.ts, stop.ts)
    # StopTransactionOnEVSideDisconnect is optional (errata 3.80): only when it is true is a stop on unplug due.
    on_unplug = s.state.config_bool("StopTransactionOnEVSideDisconnect")
    unplug_waived = on_unplug is not True
    for stop in stops:
        reason = stop.get("reason") or "Local"  # absent means Local (§6.49)
        tx = stop.get("transactionId")
        start = s.state.start_of(tx)
        connector = start.get("connectorId") if start else None
        if reason in REBOOT_REASONS or s.state.from_queue(stop, s.opt("interval_slack")) or connector is None:
            # After a reboot or from the offline queue, historical statuses are not due (§4.9).
            continue
        window = timedelta(seconds=timeout + minimum)
        own = [r for r in s.state.statuses(connector) if r.ts >= start.ts]
        charging = [r.ts for r in own if r.get("status") in CHARGING_STATES and r.ts <= stop.ts]
        # Finishing may come before the StopTransaction or after it: no order is mandated.
        since = max([stop.ts - window, *charging[-1:]])
        left = next(
            (
                r
                for r in own
                if r.get("status") not in CHARGING_STATES
                and since < r.ts
                and (r.ts <= stop.ts or s.connected_seconds(stop.ts, r.ts) <= timeout + minimum)
            ),
            None,
        )
        if left is None and minimum:
            # The next transaction began sooner than MinimumStatusDuration: the states between
            # MAY have gone unreported (§4.9).
            following = next(
                (st for st in s.state.started() if st.get("connectorId") == connector and st.ts > stop.ts), None
            )
            if following is not None and (s.state.happened(following) - s.state.happened(stop)).total_seconds() <= (
                2 * minimum + s.opt("interval_slack")
            ):
                notes.append(
                    f"connector {connector} began its next transaction within MinimumStatusDuration of stop {tx}: "
                    "the states between were too short to report (§4.9)"
                )
                continue
        if left is None:
            if s.expired(stop.ts, timeout + minimum) and s.state.connected_now():
                return Verdict(
                    FAILED,
                    f"Connector {connector} reported no status change within {timeout + minimum} s of "
                    f"StopTransaction {tx} ({reason})",
                    "",
                    ids(stop),
                    expected="a StatusNotification leaving Charging (Finishing or Available) around the stop",
                    actual=f"StopTransaction at {at(stop)}, no status change",
                    clause="test script item 7, 'followed by several StatusNotification messages' (§4.9)",
                )
            continue
        kind = "remote" if tx in remote_ids or reason == "Remote" else "unplug" if reason == "EVDisconnected" else ""
        if not kind and reason == "Local":
            kind = "local"
        if kind and seen[kind] is None:
            seen[kind] = stop
            with_stop[kind] = (remote_of.get(tx), left)
            evidence += ids(remote_of.get(tx), stop, left)
    steps = [
        step(
            "Remote stop: RemoteStopTransaction, StopTransaction, statuses",
            seen["remote"],
            also=with_stop.get("remote", ()),
        ),
        step("Local stop: card or button, StopTransaction, statuses", seen["local"], also=with_stop.get("local", ())),
        step(
            "Stop on unplug (EVDisconnected)",
            seen["unplug"],
            done=seen["unplug"] is not None or unplug_waived,
        ),
    ]
    missing = [x for x in steps if not x["done"]]
    note = f" ({'; '.join(notes)})" if notes else ""
    if unplug_waived and seen["unplug"] is None:
        note += (
            " (StopTransactionOnEVSideDisconnect is false, so unplugging does not stop: §4.10, §9.1.23)"
            if on_unplug is False
            else " (StopTransactionOnEVSideDisconnect not reported: the key is optional (errata 3.80), the "
            "charger's own default decides whether unplugging stops; not awaited)"
        )
    if not missing:
        return Verdict(
            PASSED,
            f"Remote and local stops, then statuses, and a stop on unplug{note}",
            "ok",
            evidence,
            timings,
            expected="StopTransaction after a remote stop, a local stop and an unplug, each with its statuses",
            actual=", ".join(f"{k} at {at(v)}" for k, v in seen.items() if v),
            steps=steps,
        )
    return Verdict(
        OPEN,
        "Awaiting " + "; ".join(m["label"] for m in missing) + "." + note,
        "",
        evidence,
        timings,
        steps=steps,
        waiting={"for": missing[0]["label"], "person": "" if "Remote" in missing[0]["label"] else missing[0]["label"]},
    )


async def drive(run: CaseRun) -> None:
    """Stops the transactions item 6 started: the remote one remotely, the local
    one with its own card (--local-id-tag); then a local start stopped by unplugging."""
    one, other, local = run.connectors[0], run.second, run.options.local_id_tag
    try:
        interval = int(run.config.get("MeterValueSampleInterval", "")) or run.options.interval
    except ValueError:
        interval = run.options.interval
    running = [run.tail.started[tx] for tx in run.tail.transactions.values() if tx in run.tail.started]
    if running and "8" in run.cases:  # item 8: one transaction with periodic samples of 2.5 intervals
        # The longest running (on one connector, item 6's local start: its remote one had to end first).
        first = min(running)
        await run.pause(first + interval * 2.5 - time.monotonic(), "letting periodic meter values come (item 8)")
    tx = run.tail.transactions.get(one)
    if tx and other != one:
        await run.stop_remotely(one, tx)
    tx = run.tail.transactions.get(other)
    if tx:
        await run.step("swipe", other, id_tag=local)  # a local stop, by the card that started it
        await run.transaction_ended(tx)
        await run.step("unplug", other)
        await run.freed(other)
    # A stop on unplug (EVDisconnected), by the next driver: not within a
    # second of the last one (a charger may still be settling the connector).
    await run.pause(3.0, "the next driver arrives")
    await run.plug(one)
    await run.step("swipe", one, id_tag=local)
    tx = await run.transaction_on(one)
    if tx:
        await run.pause(1.0, "charging a moment")
        await run.step("unplug", one)
        await run.transaction_ended(tx)
        await run.freed(one)
