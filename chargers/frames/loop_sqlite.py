"""Frames written on the event loop itself, on a SQLite connection of their own.

In WAL mode with synchronous=NORMAL a commit is a write() to the log, tens of
microseconds; handing it to a thread cost far more (the hop, its futex wake-ups
and the GIL hand-offs were a third of the server's CPU per message). This
connection never waits for a lock: when another writer holds the database, the
batch goes to the writer thread, which may wait. Its checkpoints (which fsync)
run in the writer thread, never on the loop."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from ..models import Frame
from .numbering import numbered
from .rows import ROWS_PER_INSERT, FrameRecord, insert_frames
from .touches import flush_touches, touch_after


class LoopSqlite:
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
        setting allows it; None otherwise (PostgreSQL: see loop_postgres)."""
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

    async def write(self, items: list[tuple[int, FrameRecord]]) -> list[Frame]:
        """Store the frames (nothing here awaits: the loop runs each statement);
        raises sqlite3.OperationalError ("database is locked") at once, having
        written nothing, when another writer holds the database."""
        objs = await numbered(items, self._load, self._insert, (sqlite3.IntegrityError,))
        self.unchecked += 1
        touch_after(objs, self.flush_touches)
        return objs

    async def _load(self, chargers: set[int]) -> dict[int, int]:
        marks = ", ".join("?" * len(chargers))
        sql = f"SELECT charger_id, MAX(seq) FROM {self.table} WHERE charger_id IN ({marks}) GROUP BY charger_id"
        return dict(self.db.execute(sql, list(chargers)).fetchall())

    async def _insert(self, objs: list[Frame]) -> None:
        if len(objs) <= ROWS_PER_INSERT:
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
