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
WRITERS = pytest.mark.parametrize("on_loop", [True, False], ids=["on-loop", "writer-thread"])


def records(n: int, tag: str) -> list[FrameRecord]:
    return [
        FrameRecord(direction=Frame.IN, raw=f'[2,"{tag}-{i}","Heartbeat",{{}}]', action="Heartbeat") for i in range(n)
    ]


async def store_two_chargers(a: int, b: int) -> list[Frame]:
    # Gathered: both chargers' frames land in the same batch (one commit).
    first, second = await asyncio.gather(store_frames(a, records(3, "a")), store_frames(b, records(2, "b")))
    return [*first, *second]


def two_chargers_stored(on_loop: bool) -> list[Frame]:
    a = Charger.objects.create(charge_point_id="CP-W-A")
    b = Charger.objects.create(charge_point_id="CP-W-B")
    with override_settings(OCPP_FRAME_WRITES_ON_LOOP=on_loop):
        return asyncio.run(store_two_chargers(a.pk, b.pk))


@WRITERS
def test_returned_frames_are_the_stored_rows(on_loop):
    stored = two_chargers_stored(on_loop)
    rows = {f.pk: (f.charger_id, f.seq, f.raw) for f in Frame.objects.all()}
    assert len(rows) == 5
    assert {f.pk: (f.charger_id, f.seq, f.raw) for f in stored} == rows


@WRITERS
def test_frames_of_one_batch_are_numbered_per_charger(on_loop):
    assert [f.seq for f in two_chargers_stored(on_loop)] == [1, 2, 3, 1, 2]


# -- a locked database -------------------------------------------------------------------------


@pytest.fixture
def locked_scenario(monkeypatch):
    """One frame stored on the loop; then two while another writer holds the file."""
    if connection.vendor != "sqlite":
        pytest.skip("the on-loop writer is SQLite's")
    charger = Charger.objects.create(charge_point_id="CP-W-LOCK")
    seen: dict = {"in thread": []}
    real_write = thread.write
    monkeypatch.setattr(thread, "write", lambda items: seen["in thread"].append(len(items)) or real_write(items))
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)

    async def scenario() -> list[Frame]:
        await store_frames(charger.pk, records(1, "before"))
        loop_db = writer._writers[asyncio.get_running_loop()].loop_db
        seen["busy timeout"] = loop_db.db.execute("PRAGMA busy_timeout").fetchone()
        seen["in thread before the lock"] = list(seen["in thread"])
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
        storing = asyncio.create_task(store_frames(charger.pk, records(2, "during")))
        await asyncio.sleep(0.3)
        seen["answered while locked"] = storing.done()
        holder.execute("COMMIT")
        return await asyncio.wait_for(storing, 20)

    try:
        seen["stored"] = asyncio.run(scenario())
    finally:
        holder.close()
    seen["charger"] = charger
    return seen


def test_the_loops_connection_never_waits_for_a_lock(locked_scenario):
    # A wait would stop every charger of the process.
    assert locked_scenario["busy timeout"] == (0,)


def test_frames_go_to_the_writer_thread_only_when_the_database_is_locked(locked_scenario):
    assert locked_scenario["in thread before the lock"] == []
    assert locked_scenario["in thread"] == [2]


def test_no_frame_is_answered_while_the_database_is_locked(locked_scenario):
    assert not locked_scenario["answered while locked"]


def test_the_writer_thread_numbers_on_from_the_loop(locked_scenario):
    assert [f.seq for f in locked_scenario["stored"]] == [2, 3]
    assert list(Frame.objects.filter(charger=locked_scenario["charger"]).values_list("seq", "raw")) == [
        (1, '[2,"before-0","Heartbeat",{}]'),
        (2, '[2,"during-0","Heartbeat",{}]'),
        (3, '[2,"during-1","Heartbeat",{}]'),
    ]


def test_frames_the_writer_thread_returns_are_its_stored_rows(locked_scenario):
    stored_pks = set(Frame.objects.filter(charger=locked_scenario["charger"], seq__gt=1).values_list("pk", flat=True))
    assert {f.pk for f in locked_scenario["stored"]} == stored_pks


def test_writes_on_loop_only_for_an_sqlite_file(settings):
    settings.OCPP_FRAME_WRITES_ON_LOOP = False
    assert loop_sqlite.LoopSqlite.open() is None


# -- last-seen times ---------------------------------------------------------------------------


@pytest.fixture
def failed_touch(monkeypatch, request):
    """The last-seen times are written after the frames' own commit; here that write fails."""
    charger = Charger.objects.create(charge_point_id="CP-W-TOUCH")

    def locked(*args) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(touches, "write_touches", locked)
    event = FrameRecord(direction=Frame.EVENT, raw='{"event":"connected"}')  # due at once
    with override_settings(OCPP_FRAME_WRITES_ON_LOOP=request.param):
        stored = asyncio.run(store_frames(charger.pk, [event, *records(2, "t")]))
    return charger, stored


TOUCH_WRITERS = pytest.mark.parametrize("failed_touch", [True, False], ids=["on-loop", "writer-thread"], indirect=True)


@TOUCH_WRITERS
def test_a_failed_last_seen_update_fails_no_frame(failed_touch):
    _, stored = failed_touch
    assert [f.seq for f in stored] == [1, 2, 3]


@TOUCH_WRITERS
def test_a_failed_last_seen_update_repeats_no_frame(failed_touch):
    charger, _ = failed_touch
    assert list(Frame.objects.filter(charger=charger).values_list("seq", flat=True)) == [1, 2, 3]


@TOUCH_WRITERS
def test_a_failed_last_seen_update_is_tried_again(failed_touch, monkeypatch):
    charger, _ = failed_touch
    assert charger.pk in touches.untouched  # kept for the next write
    monkeypatch.undo()
    touches.flush_touches()
    charger.refresh_from_db()
    assert charger.last_action == "Heartbeat"
