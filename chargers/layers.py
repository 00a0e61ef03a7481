"""The Redis channel layer, made to outlive a Redis outage.

channels-redis lets a connection error escape `receive()`, which ends the
consumer and with it the charger's WebSocket. A charger must keep being served
(and logged) by its process while Redis is away; only commands across
processes need Redis. So receiving waits, with back-off, for Redis to return.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

LAYER_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError, TimeoutError)


class ResilientRedisChannelLayer(RedisChannelLayer):
    _warned_at = 0.0

    async def receive(self, channel):
        delay = 0.2
        while True:
            try:
                return await super().receive(channel)
            except LAYER_ERRORS as exc:
                now = time.monotonic()
                if now - self._warned_at > 30:
                    self._warned_at = now
                    log.warning("Redis channel layer unavailable (%s); retrying, chargers stay served", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
