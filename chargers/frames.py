"""The one place where evidence frames are stored.

Every frame in both directions, and every connection event, goes through
`store_frame`, which returns only once the frame is committed: the protocol
answers a CALL only after that, so nothing is ever answered that is not stored.
Concurrent frames (of all chargers of this process) are committed together in
one statement: a group commit that keeps the promise at a fraction of the cost
of a transaction per frame.

Commits are made from the event loop itself (LoopSqlite, LoopPostgres); a
thread of its own (write_frames) takes what the loop cannot: a locked SQLite
file, the chargers' last-seen times, checkpoints, OCPP_FRAME_WRITES_ON_LOOP off.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from . import hooks
from .live import announce
from .models import Charger, Frame

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class FrameRecord:
    """A frame (or event) about to be stored."""

    direction: str
    raw: str
    message_type: int | None = None
    action: str = ""
    unique_id: str = ""
    error_code: str = ""
    note: str = ""
    sent_by: str = ""
    ts: datetime = field(default_factory=timezone.now)


# Last seq written per charger by this process; reloaded on conflict.
_last_seq: dict[int, int] = {}


def _orm_max_seq(charger_pk: int) -> int:
    return Frame.objects.filter(charger_id=charger_pk).aggregate(m=Max("seq"))["m"] or 0


def _build(items: list[tuple[int, FrameRecord]], reload: bool, max_seq: Callable[[int], int]) -> list[Frame]:
    """Frame instances numbered on from each charger's last seq (asked of the
    database with `max_seq` when unknown or after a conflict)."""
    seqs: dict[int, int] = {}
    objs: list[Frame] = []
    for charger_pk, rec in items:
        if charger_pk not in seqs:
            if reload or charger_pk not in _last_seq:
                _last_seq[charger_pk] = max_seq(charger_pk)
            seqs[charger_pk] = _last_seq[charger_pk]
        seqs[charger_pk] += 1
        # Positional, in _FRAME_COLUMNS order: half the cost of keywords.
        objs.append(
            Frame(
                None,
                charger_pk,
                seqs[charger_pk],
                rec.ts,
                rec.direction,
                rec.message_type,
                rec.action[:60],
                rec.unique_id[:100],
                rec.raw,
                rec.error_code[:40],
                rec.note[:500],
                rec.sent_by[:150],
            )
        )
    return objs


def _numbered(write: Callable[[list[Frame]], None], items: list[tuple[int, FrameRecord]], max_seq) -> list[Frame]:
    """Build and write frames; on a seq conflict (another process wrote frames
    of the same charger: it reconnected there) take up its numbering, retry."""
    for attempt in range(3):
        objs = _build(items, attempt > 0, max_seq)
        try:
            write(objs)
        except (IntegrityError, sqlite3.IntegrityError):
            if attempt == 2:
                raise
            continue
        return _numbering_taken(objs)
    raise AssertionError("unreachable")


def _numbering_taken(objs: list[Frame]) -> list[Frame]:
    """Committed: the next frames of these chargers number on from here."""
    for obj in objs:
        _last_seq[obj.charger_id] = obj.seq
    return objs


def write_frames(items: list[tuple[int, FrameRecord]]) -> list[Frame]:
    """Store frames of any chargers atomically, in the order given, on Django's
    connection (the writer thread's)."""
    objs = _numbered(_thread_insert, items, _orm_max_seq)
    _touch_after(objs, flush_touches)
    return objs


def _raw_cursor():
    """A cursor on the writer's connection. On PostgreSQL a psycopg cursor that
    binds on the server: Django's binds on the client, quoting every value
    (a frame's raw text included) into the SQL in Python."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def _thread_insert(objs: list[Frame]) -> None:
    with _raw_cursor() as cursor:

        def execute(sql: str, params: list) -> list[tuple]:
            cursor.execute(sql, params)
            return cursor.fetchall()

        if len(objs) <= _ROWS_PER_INSERT:
            # One statement in autocommit is atomic by itself: one round trip
            # instead of BEGIN, INSERT, COMMIT.
            insert_frames(execute, objs, "%s")
        else:
            with transaction.atomic():
                insert_frames(execute, objs, "%s")


_FRAME_COLUMNS = (
    "charger_id",
    "seq",
    "ts",
    "direction",
    "message_type",
    "action",
    "unique_id",
    "raw",
    "error_code",
    "note",
    "sent_by",
)
_ROWS_PER_INSERT = 500  # 11 parameters a row, well under SQLite's 32,766
if tuple(f.attname for f in Frame._meta.concrete_fields) != ("id", *_FRAME_COLUMNS):
    raise ImproperlyConfigured("chargers.frames._FRAME_COLUMNS must list Frame's columns in model order")


@functools.lru_cache(maxsize=64)
def _insert_sql(rows: int, mark: str) -> str:
    """The INSERT of `rows` frames; mark "?", "%s", or "$" for PostgreSQL's own
    numbered placeholders ($1, $2, ...)."""
    table = connection.ops.quote_name(Frame._meta.db_table)
    width = len(_FRAME_COLUMNS)
    if mark == "$":
        rows_sql = ["(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows)]
    else:
        rows_sql = ["(" + ", ".join([mark] * width) + ")"] * rows
    return (
        f"INSERT INTO {table} ({', '.join(_FRAME_COLUMNS)}) VALUES {', '.join(rows_sql)} RETURNING id, charger_id, seq"
    )


def _statements(objs: list[Frame], mark: str, adapt: Callable[[datetime], object]):
    """(chunk, SQL, parameters) of the INSERTs of these frames, 500 rows each.
    Cheaper than bulk_create, which compiles the same statement anew for
    every batch. `adapt`: the database's adapt_datetimefield_value, looked up
    once by the loop writers (on the loop, Django's `connection` is a context
    variable: each task would build a new connection wrapper)."""
    for start in range(0, len(objs), _ROWS_PER_INSERT):
        chunk = objs[start : start + _ROWS_PER_INSERT]
        params: list = []
        for o in chunk:
            params += (
                o.charger_id,
                o.seq,
                adapt(o.ts),
                o.direction,
                o.message_type,
                o.action,
                o.unique_id,
                o.raw,
                o.error_code,
                o.note,
                o.sent_by,
            )
        yield chunk, _insert_sql(len(chunk), mark), params


def _set_ids(chunk: list[Frame], returned: Iterable[tuple]) -> None:
    # RETURNING promises no order: match the ids by (charger, seq).
    ids = {(c, q): pk for pk, c, q in returned}
    for o in chunk:
        o.pk = ids[(o.charger_id, o.seq)]


def insert_frames(
    execute: Callable[[str, list], Iterable[tuple]], objs: list[Frame], mark: str, adapt: Callable | None = None
) -> None:
    """INSERT frames and set their ids."""
    for chunk, sql, params in _statements(objs, mark, adapt or connection.ops.adapt_datetimefield_value):
        _set_ids(chunk, execute(sql, params))


# Charger.last_frame_at/last_action, written for all chargers at once at most
# once a second: the dashboard needs no more. With a fleet each charger's frames
# come seconds apart, so an UPDATE per charger and batch cost 6% of the server.
TOUCH_INTERVAL = 1.0
_untouched: dict[int, tuple[datetime, str]] = {}  # charger pk -> (last frame time, last action)
_untouched_lock = threading.Lock()  # the loop (SQLite inline) and the writer thread both touch
_touched_at = [float("-inf")]
ExecuteMany = Callable[[str, list[tuple]], None]


def _touch_chargers(objs: list[Frame]) -> bool:
    """Remember each charger's latest frame; True when they are due to be
    written: the interval has passed or a connection event came (the
    dashboard shows those at once)."""
    event = False
    with _untouched_lock:
        for obj in objs:
            previous = _untouched.get(obj.charger_id)
            if obj.direction == Frame.EVENT:
                event = True
                action = previous[1] if previous else ""
            else:
                action = obj.action or (previous[1] if previous else "")
            _untouched[obj.charger_id] = (obj.ts, action)
    return event or time.monotonic() - _touched_at[0] >= TOUCH_INTERVAL


def _touch_after(objs: list[Frame], flush: Callable[[], None]) -> None:
    """Remember the frames' chargers as touched and write them when due. The
    frames are committed already: a failure here must never fail them (nor
    make the caller write them again)."""
    if _touch_chargers(objs):
        _flush_quietly(flush)


def _flush_quietly(flush: Callable[[], None]) -> None:
    """Write the last-seen times; a failure is logged (a locked SQLite file not
    even that) and the times wait for the next try (flush_touches keeps them)."""
    try:
        flush()
    except sqlite3.OperationalError as exc:
        if not _busy(exc):
            log.warning("Could not update the chargers' last frame times", exc_info=True)
    except Exception:
        log.warning("Could not update the chargers' last frame times", exc_info=True)


def _flush_in_thread() -> None:
    """In the writer thread (its connection dropped if the write broke it)."""
    _flush_quietly(functools.partial(_in_writer_thread, flush_touches))


def flush_touches(executemany: ExecuteMany | None = None) -> None:
    """Write the remembered last frames; by default on Django's connection, in
    one transaction. On failure they are remembered again for the next try."""
    _touched_at[0] = time.monotonic()
    with _untouched_lock:
        if not _untouched:
            return
        touches = list(_untouched.items())
        _untouched.clear()
    try:
        if executemany is None:
            with transaction.atomic():
                _write_touches(touches, _orm_executemany)
        else:
            _write_touches(touches, executemany)
    except BaseException:
        with _untouched_lock:
            for pk, touch in touches:
                _untouched.setdefault(pk, touch)  # a newer touch wins
        raise


def _orm_executemany(sql: str, rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _write_touches(touches: list[tuple[int, tuple[datetime, str]]], executemany: ExecuteMany) -> None:
    table = connection.ops.quote_name(Charger._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with_action = [(adapt(ts), action, pk) for pk, (ts, action) in touches if action]
    without = [(adapt(ts), pk) for pk, (ts, action) in touches if not action]
    if with_action:
        executemany(f"UPDATE {table} SET last_frame_at = %s, last_action = %s WHERE id = %s", with_action)
    if without:
        executemany(f"UPDATE {table} SET last_frame_at = %s WHERE id = %s", without)


# The writer thread, with its own persistent connection (asgiref's
# thread-sensitive hand-off cost ~0.25 ms a message, more than the write).
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer")


def _in_writer_thread(write: Callable[..., T], *args) -> T:
    """Run a write in the writer thread's connection."""
    try:
        return write(*args)
    except Exception:
        # Drop a connection that may be broken; the next write opens a new one.
        connection.close()
        raise


class LoopSqlite:
    """Frames written on the event loop itself, on a SQLite connection of
    their own.

    In WAL mode with synchronous=NORMAL a commit is a write() to the log, tens
    of microseconds; handing it to a thread cost far more (the hop, its futex
    wake-ups and the GIL hand-offs were a third of the server's CPU per
    message). This connection never waits for a lock: when another writer holds
    the database, the batch goes to the writer thread, which may wait. Its
    checkpoints (which fsync) run in the writer thread, never on the loop."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("busy_timeout = 0", "synchronous = NORMAL", "wal_autocheckpoint = 0"):
            self.db.execute(f"PRAGMA {pragma}")
        self.table = connection.ops.quote_name(Frame._meta.db_table)
        self.adapt = connection.ops.adapt_datetimefield_value
        self.unchecked = 0  # commits since the last checkpoint

    @classmethod
    def open(cls) -> LoopSqlite | None:
        """One for this loop, when the database is an SQLite file and the
        setting allows it; None otherwise (PostgreSQL: the writer thread)."""
        db = connection.settings_dict
        name = str(db.get("NAME") or "")
        if (
            not settings.OCPP_FRAME_WRITES_ON_LOOP
            or db.get("ENGINE") != "django.db.backends.sqlite3"
            or not name
            or name == ":memory:"
            or "mode=memory" in name
        ):
            return None
        return cls(name)

    def write(self, items: list[tuple[int, FrameRecord]]) -> list[Frame]:
        """Like write_frames; raises sqlite3.OperationalError ("database is
        locked") at once, having written nothing, when another writer holds
        the database."""
        objs = _numbered(self._insert, items, self._max_seq)
        self.unchecked += 1
        _touch_after(objs, self.flush_touches)
        return objs

    def _max_seq(self, charger_pk: int) -> int:
        row = self.db.execute(f"SELECT MAX(seq) FROM {self.table} WHERE charger_id = ?", (charger_pk,)).fetchone()
        return row[0] or 0

    def _insert(self, objs: list[Frame]) -> None:
        if len(objs) <= _ROWS_PER_INSERT:
            insert_frames(self.db.execute, objs, "?", self.adapt)  # one statement: atomic by itself
        else:
            self._in_transaction(insert_frames, self.db.execute, objs, "?", self.adapt)

    def _in_transaction(self, work: Callable[..., object], *args) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            work(*args)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        self.db.executemany(sql.replace("%s", "?"), rows)

    def flush_touches(self) -> None:
        self._in_transaction(flush_touches, self._executemany)

    def close(self) -> None:
        self.db.close()


class LoopPostgres:
    """Frames written from the event loop over psycopg's async connection.

    The writer thread's hop (futex wake-ups, GIL hand-offs) cost more CPU than
    the INSERT; an async connection waits for PostgreSQL without a thread.
    Statements bind on the server and are prepared after a few uses. When the
    connection fails mid-write nobody knows whether the frames were committed,
    so the batch is failed (its charger hears InternalError), never written a
    second time; the next batch opens a new connection."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.table = connection.ops.quote_name(Frame._meta.db_table)
        self.adapt = connection.ops.adapt_datetimefield_value

    @classmethod
    async def open(cls) -> LoopPostgres | None:
        """One for this loop, when the database is PostgreSQL and the setting
        allows it; None otherwise."""
        if not settings.OCPP_FRAME_WRITES_ON_LOOP or connection.vendor != "postgresql":
            return None
        params = connection.get_connection_params()
        for django_only in ("cursor_factory", "context"):
            params.pop(django_only, None)
        if "prepare_threshold" not in connection.settings_dict["OPTIONS"]:
            params.pop("prepare_threshold", None)  # psycopg's default: prepare after 5 uses
        return cls(await psycopg.AsyncConnection.connect(**params, autocommit=True))

    async def write(self, items: list[tuple[int, FrameRecord]]) -> list[Frame]:
        """_numbered's retries, awaiting PostgreSQL on the loop."""
        for attempt in range(3):
            chargers = {pk for pk, _ in items}
            # After a conflict (another process wrote frames of the same
            # charger), take up the numbering of every charger of the batch.
            unknown = chargers if attempt else chargers - _last_seq.keys()
            if unknown:
                await self._load_seqs(unknown)
            objs = _build(items, False, _last_seq.__getitem__)
            try:
                await self._insert(objs)
            except psycopg.errors.UniqueViolation:
                if attempt == 2:
                    raise
                continue
            _numbering_taken(objs)
            if _touch_chargers(objs):
                asyncio.get_running_loop().run_in_executor(_executor, _flush_in_thread)
            return objs
        raise AssertionError("unreachable")

    async def _load_seqs(self, chargers: set[int]) -> None:
        found = dict.fromkeys(chargers, 0)
        cursor = await self.conn.execute(
            f"SELECT charger_id, MAX(seq) FROM {self.table} WHERE charger_id = ANY(%s) GROUP BY charger_id",
            [list(chargers)],
        )
        found.update(await cursor.fetchall())
        _last_seq.update(found)

    async def _insert(self, objs: list[Frame]) -> None:
        if len(objs) <= _ROWS_PER_INSERT:  # one statement in autocommit: atomic by itself
            await self._insert_chunks(objs)
        else:
            async with self.conn.transaction():
                await self._insert_chunks(objs)

    async def _insert_chunks(self, objs: list[Frame]) -> None:
        # A raw cursor takes PostgreSQL's $n placeholders as they are: psycopg
        # caches its %s conversion only for statements of up to 50 parameters,
        # and parsed ours (11 a frame) anew every time, a tenth of the loop.
        cursor = psycopg.AsyncRawCursor(self.conn)
        for chunk, sql, params in _statements(objs, "$", self.adapt):
            await cursor.execute(sql, params)
            _set_ids(chunk, await cursor.fetchall())


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _checkpoint() -> None:
    """Copy the write-ahead log into the database (in the writer thread: it
    fsyncs). PASSIVE: it never waits for readers or writers."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


class FrameWriter:
    """Collects frames arriving while a commit is under way and commits them
    together next; one writer per event loop."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, list[FrameRecord], asyncio.Future]] = []
        self.task: asyncio.Task | None = None
        self.touching: asyncio.Task | None = None
        self.listening: set[asyncio.Task] = set()
        self.unannounced: set[int] = set()
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
            self.loop_pg.conn.pgconn.finish()
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
                return loop_db.write(items)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    self.close()  # reopened by the next batch
                    self.loop_db_checked = False
                    raise
            # Another writer holds the database: wait for it in the thread.
        return await asyncio.get_running_loop().run_in_executor(_executor, _in_writer_thread, write_frames, items)

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
        if (_untouched or (self.loop_db and self.loop_db.unchecked)) and (
            self.touching is None or self.touching.done()
        ):
            # Traffic may stop: the last frames' times are written a second later.
            self.touching = asyncio.create_task(self._touch_later())

    async def _announce_later(self) -> None:
        """Tell live viewers which chargers got frames: one message to one group
        per interval, however many chargers and commits (a group_send per
        charger and commit grew with the fleet; on Redis each is a round trip)."""
        await asyncio.sleep(ANNOUNCE_INTERVAL)
        chargers, self.unannounced = self.unannounced, set()
        await announce(chargers=chargers)

    async def _touch_later(self) -> None:
        """A second after traffic: write last frame times; checkpoint the log."""
        await asyncio.sleep(TOUCH_INTERVAL)
        loop = asyncio.get_running_loop()
        if self.loop_db is not None:
            _flush_quietly(self.loop_db.flush_touches)
        else:
            await loop.run_in_executor(_executor, _flush_in_thread)
        if self.loop_db is not None and self.loop_db.unchecked:
            self.loop_db.unchecked = 0
            try:
                await loop.run_in_executor(_executor, _in_writer_thread, _checkpoint)
            except Exception:
                log.warning("Could not checkpoint the SQLite write-ahead log", exc_info=True)


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


# Live viewers (chargers.live) hear which chargers got frames at most every
# ANNOUNCE_INTERVAL seconds.
ANNOUNCE_INTERVAL = 0.2


async def _tell_listeners(frames: list[Frame]) -> None:
    """Hand committed frames to the listeners (verdicts), charger by charger."""
    by_charger: dict[int, list[Frame]] = {}
    for frame in frames:
        by_charger.setdefault(frame.charger_id, []).append(frame)
    for charger_pk, group in by_charger.items():
        for listener in hooks.frames_committed:
            try:
                await listener(charger_pk, group)
            except Exception:
                log.exception("frames_committed hook %r failed", listener)
