"""Judging a session: each case's `judge` (certify.catalogs) runs on every open
attempt of the case and on the whole session.

- A failure rests only on the frames of one of the case's own attempts
  (Scope.narrow): legal behaviour during other work never fails it.
- A pass may come from anywhere in the session, and then says where its
  evidence came from; wrong behaviour seen outside an attempt is a warning.
- The item's verdict is its latest finished attempt's, or a later pass seen
  elsewhere; every change is kept in the item's history with its cause.
- Items whose optional feature profile the charger lacks are Not supported
  (pre-flight), until an attempt shows otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from chargers import findings
from chargers.frames.reader import Log
from chargers.protocol import VERSIONS

from . import catalogs, firmware, parsed_sessions
from .evidence import own_secrets, redact
from .judging.scope import Scope, case_of, sender_of
from .judging.verdict import (
    FAILED,
    FINAL_VERDICTS,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    NOT_SUPPORTED,
    OPEN,
    PASSED,
    Verdict,
)
from .log_file import LogFile
from .models import ABANDONED, Attempt, CertSession, ItemResult, SessionFile, TransferEvent

MAX_WARNINGS = 10


def tolerances() -> dict:
    """The lab's waits for effects (settings); a session's options override them."""
    return {
        "effect_timeout": settings.CERTIFY_EFFECT_TIMEOUT,
        "reboot_timeout": settings.CERTIFY_REBOOT_TIMEOUT,
        "diagnostics_timeout": settings.CERTIFY_DIAGNOSTICS_TIMEOUT,
        # A dead connection is dropped after a ping unanswered (daphne's keepalive); without pings, never.
        "notice_time": settings.OCPP_PING_INTERVAL + settings.OCPP_PING_TIMEOUT
        if settings.OCPP_PING_INTERVAL
        else None,
    }


# A frame's columns as the reader takes them (the note: what we noticed on receipt, which findings read).
READ_COLUMNS = ("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "sent_by", "note")


@dataclass(eq=False)
class Parsed:
    """A session's log as read so far, and its protocol findings fed from it: kept
    together (certify.parsed_sessions, whose bounds count the log's frames), so both
    grow by what came since and go together at sign-off or disconnect."""

    log: Log
    engine: object = None  # chargers.protocol's Findings, made at the first ask
    fed: int = 0  # records of the log the findings have seen

    def __len__(self) -> int:
        return len(self.log)

    def findings(self, initial: dict | None = None) -> list[dict]:
        """Every finding so far (Finding.as_dict), the new frames fed first; `initial`: what
        was known before the log began (the session's pre-flight read), for the first feed."""
        if self.engine is None:
            self.engine = findings.new_engine(initial)
        self.engine.feed(self.log.records[self.fed :])
        self.fed = len(self.log.records)
        return [f.as_dict() for f in self.engine.all]


def session_parse(session: CertSession) -> Parsed:
    """The session's frames read (chargers.frames.reader), extending what was
    read before; kept for the next time (certify.parsed_sessions) only while the
    session can still change: open, its charger connected."""
    key = (session.start_seq, session.started_at)
    parsed = parsed_sessions.get(session.pk, key)
    if parsed is None:
        parsed = Parsed(Log())
    log = parsed.log
    if session.charger_id is not None:
        newer = session.frames().filter(seq__gt=max(log.last_seq, session.start_seq))
        log.extend(newer.values(*READ_COLUMNS))
    if not session.is_signed and session.charger_id is not None and session.charger.connected:
        parsed_sessions.put(session.pk, session.charger_id, key, parsed)
    else:
        parsed_sessions.drop(session.pk)
    return parsed


def session_log(session: CertSession) -> Log:
    """The session's frames read, as session_parse keeps them."""
    return session_parse(session).log


def session_scope(session: CertSession) -> Scope:
    """The whole session as its rules judge it: its log, what the log says in
    its catalog's protocol version, the lab's tolerances with the session's
    options over them (and the port our FTP server listens on), its files and
    what our servers saw of them, and now."""
    log = session_log(session)
    options = {**tolerances(), "ftp_port": settings.CERTIFY_FTP_PORT, **(session.options or {})}
    state = VERSIONS[catalogs.get(session.catalog).protocol].state(log, options.get("initial"))
    files = [
        {"id": f.pk, "kind": f.kind, "name": f.name, "size": f.size, "created_at": f.created_at}
        for f in SessionFile.objects.filter(session=session)
    ]
    transfers = list(TransferEvent.objects.filter(session=session).values("at", "server", "event", "detail"))
    return Scope(log, state, options, datetime.now(UTC), files, transfers)


def evaluate_session(session: CertSession) -> list[ItemResult]:
    """Judge every item and store the automatic verdicts; overrides are
    untouched, and a signed session never changes."""
    results = {r.case: r for r in session.items.all()}
    if session.is_signed:
        return sorted(results.values(), key=lambda r: r.number)
    scope = session_scope(session)
    attempts: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in session.attempts.all():
        attempts[attempt.case].append(attempt)
    options = session.options or {}
    unsupported = options.get("not_supported") or options.get("not_applicable") or {}
    secrets = own_secrets(session)
    for case in catalogs.get(session.catalog).cases:
        result = results.get(case.key) or ItemResult(session=session, case=case.key, number=case.number)
        for attempt in attempts[case.key]:
            if attempt.is_open:
                _judge_attempt(scope, case.judge, attempt, secrets)
        whole = _masked(complete(scope, case.judge(scope)), secrets)
        verdict, source, origin = _choose(scope, case.key, attempts[case.key], whole)
        verdict = _preflight(verdict, unsupported.get(case.key), scope)
        _store(result, verdict, source, origin, whole if whole.status == FAILED else None)
        results[case.key] = result
    _refresh_facts(session)
    firmware.record(session)
    return sorted(results.values(), key=lambda r: r.number)


def _preflight(verdict: Verdict, why: str | None, scope: Scope) -> Verdict:
    """An open item whose optional profile the pre-flight read found missing is Not supported."""
    if verdict.status != OPEN or not why:
        return verdict
    return Verdict(NOT_SUPPORTED, why, f"Not supported by {scope.state.vendor()}", steps=verdict.steps)


def _masked(verdict: Verdict, secrets: list[str]) -> Verdict:
    """The verdict with the session's secrets masked in its words: a reason may
    quote a location we sent (an upload URL carries the session's secret), and
    reasons are shown to viewers, exported and printed in the report."""
    if not secrets:
        return verdict
    words = {k: redact(getattr(verdict, k), secrets) for k in ("reason", "remark", "expected", "actual")}
    return replace(verdict, **words) if any(words[k] != getattr(verdict, k) for k in words) else verdict


def _judge_attempt(whole: Scope, judge: Callable[[Scope], Verdict], attempt: Attempt, secrets: list[str]) -> None:
    scope = whole.narrow(attempt.start_seq, None, attempt.case, attempt.started_at)
    verdict = _masked(complete(scope, judge(scope)), secrets)
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
        own = scope.own_commands()
        fields |= {"verdict": verdict.status, "ended_at": timezone.now(), "end_seq": scope.last_seq, "commands": own}
    changed = [name for name, value in fields.items() if getattr(attempt, name) != value]
    if changed:
        for name in changed:
            setattr(attempt, name, fields[name])
        attempt.save(update_fields=changed)
    attempt.live = verdict  # the open attempt's steps and waiting, for this evaluation


def complete(scope: Scope, verdict: Verdict) -> Verdict:
    """The verdict as it is kept and shown: its evidence holds every frame a step
    names (a CALL with its answer), once each, in seq order, so the page's and the
    report's evidence table show each ticked step's frame where it happened."""
    by_id = scope.log.by_id
    wanted = list(verdict.evidence)
    named_frames = [f for s in verdict.steps if isinstance(s, dict) for f in (s.get("frame"), *s.get("frames", ()))]
    for named in named_frames:
        record = by_id.get(named)
        if record is not None:
            partner = record.answer or record.call
            wanted += [record.id, *([partner.id] if partner is not None else [])]
    unique = dict.fromkeys(i for i in wanted if i is not None)
    verdict.evidence = sorted(unique, key=lambda i: by_id[i].seq if i in by_id else 0)
    return verdict


def _evidence_time(scope: Scope, verdict: Verdict) -> datetime:
    by_id = scope.log.by_id
    stamps = [by_id[i].ts for i in verdict.evidence if i in by_id]
    return max(stamps) if stamps else scope.now


def _source(scope: Scope, key: str, verdict: Verdict) -> str:
    """Where a pass seen outside an attempt came from, in words."""
    by_id = scope.log.by_id
    records = sorted((by_id[i] for i in verdict.evidence if i in by_id), key=lambda r: r.seq)
    ours = [r for r in records if r.direction == "out" and r.message_type == 2]
    if ours:
        first = ours[0]
        sent_for = case_of(first)
        if sent_for and sent_for != key:
            return f"from item {sent_for}'s {first.action} at {first.ts:%H:%M:%S}"
        who = sender_of(first) or "the session"
        return f"from {first.action} sent by {who} at {first.ts:%H:%M:%S}"
    if records:
        return f"from frames seen at {records[0].ts:%H:%M:%S} (#{records[0].seq}), outside an attempt"
    return ""


def _choose(scope: Scope, key: str, attempts: list[Attempt], whole: Verdict) -> tuple[Verdict, str, Attempt | None]:
    """The verdict that stands: (verdict, where a pass came from, its attempt)."""
    finished = [a for a in attempts if a.verdict in FINAL_VERDICTS]
    latest = max(finished, key=lambda a: a.ended_at) if finished else None
    elsewhere = whole.status in (PASSED, NOT_SUPPORTED, NOT_APPLICABLE)  # what an attempt of its own could not better
    if latest is not None and (
        latest.verdict == PASSED or not elsewhere or _evidence_time(scope, whole) <= latest.ended_at
    ):
        return _from_attempt(latest), "", latest
    if elsewhere:
        return whole, _source(scope, key, whole), None
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


# -- a log judged on its own (manage.py judge, POST /api/judge) ----------------------------------


@dataclass
class _Replayed:
    """An attempt as a log's markers tell it, in the shape _choose reads."""

    case: str
    start_seq: int
    n: int = 1
    started_at: datetime | None = None
    verdict: str = OPEN
    ended_at: datetime | None = None
    reason: str = ""
    remark: str = ""
    evidence: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    expected: str = ""
    actual: str = ""
    clause: str = ""
    steps: list = field(default_factory=list)
    live: Verdict | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def end(self, verdict: Verdict, when: datetime) -> None:
        self.verdict, self.ended_at = verdict.status, when
        self.reason, self.remark, self.evidence, self.timings = (
            verdict.reason,
            verdict.remark,
            verdict.evidence,
            verdict.timings,
        )
        self.expected, self.actual, self.clause, self.steps = (
            verdict.expected,
            verdict.actual,
            verdict.clause,
            verdict.steps,
        )


def judge_log(log_file: LogFile, catalog_name: str | None = None) -> list[dict]:
    """A session's verdicts recomputed from its log alone, as the session gave them: the frames
    read in order, each attempt judged when its end marker says it ended (over the frames up to
    then, at that time), the rest at the time of the log's last line. Without markers, each case
    is one attempt over the whole log. Returns the items as the JSON result words them."""
    session = log_file.session
    catalog = catalogs.get(catalog_name or session.get("catalog") or catalogs.DEFAULT)
    options = {**tolerances(), **(session.get("options") or {})}
    log = Log()
    state = VERSIONS[catalog.protocol].state(log, options.get("initial"))
    scope = Scope(log, state, options, log_file.last_ts)
    cases = {case.key: case for case in catalog.cases}
    attempts: dict[str, list[_Replayed]] = defaultdict(list)
    frames = iter(log_file.frames)
    pending = next(frames, None)

    def upto(seq: int, when: datetime) -> None:
        nonlocal pending
        while pending is not None and pending["seq"] <= seq:
            log.extend([pending])
            pending = next(frames, None)
        scope.now = when
        scope.files = [dict(f, id=i) for i, f in enumerate(log_file.files, 1) if f["created_at"] <= when]
        scope.transfers = [t for t in log_file.transfers if t["at"] <= when]

    for marker in log_file.markers:
        case = cases.get(marker.case)
        if case is None:
            continue  # an attempt of a case this catalog lacks
        upto(marker.after, marker.ts)
        if marker.kind == "attempt-started":
            attempts[case.key].append(_Replayed(case.key, marker.after, len(attempts[case.key]) + 1, marker.ts))
            continue
        current = next((a for a in reversed(attempts[case.key]) if a.is_open), None)
        if current is None:
            continue
        if marker.outcome == ABANDONED:
            current.verdict, current.ended_at = ABANDONED, marker.ts
            continue
        judged = case.judge(scope.narrow(current.start_seq, None, case.key, current.started_at))
        if marker.outcome == INCONCLUSIVE and judged.status != INCONCLUSIVE:  # the bench could not test it
            judged = Verdict(INCONCLUSIVE, marker.reason or "the bench could not test it")
        current.end(judged, marker.ts)
    upto(log.last_seq + 10**12, log_file.last_ts)
    unsupported = options.get("not_supported") or options.get("not_applicable") or {}
    items = []
    for case in catalog.cases:
        tries = attempts[case.key] or ([] if log_file.markers else [_Replayed(case.key, 0)])
        for attempt in tries:
            if attempt.is_open:
                attempt.live = case.judge(scope.narrow(attempt.start_seq, None, case.key, attempt.started_at))
                if not log_file.markers and attempt.live.final:
                    attempt.end(attempt.live, scope.now)
        verdict, _, _ = _choose(scope, case.key, tries, case.judge(scope))
        verdict = _preflight(verdict, unsupported.get(case.key), scope)
        seqs = sorted({log.by_id[i].seq for i in verdict.evidence if i in log.by_id})
        items.append(
            {
                "key": case.key,
                "number": case.number,
                "function": case.title,
                "verdict": verdict.status,
                "reason": verdict.reason,
                "evidence_seqs": seqs,
            }
        )
    return items


def lint_log(log_file: LogFile) -> list[dict]:
    """The protocol findings over a log alone (manage.py judge --findings, POST
    /api/judge?findings=true), at the time of its last line."""
    initial = (log_file.session.get("options") or {}).get("initial")
    return findings.of_records(Log(log_file.frames), now=log_file.last_ts, initial=initial)
