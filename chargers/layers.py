"""Channel layers as a charger fleet needs them.

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
    deliver_by)."""

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
    _warned_at = 0.0

    async def receive(self, channel):
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
