"""The dashboard's live socket: one per page, `/ws/live/?topics=...`.

It does not push HTML for each frame. It sends a short, throttled "tick" naming
what changed (e.g. `frames charger-3`); the page's parts that listen for that
topic re-fetch themselves through their own partial views, so each piece of
HTML has one source and a busy charger costs a browser at most a few requests
a second.

Topics: `chargers` (every charger's frames), `charger-<pk>` (one charger's), and
any `<kind>.<name>` an app names and announces (its tick names the kind and the
topic, e.g. `report report.7`); this module knows none of those names.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from .roles import role_of

log = logging.getLogger(__name__)

TICK_INTERVAL = 0.5
# Frames of every charger are announced on one group; each page picks out its
# chargers (a group per charger cost a group_send per charger and commit, on
# Redis a round trip each).
ALL_CHARGERS_GROUP = "chargers"


TOPIC = re.compile(r"^[a-z][a-z0-9_]{0,30}\.[A-Za-z0-9_-]{1,60}$")


def topic_group(topic: str) -> str:
    """The channel-layer group of a topic: prefixed, so a page names only topics."""
    return f"live.{topic}"


async def announce(*, chargers: Iterable[int] = (), topics: Iterable[str] = ()) -> None:
    """The one way live updates leave: tell the pages showing these chargers'
    frames (`frames.stored`), or these topics (`topic.changed`), that they
    changed. A lost update never fails its caller (a frame is stored all the
    same); the failure is logged at most every 30 s, not once per update."""
    messages = []
    if chargers:
        messages.append((ALL_CHARGERS_GROUP, {"type": "frames.stored", "chargers": sorted(chargers)}))
    for topic in topics:
        messages.append((topic_group(topic), {"type": "topic.changed", "topic": topic}))
    layer = get_channel_layer()
    if layer is None:
        return
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception as exc:
            _warn_lost(exc)


_warned_at = [float("-inf")]


def _warn_lost(exc: Exception) -> None:
    """Once every 30 s at most: a Redis outage would otherwise flood the log."""
    if time.monotonic() - _warned_at[0] > 30:
        _warned_at[0] = time.monotonic()
        log.warning("Live updates not sent (channel layer: %s); frames are stored all the same", exc)


class LiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(role_of)(user):
            await self.close()
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.groups_joined: list[str] = []  # left at disconnect, so no group keeps a closed page
        # Frames of every charger are announced on one group; this page picks
        # out all of them or the ones it shows.
        self.all_chargers = False
        self.chargers: set[int] = set()
        for topic in query.get("topics", [""])[0].split(","):
            kind, _, ident = topic.partition("-")
            if topic == "chargers":
                self.all_chargers = True
            elif kind == "charger" and ident.isdigit():
                self.chargers.add(int(ident))
            elif TOPIC.match(topic):
                self.groups_joined.append(topic_group(topic))
        if self.all_chargers or self.chargers:
            self.groups_joined.append(ALL_CHARGERS_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.dirty: set[str] = set()  # emptied at each tick
        self.flusher: asyncio.Task | None = None
        self.ticks = 0
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "flusher", None):
            self.flusher.cancel()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """The page sends nothing we act on (htmx may send form values)."""

    def _mark(self, *topics: str) -> None:
        self.dirty.update(topics)
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(TICK_INTERVAL)
        topics, self.dirty = " ".join(sorted(self.dirty)), set()
        self.ticks += 1
        await self.send(text_data=f'<div id="live-tick" hx-swap-oob="true" data-n="{self.ticks}">{topics}</div>')

    async def frames_stored(self, event: dict) -> None:
        chargers = event.get("chargers", [])
        if not self.all_chargers:
            chargers = [pk for pk in chargers if pk in self.chargers]
        if chargers:
            self._mark("frames", *(f"charger-{pk}" for pk in chargers))

    async def topic_changed(self, event: dict) -> None:
        topic = event["topic"]
        self._mark(topic.partition(".")[0], topic)
