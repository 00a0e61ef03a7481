"""The one place where evidence frames are stored.

Every frame in both directions, and every connection event, goes through
`store_frame`, which returns only once the frame is committed: the protocol
answers a CALL only after that, so nothing is ever answered that is not stored.
Concurrent frames (of all chargers of this process) are committed together in
one transaction: a group commit that keeps the promise at a fraction of the cost
of a transaction per frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from channels.layers import get_channel_layer
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

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


# Async callbacks told about committed frames: (charger_pk, frames). The certify
# app registers its verdict evaluation here; chargers knows nothing of it.
FrameListener = Callable[[int, list[Frame]], Awaitable[None]]
frame_listeners: list[FrameListener] = []

# Last seq written per charger by this process; reloaded on conflict.
_last_seq: dict[int, int] = {}


def _next_seq(charger_pk: int, reload: bool) -> int:
    if reload or charger_pk not in _last_seq:
        last = Frame.objects.filter(charger_id=charger_pk).aggregate(m=Max("seq"))["m"] or 0
        _last_seq[charger_pk] = last
    return _last_seq[charger_pk]


def write_frames(items: list[tuple[int, FrameRecord]]) -> list[Frame]:
    """Store frames of any chargers in one transaction, in the order given."""
    for attempt in range(3):
        try:
            return _write_frames(items, reload=attempt > 0)
        except IntegrityError:
            # Another process wrote frames of the same charger (it reconnected
            # there): take up its numbering and try again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write_frames(items: list[tuple[int, FrameRecord]], reload: bool) -> list[Frame]:
    with transaction.atomic():
        seqs: dict[int, int] = {}
        objs: list[Frame] = []
        for charger_pk, rec in items:
            if charger_pk not in seqs:
                seqs[charger_pk] = _next_seq(charger_pk, reload)
            seqs[charger_pk] += 1
            objs.append(
                Frame(
                    charger_id=charger_pk,
                    seq=seqs[charger_pk],
                    ts=rec.ts,
                    direction=rec.direction,
                    message_type=rec.message_type,
                    action=rec.action[:60],
                    unique_id=rec.unique_id[:100],
                    raw=rec.raw,
                    error_code=rec.error_code[:40],
                    note=rec.note[:500],
                    sent_by=rec.sent_by[:150],
                )
            )
        Frame.objects.bulk_create(objs)
        _touch_chargers(objs)
    _last_seq.update(seqs)
    return objs


# Charger.last_frame_at/last_action, written for all chargers at once at most
# once a second: the dashboard needs no more. With a fleet each charger's frames
# come seconds apart, so an UPDATE per charger and batch cost 6% of the server.
TOUCH_INTERVAL = 1.0
_untouched: dict[int, tuple[datetime, str]] = {}  # charger pk -> (last frame time, last action)
_touched_at = [float("-inf")]


def _touch_chargers(objs: list[Frame]) -> None:
    """Remember each charger's latest frame; write them all when the interval
    has passed or a connection event came (the dashboard shows those at once)."""
    event = False
    for obj in objs:
        previous = _untouched.get(obj.charger_id)
        if obj.direction == Frame.EVENT:
            event = True
            action = previous[1] if previous else ""
        else:
            action = obj.action or (previous[1] if previous else "")
        _untouched[obj.charger_id] = (obj.ts, action)
    if event or time.monotonic() - _touched_at[0] >= TOUCH_INTERVAL:
        flush_touches()


def flush_touches() -> None:
    """Write the remembered last frames (in the writer thread, like all writes)."""
    _touched_at[0] = time.monotonic()
    if not _untouched:
        return
    table = connection.ops.quote_name(Charger._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with_action = [(adapt(ts), action, pk) for pk, (ts, action) in _untouched.items() if action]
    without = [(adapt(ts), pk) for pk, (ts, action) in _untouched.items() if not action]
    with connection.cursor() as cursor:
        if with_action:
            cursor.executemany(f"UPDATE {table} SET last_frame_at = %s, last_action = %s WHERE id = %s", with_action)
        if without:
            cursor.executemany(f"UPDATE {table} SET last_frame_at = %s WHERE id = %s", without)
    _untouched.clear()


# One thread of its own writes frames, with its own persistent connection:
# asgiref's thread-sensitive hand-off cost ~0.25 ms a message, more than the
# write itself.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer")


def _in_writer_thread(write: Callable[..., T], *args) -> T:
    """Run a write in the writer thread's connection."""
    try:
        return write(*args)
    except Exception:
        # Drop a connection that may be broken; the next write opens a new one.
        connection.close()
        raise


