"""Frames written from the event loop over psycopg's async connection.

The writer thread's hop (futex wake-ups, GIL hand-offs) cost more CPU than the
INSERT; an async connection waits for PostgreSQL without a thread. Statements
bind on the server and are prepared after a few uses. When the connection fails
mid-write nobody knows whether the frames were committed, so the batch is failed
(its charger hears InternalError), never written a second time; the next batch
opens a new connection."""

from __future__ import annotations

import asyncio

import psycopg
from django.conf import settings
from django.db import connection

from ..models import Frame
from . import thread
from .numbering import numbered
from .rows import ROWS_PER_INSERT, FrameRecord, set_ids, statements
from .touches import touch_chargers


class LoopPostgres:
    def __init__(self, conn: psycopg.AsyncConnection) -> None:
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
        """Store the frames, awaiting PostgreSQL on the loop; the last-seen
        times go to the writer thread when due."""
        objs = await numbered(items, self._load, self._insert, (psycopg.errors.UniqueViolation,))
        if touch_chargers(objs):
            asyncio.get_running_loop().run_in_executor(thread.executor, thread.flush)
        return objs

    async def _load(self, chargers: set[int]) -> dict[int, int]:
        cursor = await self.conn.execute(
            f"SELECT charger_id, MAX(seq) FROM {self.table} WHERE charger_id = ANY(%s) GROUP BY charger_id",
            [list(chargers)],
        )
        return dict(await cursor.fetchall())

    async def _insert(self, objs: list[Frame]) -> None:
        if len(objs) <= ROWS_PER_INSERT:  # one statement in autocommit: atomic by itself
            await self._insert_chunks(objs)
        else:
            async with self.conn.transaction():
                await self._insert_chunks(objs)

    async def _insert_chunks(self, objs: list[Frame]) -> None:
        # A raw cursor takes PostgreSQL's $n placeholders as they are: psycopg
        # caches its %s conversion only for statements of up to 50 parameters,
        # and parsed ours (11 a frame) anew every time, a tenth of the loop.
        cursor = psycopg.AsyncRawCursor(self.conn)
        for chunk, sql, params in statements(objs, "$", self.adapt):
            await cursor.execute(sql, params)
            set_ids(chunk, await cursor.fetchall())

    def close(self) -> None:
        """Close at once, also when its loop is closed already."""
        self.conn.pgconn.finish()
