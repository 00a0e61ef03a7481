"""The batching: a FrameWriter per event loop collects frames arriving while a
commit is under way and commits them together next, through the first writer
that can take them: PostgreSQL's async connection, SQLite's on the loop, or the
writer thread. Then the chargers' live pages and the frames_committed hooks hear
of them, without holding up the next commit."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from .. import hooks
from ..live import announce
from ..models import Frame
from . import thread
from .loop_postgres import LoopPostgres
from .loop_sqlite import LoopSqlite
from .rows import FrameRecord, locked
from .touches import TOUCH_INTERVAL, flush_quietly, untouched

log = logging.getLogger("chargers.frames")

# Live viewers (chargers.live) hear which chargers got frames at most every
# ANNOUNCE_INTERVAL seconds.
ANNOUNCE_INTERVAL = 0.2


class FrameWriter:
    """Collects frames arriving while a commit is under way and commits them
    together next; one writer per event loop."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, list[FrameRecord], asyncio.Future]] = []  # emptied by each commit
        self.task: asyncio.Task | None = None
        self.touching: asyncio.Task | None = None
        self.listening: set[asyncio.Task] = set()  # removed when done
        self.unannounced: set[int] = set()  # emptied at each announcement
        self.announcer: asyncio.Task | None = None
        self.loop_db: LoopSqlite | None = None
        self.loop_db_checked = False
        self.loop_pg: LoopPostgres | None = None
        self.loop_pg_checked = False

    async def store(self, charger_pk: int, records: list[FrameRecord]) -> list[Frame]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((charger_pk, records, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        return await future

    def _on_loop(self) -> LoopSqlite | None:
        if not self.loop_db_checked:
            self.loop_db_checked = True
            try:
                self.loop_db = LoopSqlite.open()
            except sqlite3.Error:
                log.warning("Frames go through the writer thread: SQLite would not open here", exc_info=True)
        return self.loop_db

    def close(self) -> None:
        """Close this loop's connections (its loop may be closed already)."""
        if self.loop_db is not None:
            self.loop_db.close()
            self.loop_db = None
        if self.loop_pg is not None:
            self.loop_pg.close()
            self.loop_pg = None

    async def _postgres(self) -> LoopPostgres | None:
        if not self.loop_pg_checked:
            self.loop_pg_checked = True
            try:
                self.loop_pg = await LoopPostgres.open()
            except Exception:
                log.warning("Frames go through the writer thread: PostgreSQL would not connect here", exc_info=True)
        return self.loop_pg

    async def _write(self, items: list[tuple[int, FrameRecord]]) -> list[Frame]:
        loop_pg = await self._postgres()
        if loop_pg is not None:
            try:
                return await loop_pg.write(items)
            except Exception:
                if loop_pg.conn.broken or loop_pg.conn.closed:
                    self.loop_pg, self.loop_pg_checked = None, False  # a new connection next time
                raise
        loop_db = self._on_loop()
        if loop_db is not None:
            try:
                return await loop_db.write(items)
            except sqlite3.OperationalError as exc:
                if not locked(exc):
                    self.close()  # reopened by the next batch
                    self.loop_db_checked = False
                    raise
            # Another writer holds the database: wait for it in the thread.
        return await thread.write(items)

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                frames = await self._write([(pk, rec) for pk, records, _ in batch for rec in records])
            except Exception as exc:  # the database refused: every waiter learns it
                log.exception("Could not store the frames of %d call(s)", len(batch))
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            start = 0
            for _, records, future in batch:
                if not future.done():
                    future.set_result(frames[start : start + len(records)])
                start += len(records)
            # Live updates and listeners must not hold up the next commit.
            self.unannounced.update(frame.charger_id for frame in frames)
            if self.announcer is None or self.announcer.done():
                self.announcer = asyncio.create_task(self._announce_later())
            if hooks.frames_committed:
                task = asyncio.create_task(_tell_listeners(frames))
                self.listening.add(task)
                task.add_done_callback(self.listening.discard)
        if (untouched or (self.loop_db and self.loop_db.unchecked)) and (self.touching is None or self.touching.done()):
            # Traffic may stop: the last frames' times are written a second later.
            self.touching = asyncio.create_task(self._touch_later())

    async def _announce_later(self) -> None:
        """Tell live viewers which chargers got frames: one message per
        interval, however many chargers and commits."""
        await asyncio.sleep(ANNOUNCE_INTERVAL)
        chargers, self.unannounced = self.unannounced, set()
        await announce(chargers=chargers)

    async def _touch_later(self) -> None:
        """A second after traffic: write last frame times; checkpoint the log."""
        await asyncio.sleep(TOUCH_INTERVAL)
        if self.loop_db is not None:
            flush_quietly(self.loop_db.flush_touches)
        else:
            await asyncio.get_running_loop().run_in_executor(thread.executor, thread.flush)
        if self.loop_db is not None and self.loop_db.unchecked:
            self.loop_db.unchecked = 0
            try:
                await thread.run(thread.checkpoint)
            except Exception:
                log.warning("Could not checkpoint the SQLite write-ahead log", exc_info=True)


# One per event loop: those of closed loops go when another loop starts writing.
_writers: dict[asyncio.AbstractEventLoop, FrameWriter] = {}


async def store_frames(charger_pk: int, records: list[FrameRecord]) -> list[Frame]:
    """Store frames of one charger, in order, and return them once committed
    (all in the same transaction: a CALL and its answer cost one commit)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        for old in [lp for lp in _writers if lp.is_closed()]:
            _writers.pop(old).close()
        writer = _writers[loop] = FrameWriter()
    return await writer.store(charger_pk, records)


async def store_frame(charger_pk: int, record: FrameRecord) -> Frame:
    """Store one frame and return it once committed."""
    return (await store_frames(charger_pk, [record]))[0]


async def _tell_listeners(frames: list[Frame]) -> None:
    """Hand committed frames to the frames_committed hooks, charger by charger."""
    by_charger: dict[int, list[Frame]] = {}
    for frame in frames:
        by_charger.setdefault(frame.charger_id, []).append(frame)
    for charger_pk, group in by_charger.items():
        for listener in hooks.frames_committed:
            try:
                await listener(charger_pk, group)
            except Exception:
                log.exception("frames_committed hook %r failed", listener)
