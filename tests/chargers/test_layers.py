"""The Redis channel layer's receive buffers stay bounded in a process that runs
for months: a message for a channel of this process that nobody receives any
more (a reply to a command whose sender gave up) is dropped once it would have
expired, and a channel that receives again keeps its messages. Real Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from chargers.layers import ResilientRedisChannelLayer

pytestmark = pytest.mark.redis


@pytest.fixture
async def layer(redis_url):
    layer = ResilientRedisChannelLayer(hosts=[redis_url], prefix=f"test-{uuid.uuid4().hex[:8]}", expiry=60)
    yield layer
    await layer.flush()


async def buffered(layer: ResilientRedisChannelLayer, channel: str, message: dict) -> str:
    """A message for `channel` pulled off Redis by another channel's receive, as
    a busy process does: it waits in the layer's buffer for `channel`."""
    other = await layer.new_channel()
    await layer.send(channel, message)
    await layer.send(other, {"type": "other"})
    assert await layer.receive(other) == {"type": "other"}
    assert channel in layer.receive_buffer
    return channel


async def test_a_message_nobody_receives_is_dropped_once_it_would_have_expired(layer):
    abandoned = await buffered(layer, await layer.new_channel(), {"type": "command.reply"})
    now = asyncio.get_running_loop().time()
    layer.sweep_buffers(now=now + 60)
    assert abandoned in layer.receive_buffer  # seen unreceived once: kept for now
    layer.sweep_buffers(now=now + 120)
    assert abandoned not in layer.receive_buffer


async def test_a_channel_that_receives_again_keeps_its_message(layer):
    channel = await buffered(layer, await layer.new_channel(), {"type": "command.ack"})
    now = asyncio.get_running_loop().time()
    layer.sweep_buffers(now=now + 60)
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "command.ack"}
    layer.sweep_buffers(now=now + 120)
    assert channel not in layer.receive_buffer and layer._unwaited == {}
