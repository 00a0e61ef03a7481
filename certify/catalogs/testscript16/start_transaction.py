"""Item 6 of the test script, Start charge transaction (both local notification and remote
trigger): its data (CASE) and its rule (judge). OCPP 1.6 §5.11 Remote Start Transaction,
§4.1 Authorize, §4.8 Start Transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chargers.frames.reader import Record
from chargers.protocol.v16.state import CHARGING_STATES, same_tag

from ...judging.scope import Scope
from ...judging.verdict import FAILED, OPEN, PASSED, Verdict, at, ids, seconds, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="6",
    number=6,
    title="Start charge transaction (both local notification and remote trigger)",
    criteria=(
        "After sending RemoteStartTransaction the transaction must start, and a StartTransaction message "
        "(including transactionId) must be received, followed by several StatusNotification messages "
        "(according to OCPP 1.6)",
        "Local StartTransaction should start with an Authorize, which – if approved – must be followed by a "
        "StartTransaction and several StatusNotification messages (according to OCPP 1.6). If not approved the "
        "sequence must stop",
    ),
    manual="Plug the cable in. For the local start, present the accepted card {id_tag}; then present the "
    "refused card {refused_id_tag} (answered Invalid) and check that no transaction starts.",
    panel=frozenset({"cards"}),
    needs_card=True,
    commands=(Command("Remote start", "RemoteStartTransaction", {"connectorId": "{connector}", "idTag": "{id_tag}"}),),
    clauses=("5.11 Remote Start Transaction", "4.1 Authorize", "4.8 Start Transaction"),
    octt=("TC_003", "TC_004", "TC_010", "TC_011", "TC_023", "TC_026", "TC_027"),
)


def _charging_near(s: Scope, start: Record, timeout: float) -> Record | None:
    """A charging status of the start's connector, before or after the
    StartTransaction (no order is mandated between them)."""
    connector = start.get("connectorId")
    window = timedelta(seconds=timeout)
    for record in s.state.statuses(connector):
        if record.get("status") in CHARGING_STATES and start.ts - window <= record.ts <= start.ts + window:
            return record
    return None


def _refused(auth: Record) -> str:
    status = (auth.answer.get("idTagInfo") or {}).get("status") if auth.ok else ""
    return "" if status in ("Accepted", "ConcurrentTx", "", None) else status


def _refused_start(start: Record) -> str:
    """Our answer to a StartTransaction when it refused the card (the charger then stops it, §4.8)."""
    status = (start.answer.get("idTagInfo") or {}).get("status")
    return "" if status in ("Accepted", "ConcurrentTx", None) else str(status)


def _charged_without_transaction(s: Scope, since: datetime, wait: float) -> Record | None:
    """A connector that went Charging within `wait` s of a moment with no transaction
    started on it around then: energy delivered for a card we refused."""
    window = timedelta(seconds=s.opt("effect_timeout"))
    for record in s.state.statuses(lo=s.lo, hi=s.hi):
        if not since < record.ts <= since + timedelta(seconds=wait) or record.get("status") != "Charging":
            continue
        connector = record.get("connectorId")
        if s.state.running(connector, record.ts) is not None:
            continue
        # Charging MAY come before its StartTransaction (no order is mandated).
        coming = [st for st in s.state.started() if st.get("connectorId") == connector]
        if not any(record.ts <= st.ts <= record.ts + window for st in coming):
            return record
    return None


def judge(s: Scope) -> Verdict:
    timeout = s.opt("effect_timeout")
    evidence: list[int] = []
    timings: dict = {}
    notes: list[str] = []
    remote_ok = local_ok = refused_ok = None
    remote_with: tuple = ()  # the frames each start's step names besides its first
    local_with: tuple = ()
    remote_starts: set[int] = set()
    starts = s.state.started(s.lo, s.hi)
    remote_tags = set()
    for remote in s.calls("RemoteStartTransaction", "out"):
        if remote.answer is None:
            continue
        status = remote.answer_status()
        if status != "Accepted":
            # E.g. the connector is unavailable or occupied (§5.11, §7.39).
            notes.append(f"RemoteStartTransaction answered {status}")
            evidence += ids(remote)
            continue
        connector, tag = remote.get("connectorId"), remote.get("idTag")
        remote_tags.add(str(tag).lower())
        start = s.first_after(
            starts,
            remote.ts,
            lambda r, c=connector, t=tag: (c is None or r.get("connectorId") == c) and same_tag(r.get("idTag"), t),
        )
        if start is None:
            plugged = connector is not None and s.state.status_at(connector, remote.ts) == "Preparing"
            refused = next(
                (a for a in s.calls("Authorize", "in") if a.ts >= remote.ts and same_tag(a.get("idTag"), tag)), None
            )
            if refused is not None and _refused(refused):
                # AuthorizeRemoteTxRequests: the charger asked us, and we refused (§5.11): no start is right.
                notes.append(f"remote start of {tag} ended by our Authorize answer {_refused(refused)} (§5.11)")
                continue
            if plugged and s.expired(remote.answer.ts, timeout):
                return Verdict(
                    FAILED,
                    f"RemoteStartTransaction was Accepted with a cable plugged into connector {connector}, "
                    f"but no StartTransaction came within {timeout} s",
                    "",
                    ids(remote),
                    expected="StartTransaction after the accepted RemoteStartTransaction",
                    actual=f"Accepted at {at(remote.answer)}, no StartTransaction",
                    clause="§5.11 Remote Start Transaction",
                )
            continue
        remote_starts.add(start.id)
        charging = _charging_near(s, start, timeout)
        if charging is None:
            continue
        remote_ok, remote_with = remote, (start, charging)
        evidence += ids(remote, start, charging)
        timings["RemoteStartTransaction→StartTransaction"] = seconds(remote.ts, start.ts)
    authorize_remote = s.state.config_bool("AuthorizeRemoteTxRequests")
    for auth in s.calls("Authorize", "in"):
        if not auth.ok:
            continue
        tag = auth.get("idTag")
        later = [st for st in starts if st.ts >= auth.ts and same_tag(st.get("idTag"), tag)]
        start = later[0] if later else None
        refused = _refused(auth)
        if refused and str(tag).lower() in remote_tags and authorize_remote:
            continue  # the Authorize of a remote start, refused by us: judged with the remote start (§5.11)
        if refused:
            if start is not None and (start.ts - auth.ts).total_seconds() <= timeout:
                return Verdict(
                    FAILED,
                    f"StartTransaction followed Authorize of {tag}, which we answered {refused}: "
                    "the sequence must stop",
                    "",
                    ids(auth, start),
                    expected=f"no transaction for {tag} after Authorize {refused}",
                    actual=f"StartTransaction at {at(start)}",
                    clause="§4.1 Authorize, §4.8 Start Transaction",
                )
            charged = _charged_without_transaction(s, auth.answer.ts, timeout)
            if charged is not None:
                return Verdict(
                    FAILED,
                    f"Connector {charged.get('connectorId')} went Charging without a transaction after Authorize "
                    f"of {tag}, which we answered {refused}: energy was delivered for a refused card",
                    "",
                    ids(auth, charged),
                    expected=f"no energy for {tag} after Authorize {refused}",
                    actual=f"Charging at {at(charged)}, no StartTransaction",
                    clause="§4.1 Authorize, §4.8 Start Transaction",
                )
            # Shown once the charger stayed put for a while, or moved on to another card.
            moved_on = any(st.ts > auth.ts and not same_tag(st.get("idTag"), tag) for st in starts)
            if moved_on or s.expired(auth.answer.ts, s.opt("refusal_wait")):
                refused_ok = auth
                evidence += ids(auth)
            continue
        if start is None or start.id in remote_starts:
            continue
        if authorize_remote and str(tag).lower() in remote_tags:
            continue  # the Authorize of a remote start (§5.11): not a local start
        if _refused_start(start):
            notes.append(f"the start of {start.get('idTag')} we answered {_refused_start(start)} is no local start")
            continue
        charging = _charging_near(s, start, timeout)
        if charging is not None and local_ok is None:
            local_ok, local_with = auth, (start, charging)
            evidence += ids(auth, start, charging)
            timings["Authorize→StartTransaction"] = seconds(auth.ts, start.ts)
    if local_ok is None:
        # A card found in the cache or local list may start without Authorize (§4.1).
        for start in starts:
            if start.id in remote_starts or str(start.get("idTag")).lower() in remote_tags or _refused_start(start):
                continue
            if any(
                same_tag(a.get("idTag"), start.get("idTag")) and a.ts <= start.ts for a in s.calls("Authorize", "in")
            ):
                continue
            charging = _charging_near(s, start, timeout)
            if charging is not None:
                local_ok, local_with = start, (charging,)
                notes.append(f"local start of {start.get('idTag')} without Authorize (cache or local list, §4.1)")
                evidence += ids(start, charging)
                break
    card = s.options.get("id_tag", "")
    refused_card = s.options.get("refused_id_tag", "")
    steps = [
        step("Remote start: RemoteStartTransaction, StartTransaction, Charging", remote_ok, also=remote_with),
        step(f"Local start: card {card or 'accepted'}, StartTransaction, Charging", local_ok, also=local_with),
        step(
            f"Refused card {refused_card or ''}: Authorize answered Invalid, no transaction".replace("  ", " "),
            refused_ok,
        ),
    ]
    note = f" ({'; '.join(notes)})" if notes else ""
    if remote_ok and local_ok and refused_ok:
        return Verdict(
            PASSED,
            f"Remote and local starts (StartTransaction, Charging), and a refused card started nothing{note}",
            "ok",
            evidence,
            timings,
            expected="remote start, local start, refused card stops the sequence",
            actual=f"remote at {at(remote_ok)}, local at {at(local_ok)}, refused at {at(refused_ok)}",
            steps=steps,
        )
    todo = [s_["label"] for s_ in steps if not s_["done"]]
    return Verdict(
        OPEN,
        f"Awaiting: {'; '.join(todo)}.{note}",
        "",
        evidence,
        timings,
        steps=steps,
        waiting={"for": todo[0], "person": todo[0] if "card" in todo[0].lower() or "local" in todo[0].lower() else ""},
    )


async def drive(run: CaseRun) -> None:
    """The remote start with --id-tag, the local start with a second card
    (--local-id-tag: with AuthorizeRemoteTxRequests true the remote start's own
    Authorize is no local start, §5.11), the refused card before it."""
    one, other, ok, refused = run.connectors[0], run.second, run.options.id_tag, run.options.refused_id_tag
    local = run.options.local_id_tag
    if run.flag("AuthorizeRemoteTxRequests"):
        run.notes.append("AuthorizeRemoteTxRequests is true: the remote start is authorized first (§5.11)")
    await run.plug(one)
    await run.command("RemoteStartTransaction", {"connectorId": one, "idTag": ok})
    tx = await run.transaction_on(one)
    if other == one and tx:  # one connector: free it for the local start
        await run.stop_remotely(one, tx)
    await run.plug(other)
    mark = run.tail.seq
    await run.step("swipe", other, id_tag=refused)
    await run.wait(
        f"the refused card {refused} (Authorize answered Invalid)",
        lambda: run.tail.call_since(mark, "Authorize", lambda p, a: p.get("idTag") == refused),
    )
    await run.step("swipe", other, id_tag=local)
    await run.transaction_on(other)
