"""A frame as a table row: its columns, read off the Frame model; the Frame
instances a batch becomes; the INSERT statements that write them."""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models
from django.utils import timezone

from ..models import Frame


@dataclass
class FrameRecord:
    """A frame (or event) about to be stored; its fields are Frame's columns
    but the charger and the seq, which the writer gives it."""

    direction: str
    raw: str
    message_type: int | None = None
    action: str = ""
    unique_id: str = ""
    error_code: str = ""
    note: str = ""
    sent_by: str = ""
    ts: datetime = field(default_factory=timezone.now)


_FIELDS = [f for f in Frame._meta.concrete_fields if not f.primary_key]
# Frame's columns in model order (the order its positional constructor takes).
COLUMNS = tuple(f.attname for f in _FIELDS)
# Those a record brings; the writer puts charger_id and seq in front.
_NUMBERED = ("charger_id", "seq")
_RECORD_COLUMNS = COLUMNS[len(_NUMBERED) :]
assert COLUMNS[: len(_NUMBERED)] == _NUMBERED, "Frame's first columns must be charger and seq"
assert set(_RECORD_COLUMNS) == set(FrameRecord.__dataclass_fields__), "FrameRecord must hold Frame's other columns"
_record_values = operator.attrgetter(*_RECORD_COLUMNS)
# Text longer than its column is cut (PostgreSQL would refuse it; SQLite keep it).
_LIMITS = tuple((i, f.max_length) for i, f in enumerate(_FIELDS[len(_NUMBERED) :]) if isinstance(f, models.CharField))
_row_values = operator.attrgetter(*COLUMNS)
_TS = COLUMNS.index("ts")
ROWS_PER_INSERT = 500  # 11 parameters a row, well under SQLite's 32,766


def frame(charger_pk: int, seq: int, record: FrameRecord) -> Frame:
    """The Frame row a record becomes as frame `seq` of its charger.
    Positional, in model order: half the cost of keywords."""
    values = list(_record_values(record))
    for i, limit in _LIMITS:
        if len(values[i]) > limit:
            values[i] = values[i][:limit]
    return Frame(None, charger_pk, seq, *values)


@functools.lru_cache(maxsize=64)
def insert_sql(rows: int, mark: str) -> str:
    """The INSERT of `rows` frames; mark "?", "%s", or "$" for PostgreSQL's own
    numbered placeholders ($1, $2, ...)."""
    table = connection.ops.quote_name(Frame._meta.db_table)
    width = len(COLUMNS)
    if mark == "$":
        rows_sql = ["(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows)]
    else:
        rows_sql = ["(" + ", ".join([mark] * width) + ")"] * rows
    return f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {', '.join(rows_sql)} RETURNING id, charger_id, seq"


def statements(
    objs: list[Frame], mark: str, adapt: Callable[[datetime], object]
) -> Iterator[tuple[list[Frame], str, list]]:
    """(chunk, SQL, parameters) of the INSERTs of these frames, 500 rows each.
    Cheaper than bulk_create, which compiles the same statement anew for
    every batch. `adapt`: the database's adapt_datetimefield_value, looked up
    once by the loop writers (on the loop, Django's `connection` is a context
    variable: each task would build a new connection wrapper)."""
    for start in range(0, len(objs), ROWS_PER_INSERT):
        chunk = objs[start : start + ROWS_PER_INSERT]
        params: list = []
        for o in chunk:
            row = list(_row_values(o))
            row[_TS] = adapt(row[_TS])
            params += row
        yield chunk, insert_sql(len(chunk), mark), params


def set_ids(chunk: list[Frame], returned: Iterable[tuple]) -> None:
    # RETURNING promises no order: match the ids by (charger, seq).
    ids = {(c, q): pk for pk, c, q in returned}
    for o in chunk:
        o.pk = ids[(o.charger_id, o.seq)]


def insert_frames(
    execute: Callable[[str, list], Iterable[tuple]], objs: list[Frame], mark: str, adapt: Callable | None = None
) -> None:
    """INSERT frames and set their ids."""
    for chunk, sql, params in statements(objs, mark, adapt or connection.ops.adapt_datetimefield_value):
        set_ids(chunk, execute(sql, params))


def locked(exc: sqlite3.OperationalError) -> bool:
    """SQLite's "database is locked": another writer holds the file, no fault."""
    return "locked" in str(exc) or "busy" in str(exc)
