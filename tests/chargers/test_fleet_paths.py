"""What keeps a fleet cheap must not lose anything: the chargers' last-seen
time written in batches still lands when traffic stops, and the in-memory
channel layer's lazier expiry sweep still drops expired messages and never
expires a charger's group membership."""

from __future__ import annotations

import asyncio
import os
import time
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from ocpp.v16 import call

from chargers.layers import FleetInMemoryChannelLayer
from chargers.models import Charger, Frame

from .client import boot, connected

pytestmark = pytest.mark.django_db(transaction=True)


async def test_last_seen_is_written_when_traffic_stops(live_server_ocpp):
    async with connected(live_server_ocpp.ws_url, "CP-LAST-SEEN") as charger:
        await boot(charger)
        await charger.call(call.Heartbeat())
        last = await sync_to_async(
            lambda: Frame.objects.filter(charger__charge_point_id="CP-LAST-SEEN").order_by("-seq").first()
        )()
        deadline = time.monotonic() + 10
        while True:
            record = await sync_to_async(Charger.objects.get)(charge_point_id="CP-LAST-SEEN")
            if record.last_frame_at == last.ts or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert (record.last_frame_at, record.last_action) == (last.ts, "Heartbeat")


async def test_the_lazy_sweep_still_expires_messages():
    layer = FleetInMemoryChannelLayer(expiry=0.05)
    layer.sweep_every = 0.1
    await layer.send("specific.a!x", {"type": "old"})
    await asyncio.sleep(0.2)
    await layer.send("specific.b!y", {"type": "new"})
    assert await layer.receive("specific.b!y") == {"type": "new"}  # receiving sweeps: the interval passed
    assert "specific.a!x" not in layer.channels


def test_charger_groups_do_not_expire_after_a_day():
    """Both layers' default group expiry is a day: a charger connected longer
    would stop getting live updates and commands routed by group."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    assert config["group_expiry"] >= 365 * 86400


def live_page(all_chargers: bool, chargers: set[int]):
    """A live socket's consumer showing all chargers or some (frames of all
    chargers are announced together on one group)."""
    from chargers.live import LiveConsumer

    consumer = LiveConsumer()
    consumer.all_chargers, consumer.chargers, consumer.dirty, consumer.flusher = all_chargers, chargers, set(), None
    return consumer


async def announced(consumer, chargers: list[int]) -> set[str]:
    await consumer.frames_stored({"type": "frames.stored", "chargers": chargers})
    if consumer.flusher:
        consumer.flusher.cancel()
    return consumer.dirty


async def test_a_charger_page_ignores_an_announcement_without_its_charger():
    assert await announced(live_page(False, {7}), [3, 5]) == set()


async def test_a_charger_page_marks_its_charger_from_the_one_announcement():
    assert await announced(live_page(False, {7}), [3, 7]) == {"frames", "charger-7"}


async def test_the_dashboard_marks_every_charger_announced():
    assert await announced(live_page(True, set()), [3, 7]) == {"frames", "charger-3", "charger-7"}


def test_redis_reads_outlast_the_blocking_receive():
    """channels-redis blocks up to brpop_timeout in BZPOPMIN; a socket timeout no
    longer than that (redis-py 8's default is 5 s, the same) made reads time
    out now and then and stalled every command of the process."""
    import json
    import subprocess
    import sys

    from channels_redis.core import RedisChannelLayer

    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15", "DEBUG": "1"}
    env.pop("REDIS_SOCKET_TIMEOUT", None)
    printed = subprocess.run(
        [sys.executable, "-c", "import json, certify.settings as s; print(json.dumps(s.CHANNEL_LAYERS))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    (host,) = json.loads(printed)["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout


async def test_a_timed_out_read_is_asked_again_at_once(monkeypatch):
    """A blocking read that ran out is retried without the outage back-off."""
    from channels_redis.core import RedisChannelLayer
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from chargers import layers

    answers = [RedisTimeoutError("Timeout reading"), {"type": "command.ack"}]

    async def receive(self, channel):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = iter([100.0, 106.0, 106.0, 106.0])  # the failed read took 6 s
    monkeypatch.setattr(layers, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    monkeypatch.setattr(RedisChannelLayer, "receive", receive)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(layers.asyncio, "sleep", sleep)
    layer = layers.ResilientRedisChannelLayer(hosts=["redis://127.0.0.1:6379/15"])
    assert await layer.receive("specific.x!y") == {"type": "command.ack"}
    assert pauses == []