class FrameWriter:
    """Collects frames arriving while a commit is under way and commits them
    together next; one writer per event loop."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, FrameRecord, asyncio.Future]] = []
        self.task: asyncio.Task | None = None
        self.touching: asyncio.Task | None = None
        self.announcing: set[asyncio.Task] = set()

    async def store(self, charger_pk: int, records: list[FrameRecord]) -> list[Frame]:
        loop = asyncio.get_running_loop()
        futures = []
        for record in records:
            future = loop.create_future()
            self.pending.append((charger_pk, record, future))
            futures.append(future)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                frames = await asyncio.get_running_loop().run_in_executor(
                    _executor, _in_writer_thread, write_frames, [(pk, rec) for pk, rec, _ in batch]
                )
            except Exception as exc:  # the database refused: every waiter learns it
                log.exception("Could not store %d frame(s)", len(batch))
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), frame in zip(batch, frames, strict=True):
                if not future.done():
                    future.set_result(frame)
            # Live updates and listeners must not hold up the next commit.
            task = asyncio.create_task(_announce(frames))
            self.announcing.add(task)
            task.add_done_callback(self.announcing.discard)
        if _untouched and (self.touching is None or self.touching.done()):
            # Traffic may stop: the last frames' times are written a second later.
            self.touching = asyncio.create_task(self._touch_later())

    async def _touch_later(self) -> None:
        await asyncio.sleep(TOUCH_INTERVAL)
        try:
            await asyncio.get_running_loop().run_in_executor(_executor, _in_writer_thread, flush_touches)
        except Exception:
            log.warning("Could not update the chargers' last frame times", exc_info=True)


_writers: dict[asyncio.AbstractEventLoop, FrameWriter] = {}


async def store_frames(charger_pk: int, records: list[FrameRecord]) -> list[Frame]:
    """Store frames of one charger, in order, and return them once committed
    (all in the same transaction: a CALL and its answer cost one commit)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        for old in [lp for lp in _writers if lp.is_closed()]:
            del _writers[old]
        writer = _writers[loop] = FrameWriter()
    return await writer.store(charger_pk, records)


async def store_frame(charger_pk: int, record: FrameRecord) -> Frame:
    """Store one frame and return it once committed."""
    return (await store_frames(charger_pk, [record]))[0]


ALL_CHARGERS_GROUP = "chargers"


def charger_group(charger_pk: int) -> str:
    """The channel-layer group of a charger's live viewers."""
    return f"charger.{charger_pk}"


_announce_warned = [0.0]


def _warn_announce(exc: Exception) -> None:
    """Once every 30 s at most: a Redis outage would otherwise flood the log."""
    import time

    if time.monotonic() - _announce_warned[0] > 30:
        _announce_warned[0] = time.monotonic()
        log.warning("Live updates not sent (channel layer: %s); frames are stored all the same", exc)


async def _announce(frames: list[Frame]) -> None:
    """Tell live viewers and listeners (verdicts) about committed frames."""
    by_charger: dict[int, list[Frame]] = {}
    for frame in frames:
        by_charger.setdefault(frame.charger_id, []).append(frame)
    layer = get_channel_layer()
    for charger_pk, group in by_charger.items():
        if layer is not None:
            try:
                event = {"type": "frames.stored", "charger": charger_pk, "ids": [f.pk for f in group]}
                await layer.group_send(charger_group(charger_pk), event)
                await layer.group_send(ALL_CHARGERS_GROUP, event)
            except Exception as exc:  # a lost live update must never lose a frame
                _warn_announce(exc)
        for listener in frame_listeners:
            try:
                await listener(charger_pk, group)
            except Exception:
                log.exception("Frame listener %r failed", listener)
