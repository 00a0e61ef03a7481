"""The writer thread, with its own persistent Django connection: it takes the
batches the loop cannot write (a locked SQLite file; OCPP_FRAME_WRITES_ON_LOOP
off), the chargers' last-seen times on PostgreSQL, and SQLite's checkpoints.
asgiref's thread-sensitive hand-off cost ~0.25 ms a message, more than the write."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from ..models import Frame
from .numbering import numbered
from .rows import ROWS_PER_INSERT, FrameRecord, insert_frames
from .touches import flush_quietly, flush_touches, touch_after

T = TypeVar("T")
# Replaced after a fork (tests/conftest.py): a pool's thread does not survive one.
executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer")
CONFLICTS = (IntegrityError, sqlite3.IntegrityError)


def in_writer_thread(write: Callable[..., T], *args) -> T:
    """Run a write on the writer thread's connection."""
    try:
        return write(*args)
    except CONFLICTS:
        raise  # a seq taken by another process: the connection is fine
    except Exception:
        # Drop a connection that may be broken; the next write opens a new one.
        connection.close()
        raise


async def run(write: Callable[..., T], *args) -> T:
    """Await a write done in the writer thread."""
    return await asyncio.get_running_loop().run_in_executor(executor, in_writer_thread, write, *args)


async def write(items: list[tuple[int, FrameRecord]]) -> list[Frame]:
    """Store frames of any chargers atomically, in the order given, from the writer thread."""
    return await numbered(items, _load, _insert, CONFLICTS)


async def _load(chargers: set[int]) -> dict[int, int]:
    return await run(max_seqs, chargers)


async def _insert(objs: list[Frame]) -> None:
    await run(insert_and_touch, objs)


def max_seqs(chargers: set[int]) -> dict[int, int]:
    rows = Frame.objects.filter(charger_id__in=chargers).order_by().values("charger_id").annotate(m=Max("seq"))
    return {row["charger_id"]: row["m"] for row in rows}


def _raw_cursor():
    """A cursor on the writer's connection. On PostgreSQL a psycopg cursor that
    binds on the server: Django's binds on the client, quoting every value
    (a frame's raw text included) into the SQL in Python."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def insert_and_touch(objs: list[Frame]) -> None:
    """INSERT the frames, then write their chargers' last-seen times when due."""
    with _raw_cursor() as cursor:

        def execute(sql: str, params: list) -> list[tuple]:
            cursor.execute(sql, params)
            return cursor.fetchall()

        if len(objs) <= ROWS_PER_INSERT:
            # One statement in autocommit is atomic by itself: one round trip
            # instead of BEGIN, INSERT, COMMIT.
            insert_frames(execute, objs, "%s")
        else:
            with transaction.atomic():
                insert_frames(execute, objs, "%s")
    touch_after(objs, flush_touches)


def flush() -> None:
    """The chargers' last-seen times, in the writer thread (its connection
    dropped if the write broke it)."""
    flush_quietly(functools.partial(in_writer_thread, flush_touches))


def checkpoint() -> None:
    """Copy SQLite's write-ahead log into the database (here: it fsyncs).
    PASSIVE: it never waits for readers or writers."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
