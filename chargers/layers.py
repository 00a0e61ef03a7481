"""Channel layers as a charger fleet needs them, for a process that runs for months.

The in-memory layer (the embedded default) scans every channel and group for
expired entries on every send, receive and group_send: with a thousand chargers
that scan cost more than the rest of a frame (13% of the server's CPU in the
1,000-charger benchmark). Here it runs at most once a second.

The Redis channel layer, made to outlive a Redis outage.

channels-redis lets a connection error escape `receive()`, which ends the
consumer and with it the charger's WebSocket. A charger must keep being served
(and logged) by its process while Redis is away; only commands across
processes need Redis. So receiving waits, with back-off, for Redis to return.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

LAYER_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError, TimeoutError)


class FleetInMemoryChannelLayer(InMemoryChannelLayer):
    """InMemoryChannelLayer whose expiry sweep runs at most once a second.

    Messages expire after `expiry` seconds (60 here); sweeping up to a second
    late changes nothing a command relies on (commands carry their own
    deliver_by). The sweep is also what bounds the layer's memory: a message
    nobody receives (a reply to a command whose sender gave up, a command to a
    connection just closed) goes with its channel when it expires; a group's
    member goes when its consumer disconnects (group_discard)."""

    sweep_every = 1.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._swept_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_every:
            return
        self._swept_at = now
        super()._clean_expired()

    async def flush(self) -> None:
        await super().flush()
        self._swept_at = float("-inf")


class ResilientRedisChannelLayer(RedisChannelLayer):
    """channels-redis's layer, receiving through Redis outages (above), and with
    its receive buffers bounded: it keeps a buffer for each channel of this
    process that got a message until that channel receives it, which a reply to
    a command whose sender gave up, or a message to a connection already closed,
    never does. A buffer nobody has waited on for `expiry` seconds (when the
    message would have expired in Redis) is dropped."""

    _warned_at = 0.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: dict[str, int] = {}  # channel -> receives under way; removed at 0
        self._unwaited: dict[str, float] = {}  # buffered channel -> when seen with no receive under way
        self._swept_at = float("-inf")

    async def receive(self, channel):
        self.sweep_buffers()
        self._waiting[channel] = self._waiting.get(channel, 0) + 1
        self._unwaited.pop(channel, None)
        try:
            return await self._receive_through_outages(channel)
        finally:
            if self._waiting[channel] > 1:
                self._waiting[channel] -= 1
            else:
                del self._waiting[channel]

    def sweep_buffers(self, now: float | None = None) -> None:
        """At most every `expiry` seconds: drop the buffers of channels that no
        receive has waited on since the sweep before."""
        now = asyncio.get_running_loop().time() if now is None else now
        if now - self._swept_at < self.expiry:
            return
        self._swept_at = now
        for channel in list(self.receive_buffer):
            if channel in self._waiting:
                continue
            if now - self._unwaited.setdefault(channel, now) >= self.expiry:
                del self.receive_buffer[channel]
        for channel in [c for c in self._unwaited if c not in self.receive_buffer]:
            del self._unwaited[channel]

    async def _receive_through_outages(self, channel):
        delay = 0.2
        while True:
            started = time.monotonic()
            try:
                return await super().receive(channel)
            except RedisTimeoutError as exc:
                if time.monotonic() - started >= 1.0:
                    # A long blocking read ran out: Redis is there, so ask
                    # again at once (a pause here stalls every command waiting
                    # in this process).
                    continue
                error: Exception = exc
            except LAYER_ERRORS as exc:
                error = exc
            now = time.monotonic()
            if now - self._warned_at > 30:
                self._warned_at = now
                log.warning("Redis channel layer unavailable (%s); retrying, chargers stay served", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
