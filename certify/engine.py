"""Evaluation of a session's verdicts, kept current while the charger talks.

The frame listener (registered in CertifyConfig.ready) hears of every commit;
for a charger with an open session it schedules an evaluation at most every
EVALUATE_EVERY seconds, in a thread, and tells the session's live pages. Parsed
frames are cached per session and extended with new ones only, so a session of
100,000 frames is not re-read on every tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from channels.db import database_sync_to_async
from django.utils import timezone

from chargers.live import announce
from chargers.models import Frame

from . import catalog
from .models import NOT_APPLICABLE, CertSession, ItemResult, SessionFile
from .verdicts import RULES, SessionFrames

log = logging.getLogger(__name__)

EVALUATE_EVERY = 0.5
# Parsed frames per session: (start_seq, SessionFrames).
_cache: dict[int, tuple[int, SessionFrames]] = {}


def session_frames(session: CertSession) -> SessionFrames:
    """The session's frames parsed, reusing what was parsed before."""
    cached = _cache.get(session.pk)
    if cached is None or cached[0] != session.start_seq:
        cached = (session.start_seq, SessionFrames(session.options))
        _cache[session.pk] = cached
    frames = cached[1]
    frames.options.update(session.options or {})
    if session.charger_id is not None:
        newer = session.frames().filter(seq__gt=max(frames.last_seq, session.start_seq))
        frames.extend(
            newer.only("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "sent_by")
        )
    frames.files = [
        {"id": f.pk, "kind": f.kind, "name": f.name, "size": f.size, "created_at": f.created_at}
        for f in SessionFile.objects.filter(session=session)
    ]
    frames.now = datetime.now(UTC)
    return frames


def evaluate_session(session: CertSession) -> list[ItemResult]:
    """Run every item's rule and store the automatic verdicts; overrides are
    untouched, and a signed session never changes."""
    results = {r.number: r for r in session.items.all()}
    if session.is_signed:
        return list(results.values())
    frames = session_frames(session)
    preflight = (session.options or {}).get("not_applicable", {})
    for item in catalog.items(session.catalog):
        result = results.get(item.number) or ItemResult(session=session, number=item.number)
        verdict = RULES[item.rule](frames)
        if str(item.number) in preflight and verdict.status not in ("passed", "failed"):
            verdict.status, verdict.reason = NOT_APPLICABLE, preflight[str(item.number)]
        changed = (
            result.pk is None
            or result.auto_verdict != verdict.status
            or result.auto_reason != verdict.reason[:500]
            or result.remark != verdict.remark[:200]
            or result.evidence != verdict.evidence
            or result.timings != verdict.timings
        )
        if changed:
            result.auto_verdict = verdict.status
            result.auto_reason = verdict.reason[:500]
            result.remark = verdict.remark[:200]
            result.evidence = verdict.evidence
            result.timings = verdict.timings
            result.auto_updated_at = timezone.now()
            result.save()
        results[item.number] = result
    _refresh_facts(session)
    return [results[n] for n in sorted(results)]


def _refresh_facts(session: CertSession) -> None:
    """The charger's facts as the report shows them, frozen at signing."""
    charger = session.charger
    if charger is None:
        return
    facts = {
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


# -- keeping verdicts current ------------------------------------------------------

# Open sessions of every charger, reloaded at most once a second in one query:
# looked up per charger, it cost a query for nearly every frame of a large fleet,
# and those queries queued on the one database thread that API requests need too.
_open_sessions: dict[int, list[int]] = {}  # charger pk -> open session pks
_open_loaded_at = float("-inf")
_open_reload: asyncio.Future | None = None
_open_generation = 0  # bumped by forget(): a reload begun before it is stale
_scheduled: dict[int, asyncio.Task] = {}
_last_run: dict[int, float] = {}


def _all_open_sessions() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    rows = CertSession.objects.filter(state=CertSession.STATE_OPEN, charger__isnull=False).values_list(
        "charger_id", "pk"
    )
    for charger_pk, session_pk in rows:
        found.setdefault(charger_pk, []).append(session_pk)
    return found


async def _reload_open_sessions() -> None:
    global _open_sessions, _open_loaded_at
    started, generation = time.monotonic(), _open_generation
    found = await database_sync_to_async(_all_open_sessions)()
    if generation == _open_generation:
        _open_sessions, _open_loaded_at = found, started


async def sessions_of(charger_pk: int) -> list[int]:
    """Open sessions of a charger, as known at most a second ago."""
    global _open_reload
    if time.monotonic() - _open_loaded_at > 1.0:
        loop = asyncio.get_running_loop()
        if _open_reload is None or _open_reload.done() or _open_reload.get_loop() is not loop:
            _open_reload = asyncio.ensure_future(_reload_open_sessions())
        await asyncio.shield(_open_reload)
        if _open_loaded_at == float("-inf"):  # forgotten meanwhile: read once more
            await _reload_open_sessions()
    return _open_sessions.get(charger_pk, [])


def forget(charger_pk: int | None = None) -> None:
    """Drop the open-session cache (a session was created, signed or revised)."""
    global _open_loaded_at, _open_reload, _open_generation
    _open_generation += 1
    _open_loaded_at = float("-inf")
    _open_reload = None


_ticker: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
_preflighted: set[int] = set()
_background: set[asyncio.Task] = set()


async def _preflight(session_pk: int) -> None:
    """Once per session, while the charger is connected: read its feature
    profiles and mark the items it cannot support (services.preflight)."""
    from . import services

    session = await database_sync_to_async(
        lambda: CertSession.objects.select_related("charger").filter(pk=session_pk).first()
    )()
    if session is None or "profiles" in session.options or session.options.get("preflight") is False:
        return
    if not session.charger or not session.charger.connected:
        _preflighted.discard(session_pk)  # try again when it talks next
        return
    try:
        await services.preflight(session)
    except Exception:
        log.exception("Pre-flight probe of session %s failed", session_pk)
    schedule(session_pk)


async def on_frames(charger_pk: int, frames: list[Frame]) -> None:
    """Frame listener: schedule evaluations; never block the frame writer."""
    loop = asyncio.get_running_loop()
    if loop not in _ticker:
        _ticker[loop] = asyncio.create_task(tick())
    for session_pk in await sessions_of(charger_pk):
        schedule(session_pk)
        if session_pk not in _preflighted:
            _preflighted.add(session_pk)
            task = asyncio.create_task(_preflight(session_pk))
            _background.add(task)
            task.add_done_callback(_background.discard)


def schedule(session_pk: int, delay: float | None = None) -> None:
    task = _scheduled.get(session_pk)
    if task is not None and not task.done():
        return
    wait = EVALUATE_EVERY - (time.monotonic() - _last_run.get(session_pk, 0.0)) if delay is None else delay
    _scheduled[session_pk] = asyncio.create_task(_evaluate_later(session_pk, max(0.0, wait)))


async def _evaluate_later(session_pk: int, wait: float) -> None:
    await asyncio.sleep(wait)
    _last_run[session_pk] = time.monotonic()
    try:
        await database_sync_to_async(_evaluate_pk)(session_pk)
    except Exception:
        log.exception("Evaluating session %s failed", session_pk)
        return
    await announce(session=session_pk)


def _evaluate_pk(session_pk: int) -> None:
    session = CertSession.objects.select_related("charger").filter(pk=session_pk).first()
    if session is not None:
        evaluate_session(session)


async def tick() -> None:
    """Deadlines pass without frames (an effect that never came): re-evaluate
    open sessions of connected chargers now and then."""
    while True:
        await asyncio.sleep(5)
        try:
            pks = await database_sync_to_async(
                lambda: list(
                    CertSession.objects.filter(state=CertSession.STATE_OPEN, charger__connected=True).values_list(
                        "pk", flat=True
                    )[:200]
                )
            )()
        except Exception:
            continue
        for pk in pks:
            schedule(pk)
