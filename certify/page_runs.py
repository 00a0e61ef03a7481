"""Runs started from the session page or the API: one case, a profile, or all
the cases that apply, worked by the server one after the other (each case's
`serve`, certify.catalogs.Case), the steps by hand left to the engineer, who
sees them prompted on the page with a Done button and a countdown.

A run lives in the server process that started it (a task on its event loop),
one per session; what it is doing is kept here and shown on the session page.
Runs need a catalog whose cases have `serve` (the OCTT catalog's do)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from chargers.commands import send_command
from chargers.models import Frame

from . import attempts, catalogs, sessions
from .evaluation import evaluate_session, session_scope
from .judging.scope import Scope
from .judging.verdict import FINAL_VERDICTS, NOT_APPLICABLE, NOT_SUPPORTED
from .models import CertSession

KEPT_RUNS = 100  # finished runs kept for their pages (a lab server runs for months)
CASE_SECONDS = 600  # a case's time on a page run: its own timing and the engineer's steps by hand
SETTLE_SECONDS = 15  # after its steps, for the server's verdict


@dataclass
class PageRun:
    """What a session's run is doing, as its page shows it."""

    keys: list[str]
    by: str
    index: int = 0  # the case being worked (keys[index])
    state: str = "running"  # running, done, stopped
    said: list[str] = field(default_factory=list)  # the last things it said (newest last)
    task: asyncio.Task | None = None

    @property
    def current(self) -> str:
        return self.keys[self.index] if self.state == "running" and self.index < len(self.keys) else ""

    def say(self, text: str) -> None:
        self.said = [*self.said, text][-5:]


_runs: dict[int, PageRun] = {}  # session pk -> its run (the finished ones until the next starts)


def run_of(session_pk: int) -> PageRun | None:
    return _runs.get(session_pk)


def keys_to_run(session: CertSession, keys: list[str] | None = None, groups: list[str] | None = None) -> list[str]:
    """The cases a run works, in catalog order: those named, those of the named
    groups, or every case that applies (not Not supported, not Not applicable)."""
    catalog = catalogs.get(session.catalog)
    if keys:
        unknown = [k for k in keys if catalog.case(k) is None]
        if unknown:
            raise ValidationError(f"No case {', '.join(unknown)} in {catalog.name}.")
        return [c.key for c in catalog.cases if c.key in keys]
    chosen = catalog.cases
    if groups:
        try:
            chosen = [catalog.case(k) for k in catalog.in_groups(groups)]
        except KeyError as exc:
            raise ValidationError(str(exc.args[0])) from None
    evaluate_session(session)
    ruled_out = set(
        session.items.filter(auto_verdict__in=(NOT_SUPPORTED, NOT_APPLICABLE)).values_list("case", flat=True)
    )
    return [c.key for c in chosen if c.key not in ruled_out]


def start(session: CertSession, keys: list[str], by: str) -> PageRun:
    """Begin a run of these cases on this process's event loop (from async code)."""
    if session.is_signed:
        raise ValidationError("This session is signed: its cases can no longer be run.")
    catalog = catalogs.get(session.catalog)
    if not keys:
        raise ValidationError("No case to run: the declaration rules them all out.")
    if any(catalog.case(k).serve is None for k in keys):
        raise ValidationError(f"The {catalog.name} catalog's cases are worked by hand, not run by the server.")
    running = _runs.get(session.pk)
    if running is not None and running.state == "running":
        raise ValidationError(f"A run is already working {running.current}: stop it first.")
    run = PageRun(keys=list(keys), by=by)
    run.task = asyncio.get_running_loop().create_task(_work(session.pk, run))
    _runs.pop(session.pk, None)
    _runs[session.pk] = run
    finished = [pk for pk, other in _runs.items() if other.state != "running"]
    for pk in finished[: max(0, len(finished) - KEPT_RUNS)]:  # the oldest first (insertion order)
        del _runs[pk]
    return run


async def stop(session_pk: int, by: str) -> PageRun | None:
    """Stop the session's run; the case it was working is abandoned."""
    run = _runs.get(session_pk)
    if run is None or run.state != "running":
        return run
    key = run.current
    run.state = "stopped"
    if run.task is not None:
        run.task.cancel()
    if key:
        session = await database_sync_to_async(CertSession.objects.get)(pk=session_pk)
        await database_sync_to_async(attempts.abandon_attempt)(session, key, by, "run stopped")
        await database_sync_to_async(evaluate_session)(session)
    run.say(f"Stopped by {by}")
    return run


