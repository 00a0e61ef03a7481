"""What certification does when chargers talk, reached only through the OCPP
layer's hooks (chargers.hooks, registered in CertifyConfig.ready): verdicts kept
current while they talk, the pre-flight read once a session's charger is there,
a case's command after a boot, a session's cards as an answer source.

The frame listener hears of every commit; for a charger with an open session it
schedules an evaluation (certify.evaluation) at most every EVALUATE_EVERY
seconds, in a thread, and tells the session's live pages. Session operations
live in certify.sessions; this module calls them, never the other way round.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from datetime import datetime, timedelta

from channels.db import database_sync_to_async
from django.utils import timezone

from chargers.commands import send_command
from chargers.frames.reader import parse
from chargers.live import announce
from chargers.models import Frame

from . import catalogs, parsed_sessions, sessions
from .evaluation import evaluate_session
from .judging.scope import AUTO, case_tag
from .models import CertSession
from .open_sessions import all_open, sessions_of

log = logging.getLogger(__name__)

EVALUATE_EVERY = 0.5
# Per session, each entry removed once of no use (a lab server runs for months):
_scheduled: dict[int, asyncio.Task] = {}  # its evaluation, waiting or running: removed when done
_judging: set[int] = set()  # being judged now: removed when judged
_again: set[int] = set()  # frames came while it was judged: judged once more, then removed
_last_run: dict[int, float] = {}  # when it was last judged: dropped by tick() once it delays nothing
_preflighted: set[int] = set()  # its pre-flight begun: dropped by tick() once the session is no longer open
# Per event loop, one ticker: those of closed loops dropped when another starts.
_ticker: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
_background: set[asyncio.Task] = set()  # tasks run for their effect: removed when done


def _keep(task: asyncio.Task) -> None:
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _preflight(session_pk: int) -> None:
    """Once per session, while the charger is connected: read its feature
    profiles and mark the items it cannot support (sessions.preflight)."""
    session = await database_sync_to_async(
        lambda: CertSession.objects.select_related("charger").filter(pk=session_pk).first()
    )()
    if session is None or "profiles" in session.options or session.options.get("preflight") is False:
        return
    begun = session.options.get("preflight_at")
    if begun and timezone.now() - datetime.fromisoformat(begun) < timedelta(seconds=sessions.PREFLIGHT_TIMEOUT + 5):
        _preflighted.discard(session_pk)  # the session's creation is reading it; look again later
        return
    if not session.charger or not session.charger.connected:
        _preflighted.discard(session_pk)  # try again when it talks next
        return
    try:
        await sessions.preflight(session)
    except Exception:
        log.exception("Pre-flight probe of session %s failed", session_pk)
    schedule(session_pk)


async def on_frames(charger_pk: int, frames: list) -> None:
    """Frame listener: schedule evaluations; never block the frame writer.
    When the charger's connection ends, its sessions' parses go."""
    loop = asyncio.get_running_loop()
    if loop not in _ticker:
        for closed in [other for other in _ticker if other.is_closed()]:
            del _ticker[closed]
        _ticker[loop] = asyncio.create_task(tick())
    open_pks = await sessions_of(charger_pk)
    if any(_is_disconnect(frame) for frame in frames):
        # The open sessions' parses go with the evaluation scheduled below, which
        # judges the disconnect with them (certify.evaluation keeps nothing for
        # a disconnected charger); any other parse of the charger goes now.
        parsed_sessions.drop_charger(charger_pk, keep=open_pks)
    for session_pk in open_pks:
        schedule(session_pk)
        if session_pk not in _preflighted:
            _preflighted.add(session_pk)
            _keep(asyncio.create_task(_preflight(session_pk)))


def _is_disconnect(frame: Frame) -> bool:
    """The "disconnected" event the OCPP layer stores when a charger's socket closes."""
    return frame.direction == Frame.EVENT and parse(frame).event == "disconnected"


def schedule(session_pk: int, delay: float | None = None) -> None:
    """Judge the session soon: at most every EVALUATE_EVERY seconds, and once
    more after an evaluation that new frames may have missed (a charger that
    disconnected meanwhile sends nothing that would ask again)."""
    task = _scheduled.get(session_pk)
    if task is not None and not task.done():
        if session_pk in _judging:
            _again.add(session_pk)
        return
    wait = EVALUATE_EVERY - (time.monotonic() - _last_run.get(session_pk, 0.0)) if delay is None else delay
    task = _scheduled[session_pk] = asyncio.create_task(_evaluate_later(session_pk, max(0.0, wait)))
    task.add_done_callback(functools.partial(_evaluated, session_pk))


def _evaluated(session_pk: int, task: asyncio.Task) -> None:
    if _scheduled.get(session_pk) is task:
        del _scheduled[session_pk]
    if session_pk in _again:
        _again.discard(session_pk)
        if not task.cancelled():  # cancelled: the loop is closing
            schedule(session_pk)


