"""The frame writer: with SQLite, frames are committed on the event loop; when
another writer holds the database they wait in the writer thread instead, and
the loop keeps running. Either way the returned frames are the stored rows."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from django.db import connection
from django.test import override_settings

from chargers.frames import FrameRecord, loop_sqlite, store_frames, thread, touches, writer
from chargers.models import Charger, Frame

pytestmark = pytest.mark.django_db(transaction=True)


def records(n: int, tag: str) -> list[FrameRecord]:
    return [
        FrameRecord(direction=Frame.IN, raw=f'[2,"{tag}-{i}","Heartbeat",{{}}]', action="Heartbeat") for i in range(n)
    ]


async def store_two_chargers(a: int, b: int) -> list[Frame]:
    # Gathered: both chargers' frames land in the same batch (one commit).
    first, second = await asyncio.gather(store_frames(a, records(3, "a")), store_frames(b, records(2, "b")))
    return [*first, *second]


@pytest.mark.parametrize("on_loop", [True, False], ids=["on-loop", "writer-thread"])
def test_returned_frames_are_the_stored_rows(on_loop):
    a = Charger.objects.create(charge_point_id="CP-W-A")
    b = Charger.objects.create(charge_point_id="CP-W-B")
    with override_settings(OCPP_FRAME_WRITES_ON_LOOP=on_loop):
        stored = asyncio.run(store_two_chargers(a.pk, b.pk))
    rows = {f.pk: (f.charger_id, f.seq, f.raw) for f in Frame.objects.all()}
    assert len(rows) == 5
    assert {f.pk: (f.charger_id, f.seq, f.raw) for f in stored} == rows
    assert [f.seq for f in stored] == [1, 2, 3, 1, 2]


def test_a_locked_database_sends_frames_to_the_thread_and_the_loop_never_waits(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("the on-loop writer is SQLite's")
    charger = Charger.objects.create(charge_point_id="CP-W-LOCK")
    in_thread: list[int] = []
    real_write = thread.write
    monkeypatch.setattr(thread, "write", lambda items: in_thread.append(len(items)) or real_write(items))
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)

    async def scenario() -> tuple[list[Frame], int]:
        await store_frames(charger.pk, records(1, "before"))
        loop_db = writer._writers[asyncio.get_running_loop()].loop_db
        # The loop's connection never waits for a lock: a wait would stop every charger.
        assert loop_db.db.execute("PRAGMA busy_timeout").fetchone() == (0,)
        assert in_thread == []
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
        storing = asyncio.create_task(store_frames(charger.pk, records(2, "during")))
        await asyncio.sleep(0.3)
        assert not storing.done(), "a frame was answered while the database was locked"
        holder.execute("COMMIT")
        return await asyncio.wait_for(storing, 20)

    try:
        stored = asyncio.run(scenario())
    finally:
        holder.close()
    assert in_thread == [2], "the locked batch did not go to the writer thread"
    assert [f.seq for f in stored] == [2, 3]
    assert list(Frame.objects.filter(charger=charger).values_list("seq", "raw")) == [
        (1, '[2,"before-0","Heartbeat",{}]'),
        (2, '[2,"during-0","Heartbeat",{}]'),
        (3, '[2,"during-1","Heartbeat",{}]'),
    ]
    assert {f.pk for f in stored} == set(Frame.objects.filter(charger=charger, seq__gt=1).values_list("pk", flat=True))


def test_writes_on_loop_only_for_an_sqlite_file(settings):
    settings.OCPP_FRAME_WRITES_ON_LOOP = False
    assert loop_sqlite.LoopSqlite.open() is None


@pytest.mark.parametrize("on_loop", [True, False], ids=["on-loop", "writer-thread"])
def test_a_failed_last_seen_update_neither_fails_nor_repeats_the_frames(monkeypatch, on_loop):
    """The last-seen times are written after the frames' own commit: when that
    write fails the frames stand, once, and the times are tried again later."""
    charger = Charger.objects.create(charge_point_id="CP-W-TOUCH")

    def locked(*args) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(touches, "write_touches", locked)
    event = FrameRecord(direction=Frame.EVENT, raw='{"event":"connected"}')  # due at once
    with override_settings(OCPP_FRAME_WRITES_ON_LOOP=on_loop):
        stored = asyncio.run(store_frames(charger.pk, [event, *records(2, "t")]))
    assert [f.seq for f in stored] == [1, 2, 3]
    assert list(Frame.objects.filter(charger=charger).values_list("seq", flat=True)) == [1, 2, 3]
    assert charger.pk in touches.untouched  # kept for the next write
    monkeypatch.undo()
    touches.flush_touches()
    charger.refresh_from_db()
    assert charger.last_action == "Heartbeat"