async def _work(session_pk: int, run: PageRun) -> None:
    try:
        for index, key in enumerate(run.keys):
            run.index = index
            session = await database_sync_to_async(CertSession.objects.select_related("charger").get)(pk=session_pk)
            if session.is_signed:
                break
            run.say(f"{key}: started")
            await _announce(session)
            case_run = await database_sync_to_async(_begin)(session, key, run)
            await catalogs.get(session.catalog).case(key).serve(case_run)
            verdict = await case_run.settled()
            run.say(f"{key}: {verdict}")
        run.state = "done" if run.state == "running" else run.state
        run.index = len(run.keys)
    except asyncio.CancelledError:
        run.state = "stopped"
        raise
    except Exception as exc:  # the run stops; the page says why
        run.state = "stopped"
        run.say(f"Stopped: {exc}")
    finally:
        session = await database_sync_to_async(CertSession.objects.filter(pk=session_pk).first)()
        if session is not None:
            await _announce(session)


async def _announce(session: CertSession) -> None:
    await database_sync_to_async(sessions.announce)(session)


def _begin(session: CertSession, key: str, run: PageRun) -> ServerCaseRun:
    attempt = attempts.start_attempt(session, key, run.by)
    evaluate_session(session)
    config = session_scope(session).state.config()
    return ServerCaseRun(session, key, run, attempt.start_seq, attempt.started_at, dict(config))


class ServerCaseRun:
    """One case of a page run: what its `serve` is handed (certify.catalogs.octt16.serve.ServerRun)."""

    def __init__(self, session: CertSession, key: str, run: PageRun, start_seq: int, began, config: dict) -> None:
        self.session, self.key, self.run = session, key, run
        self.start_seq, self._began, self.config = start_seq, began, config
        self.deadline = time.monotonic() + CASE_SECONDS

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic()) if self.run.state == "running" else 0.0

    def say(self, text: str) -> None:
        self.run.say(f"{self.key}: {text}")

    async def scope(self) -> Scope:
        """The case's attempt as the server judges it now (certify.judging.scope)."""

        def read() -> Scope:
            return session_scope(self.session).narrow(self.start_seq, None, self.key, self._began)

        return await database_sync_to_async(read)()

    async def command(self, action: str, payload: dict | None = None) -> dict | None:
        result = await sessions.run_command(self.session, action, payload or {}, self.run.by, case=self.key)
        self.say(
            f"{action}: {result.payload.get('status', 'answered') if result.ok and result.payload else result.status}"
        )
        return result.payload if result.ok else None

    async def charger_command(self, action: str, payload: dict) -> dict | None:
        result = await send_command(self.session.charge_point_id, action, payload, sent_by=f"{self.run.by} (run)")
        return result.payload if result.ok else None

    async def frames(self, after: int) -> list[dict]:
        def read():
            rows = Frame.objects.filter(charger_id=self.session.charger_id, seq__gt=after).order_by("seq")[:1000]
            return list(
                rows.values("id", "seq", "ts", "direction", "message_type", "action", "unique_id", "raw", "sent_by")
            )

        return await database_sync_to_async(read)()

    async def offline(self, seconds: float) -> None:
        await sessions.take_offline(self.session, seconds, self.run.by)

    async def step(self, name: str, connector: int = 1, id_tag: str = "", error_code: str = "") -> None:
        """A physical step of the way back: the engineer's, said on the page."""
        where = "the station" if connector == 0 else f"connector {connector}"
        self.say(f"by hand, before the next case: {name} at {where}")

    async def settled(self) -> str:
        """The case's verdict once the server gives one (or its attempt's end)."""
        end = time.monotonic() + SETTLE_SECONDS

        def read() -> str:
            evaluate_session(self.session)
            return self.session.items.get(case=self.key).auto_verdict

        verdict = await database_sync_to_async(read)()
        while verdict not in FINAL_VERDICTS and time.monotonic() < end and self.run.state == "running":
            await asyncio.sleep(0.5)
            verdict = await database_sync_to_async(read)()
        return verdict