async def _evaluate_later(session_pk: int, wait: float) -> None:
    await asyncio.sleep(wait)
    _last_run[session_pk] = time.monotonic()
    _judging.add(session_pk)
    try:
        await database_sync_to_async(_evaluate_pk)(session_pk)
    except Exception:
        log.exception("Evaluating session %s failed", session_pk)
        return
    finally:
        _judging.discard(session_pk)
    await announce(topics=[CertSession.live_topic(session_pk)])


def _evaluate_pk(session_pk: int) -> None:
    session = CertSession.objects.select_related("charger").filter(pk=session_pk).first()
    if session is not None:
        evaluate_session(session)


async def tick() -> None:
    """Deadlines pass without frames (an effect that never came): re-evaluate
    open sessions of connected chargers now and then; and forget what is kept
    of sessions no longer open."""
    while True:
        await asyncio.sleep(5)
        try:
            _prune(await all_open())
        except Exception:
            log.warning("Could not read the open sessions", exc_info=True)
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


def _prune(open_now: set[int]) -> None:
    """Drop the marks of sessions no longer open (signed here or in another
    process) and the run times that no longer delay an evaluation."""
    _preflighted.intersection_update(open_now)
    now = time.monotonic()
    for session_pk in [pk for pk, at in _last_run.items() if now - at > EVALUATE_EVERY]:
        del _last_run[session_pk]


# -- a case's command after every boot (Case.on_boot, e.g. a status trigger) ---------------


async def trigger_status_after_boot(charger_pk: int, charge_point_id: str, action: str, payload: dict) -> None:
    """call_answered hook (chargers.hooks): after a BootNotification, the
    `on_boot` command of each case of the catalogs of the charger's open
    sessions that want it (option auto_trigger_status)."""
    if action != "BootNotification":
        return
    open_pks = await sessions_of(charger_pk)
    if not open_pks:
        return
    names = await database_sync_to_async(
        lambda: set(
            CertSession.objects.filter(pk__in=open_pks, options__auto_trigger_status=True).values_list(
                "catalog", flat=True
            )
        )
    )()
    cases = [
        case
        for name in sorted(names)
        if name in catalogs.CATALOGS
        for case in catalogs.get(name).cases
        if case.on_boot is not None
    ]
    for case in cases:
        # A task: awaiting the charger here would block the consumer that must
        # deliver its answer.
        _keep(asyncio.create_task(_send_on_boot(charge_point_id, case)))


async def _send_on_boot(charge_point_id: str, case: catalogs.Case) -> None:
    await asyncio.sleep(0.3)  # let the charger finish its own boot sequence first
    command = case.on_boot
    result = await send_command(
        charge_point_id, command.action, dict(command.payload), sent_by=AUTO + case_tag(case.key)
    )
    if not result.ok:
        log.info("Automatic %s to %s: %s", command.action, charge_point_id, result.message or result.status)


# -- a session's cards answer for their id tags -------------------------------------------


def scripted_answer(charger_pk: int, action: str, payload: dict) -> dict | None:
    """An answer source (chargers.hooks.answer_sources): what the case whose
    attempt runs on the charger's open session scripts (a Rejected, then an
    Accepted boot; an idTagInfo), or its catalog between cases. Only catalogs
    that script answers are asked; the rest answer as the sources after this."""
    if action not in ("BootNotification", "Authorize", "StartTransaction", "StopTransaction"):
        return None
    for session in CertSession.objects.filter(charger_id=charger_pk, state=CertSession.STATE_OPEN).only(
        "pk", "catalog", "options"
    ):
        catalog = catalogs.get(session.catalog)
        options = session.options or {}
        attempt = session.attempts.filter(ended_at__isnull=True).order_by("-started_at").first()
        case = catalog.case(attempt.case) if attempt is not None else None
        if case is not None and case.answers is not None:
            # The boots we answered since the attempt began (this one is not answered yet; a
            # frame may still be on its way to the database, an answer long stored).
            boots = (
                session.frames()
                .filter(seq__gt=attempt.start_seq, direction="out", message_type=3, action="BootNotification")
                .count()
            )
            answer = case.answers(options, action, payload, boots)
        elif catalog.answers is not None:
            answer = catalog.answers(options, action, payload)
        else:
            continue
        if answer is not None:
            return answer
    return None


def session_card(charger_pk: int, action: str, payload: dict) -> dict | None:
    """An answer source (chargers.hooks.answer_sources): the cards of the
    charger's open sessions (options id_tag and local_id_tag Accepted,
    refused_id_tag Invalid) answer the same whatever the lab's list and its
    default for unknown tags say."""
    id_tag = payload.get("idTag")
    if id_tag is None:
        return None
    for options in CertSession.objects.filter(charger_id=charger_pk, state=CertSession.STATE_OPEN).values_list(
        "options", flat=True
    ):
        if id_tag in ((options or {}).get("id_tag"), (options or {}).get("local_id_tag")):
            return {"idTagInfo": {"status": "Accepted"}}
        if id_tag == (options or {}).get("refused_id_tag"):
            return {"idTagInfo": {"status": "Invalid"}}
    return None
