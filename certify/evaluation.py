"""Judging a session: each item's rule runs on every open attempt of the item
and on the whole session.

- A failure rests only on the frames of one of the item's own attempts
  (SessionFrames.scope): legal behaviour during other work never fails it.
- A pass may come from anywhere in the session, and then says where its
  evidence came from; wrong behaviour seen outside an attempt is a warning.
- The item's verdict is its latest finished attempt's, or a later pass seen
  elsewhere; every change is kept in the item's history with its cause.
- Items whose optional feature profile the charger lacks are Not supported
  (pre-flight), until an attempt shows otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from . import catalog, firmware, parsed_sessions
from .models import FAILED, FINAL_VERDICTS, NOT_SUPPORTED, OPEN, PASSED, Attempt, CertSession, ItemResult, SessionFile
from .verdicts import RULES, SessionFrames, Verdict

MAX_WARNINGS = 10


def tolerances() -> dict:
    """The lab's waits for effects (settings); a session's options override them."""
    return {
        "effect_timeout": settings.CERTIFY_EFFECT_TIMEOUT,
        "reboot_timeout": settings.CERTIFY_REBOOT_TIMEOUT,
        "diagnostics_timeout": settings.CERTIFY_DIAGNOSTICS_TIMEOUT,
    }


def session_frames(session: CertSession) -> SessionFrames:
    """The session's frames parsed, extending what was parsed before; kept for
    the next time (certify.parsed_sessions) only while the session can still
    change: open, its charger connected."""
    key = (session.start_seq, session.started_at)
    frames = parsed_sessions.get(session.pk, key)
    if frames is None:
        frames = SessionFrames(session.options)
    frames.options.update({**tolerances(), **(session.options or {})})
    if session.charger_id is not None:
        newer = session.frames().filter(seq__gt=max(frames.last_seq, session.start_seq))
        frames.extend(
            newer.values("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "sent_by")
        )
    if not session.is_signed and session.charger_id is not None and session.charger.connected:
        parsed_sessions.put(session.pk, session.charger_id, key, frames)
    else:
        parsed_sessions.drop(session.pk)
    frames.files = [
        {"id": f.pk, "kind": f.kind, "name": f.name, "size": f.size, "created_at": f.created_at}
        for f in SessionFile.objects.filter(session=session)
    ]
    frames.now = datetime.now(UTC)
    return frames


def evaluate_session(session: CertSession) -> list[ItemResult]:
    """Judge every item and store the automatic verdicts; overrides are
    untouched, and a signed session never changes."""
    results = {r.case: r for r in session.items.all()}
    if session.is_signed:
        return sorted(results.values(), key=lambda r: r.number)
    frames = session_frames(session)
    attempts: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in session.attempts.all():
        attempts[attempt.case].append(attempt)
    options = session.options or {}
    unsupported = options.get("not_supported") or options.get("not_applicable") or {}
    for item in catalog.items(session.catalog):
        result = results.get(item.key) or ItemResult(session=session, case=item.key, number=item.number)
        rule = RULES[item.rule]
        for attempt in attempts[item.key]:
            if attempt.is_open:
                _judge_attempt(frames, rule, attempt)
        whole = rule(frames.scope())
        verdict, source, origin = _choose(frames, item.key, attempts[item.key], whole)
        if verdict.status == OPEN and item.key in unsupported:
            verdict = Verdict(
                NOT_SUPPORTED,
                unsupported[item.key],
                f"Not supported by {frames.vendor()}",
                steps=verdict.steps,
            )
        _store(result, verdict, source, origin, whole if whole.status == FAILED else None)
        results[item.key] = result
    _refresh_facts(session)
    firmware.record(session)
    return sorted(results.values(), key=lambda r: r.number)


def _judge_attempt(frames: SessionFrames, rule, attempt: Attempt) -> None:
    verdict = rule(frames.scope(attempt.start_seq, None, attempt.case))
    fields = {
        "reason": verdict.reason[:500],
        "remark": verdict.remark[:200],
        "expected": verdict.expected,
        "actual": verdict.actual,
        "clause": verdict.clause[:120],
        "evidence": verdict.evidence,
        "timings": verdict.timings,
        "steps": verdict.steps,
    }
    if verdict.final:
        scope = frames.scope(attempt.start_seq, None, attempt.case)
        own = [r.unique_id for r in scope.window() if r.direction == "out" and r.message_type == 2 and scope._mine(r)]
        fields |= {"verdict": verdict.status, "ended_at": timezone.now(), "end_seq": frames.last_seq, "commands": own}
    changed = [name for name, value in fields.items() if getattr(attempt, name) != value]
    if changed:
        for name in changed:
            setattr(attempt, name, fields[name])
        attempt.save(update_fields=changed)
    attempt.live = verdict  # the open attempt's steps and waiting, for this evaluation


def _evidence_time(frames: SessionFrames, verdict: Verdict) -> datetime:
    stamps = [frames.by_id[i].ts for i in verdict.evidence if i in frames.by_id]
    return max(stamps) if stamps else frames.now


def _source(frames: SessionFrames, key: str, verdict: Verdict) -> str:
    """Where a pass seen outside an attempt came from, in words."""
    records = sorted((frames.by_id[i] for i in verdict.evidence if i in frames.by_id), key=lambda r: r.seq)
    ours = [r for r in records if r.direction == "out" and r.message_type == 2]
    if ours:
        first = ours[0]
        if first.case and first.case != key:
            return f"from item {first.case}'s {first.action} at {first.ts:%H:%M:%S}"
        who = first.sender or "the session"
        return f"from {first.action} sent by {who} at {first.ts:%H:%M:%S}"
    if records:
        return f"from frames seen at {records[0].ts:%H:%M:%S} (#{records[0].seq}), outside an attempt"
    return ""


def _choose(
    frames: SessionFrames, key: str, attempts: list[Attempt], whole: Verdict
) -> tuple[Verdict, str, Attempt | None]:
    """The verdict that stands: (verdict, where a pass came from, its attempt)."""
    finished = [a for a in attempts if a.verdict in FINAL_VERDICTS]
    latest = max(finished, key=lambda a: a.ended_at) if finished else None
    elsewhere = whole.status in FINAL_VERDICTS and whole.status != FAILED
    if latest is not None and (
        latest.verdict == PASSED or not elsewhere or _evidence_time(frames, whole) <= latest.ended_at
    ):
        return _from_attempt(latest), "", latest
    if elsewhere:
        return whole, _source(frames, key, whole), None
    current = next((a for a in reversed(attempts) if a.is_open), None)
    if current is not None and getattr(current, "live", None) is not None:
        return current.live, "", current
    if whole.status == FAILED:
        return (
            Verdict(OPEN, "Start the item to judge it: what was seen outside an attempt is only a warning."),
            "",
            None,
        )
    return whole, "", None


def _from_attempt(attempt: Attempt) -> Verdict:
    return Verdict(
        attempt.verdict,
        attempt.reason,
        attempt.remark,
        list(attempt.evidence or []),
        dict(attempt.timings or {}),
        expected=attempt.expected,
        actual=attempt.actual,
        clause=attempt.clause,
        steps=list(attempt.steps or []),
    )


def _store(result: ItemResult, verdict: Verdict, source: str, origin: Attempt | None, warning: Verdict | None) -> None:
    now = timezone.now()
    warnings = list(result.warnings or [])
    if warning is not None and not (origin is not None and origin.reason == warning.reason):
        if all(w.get("reason") != warning.reason for w in warnings):
            warnings = [
                *warnings,
                {"reason": warning.reason[:500], "evidence": warning.evidence, "at": now.isoformat()},
            ][-MAX_WARNINGS:]
    history = list(result.history or [])
    if result.pk is not None and result.auto_verdict != verdict.status:
        cause = f"attempt {origin.n}: {verdict.reason}" if origin is not None else verdict.reason
        if source:
            cause = f"{verdict.reason} ({source})"
        history.append({"at": now.isoformat(), "from": result.auto_verdict, "to": verdict.status, "cause": cause[:500]})
    remark = "; ".join(filter(None, [verdict.remark, *(result.notes or [])])) if verdict.final else verdict.remark
    fields = {
        "auto_verdict": verdict.status,
        "auto_reason": verdict.reason[:500],
        "remark": remark[:200],
        "evidence": verdict.evidence,
        "timings": verdict.timings,
        "expected": verdict.expected,
        "actual": verdict.actual,
        "clause": verdict.clause[:120],
        "source": source[:200],
        "warnings": warnings,
        "history": history,
        "steps": verdict.steps,
        "waiting": verdict.waiting,
    }
    changed = [name for name, value in fields.items() if getattr(result, name) != value]
    if result.pk is None or changed:
        for name in changed:
            setattr(result, name, fields[name])
        if "auto_verdict" in changed or "auto_reason" in changed:
            result.auto_updated_at = now
        result.save()


def _refresh_facts(session: CertSession) -> None:
    """The charger's facts as the report shows them, frozen at signing."""
    charger = session.charger
    if charger is None:
        return
    facts = {
        **(session.facts or {}),
        "vendor": charger.vendor,
        "model": charger.model,
        "serial_number": charger.serial_number,
        "charge_box_serial_number": charger.charge_box_serial_number,
        "firmware_version": charger.firmware_version,
        "iccid": charger.iccid,
        "imsi": charger.imsi,
        "meter_type": charger.meter_type,
    }
    if facts != session.facts:
        CertSession.objects.filter(pk=session.pk).update(facts=facts)
        session.facts = facts
