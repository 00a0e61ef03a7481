"""Charger.last_frame_at/last_action, written for all chargers at once at most
once a second: the dashboard needs no more. With a fleet each charger's frames
come seconds apart, so an UPDATE per charger and batch cost 6% of the server.

The frames are committed before their chargers are touched: a failure here never
fails them (nor makes anyone write them again); the times wait for the next try.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction

from ..models import Charger, Frame
from .rows import locked

log = logging.getLogger("chargers.frames")

TOUCH_INTERVAL = 1.0
# charger pk -> (last frame time, last action): emptied at each flush, every second.
untouched: dict[int, tuple[datetime, str]] = {}
_untouched_lock = threading.Lock()  # the loop (SQLite inline) and the writer thread both touch
_touched_at = [float("-inf")]
ExecuteMany = Callable[[str, list[tuple]], None]


def touch_chargers(objs: list[Frame]) -> bool:
    """Remember each charger's latest frame; True when they are due to be
    written: the interval has passed or a connection event came (the
    dashboard shows those at once)."""
    event = False
    with _untouched_lock:
        for obj in objs:
            previous = untouched.get(obj.charger_id)
            if obj.direction == Frame.EVENT:
                event = True
                action = previous[1] if previous else ""
            else:
                action = obj.action or (previous[1] if previous else "")
            untouched[obj.charger_id] = (obj.ts, action)
    return event or time.monotonic() - _touched_at[0] >= TOUCH_INTERVAL


def touch_after(objs: list[Frame], flush: Callable[[], None]) -> None:
    """Remember the frames' chargers as touched and write them when due."""
    if touch_chargers(objs):
        flush_quietly(flush)


def flush_quietly(flush: Callable[[], None]) -> None:
    """Write the last-seen times; a failure is logged (a locked SQLite file not
    even that) and the times wait for the next try (flush_touches keeps them)."""
    try:
        flush()
    except sqlite3.OperationalError as exc:
        if not locked(exc):
            log.warning("Could not update the chargers' last frame times", exc_info=True)
    except Exception:
        log.warning("Could not update the chargers' last frame times", exc_info=True)


def flush_touches(executemany: ExecuteMany | None = None) -> None:
    """Write the remembered last frames; by default on Django's connection, in
    one transaction. On failure they are remembered again for the next try."""
    _touched_at[0] = time.monotonic()
    with _untouched_lock:
        if not untouched:
            return
        touches = list(untouched.items())
        untouched.clear()
    try:
        if executemany is None:
            with transaction.atomic():
                write_touches(touches, _orm_executemany)
        else:
            write_touches(touches, executemany)
    except BaseException:
        with _untouched_lock:
            for pk, touch in touches:
                untouched.setdefault(pk, touch)  # a newer touch wins
        raise


def _orm_executemany(sql: str, rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def write_touches(touches: list[tuple[int, tuple[datetime, str]]], executemany: ExecuteMany) -> None:
    table = connection.ops.quote_name(Charger._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with_action = [(adapt(ts), action, pk) for pk, (ts, action) in touches if action]
    without = [(adapt(ts), pk) for pk, (ts, action) in touches if not action]
    if with_action:
        executemany(f"UPDATE {table} SET last_frame_at = %s, last_action = %s WHERE id = %s", with_action)
    if without:
        executemany(f"UPDATE {table} SET last_frame_at = %s WHERE id = %s", without)
