"""Take a charger offline for a while: its socket is closed as an outage would
close it, and its reconnects are refused until the window ends (the refusal is
an admission reason, chargers.admission), so what it does while cut off can be
seen afterwards. The window is kept on the Charger row and the socket closed
over the channel layer, so any server process can start it and every one
refuses alike.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from .frames import FrameRecord, store_frame
from .models import Charger, Frame
from .timestamps import utc_iso

MAX_SECONDS = 3600


async def take_offline(charger_pk: int, seconds: float, by: str) -> datetime:
    """Close the charger's socket and refuse its reconnects for `seconds`
    (1 to MAX_SECONDS, else ValueError); an "offline" event in its evidence log
    says who and how long. Returns the end of the window."""
    if not 1 <= seconds <= MAX_SECONDS:
        raise ValueError(f"Take it offline for 1 to {MAX_SECONDS} s.")
    until = timezone.now() + timedelta(seconds=seconds)

    def claim() -> Charger:
        Charger.objects.filter(pk=charger_pk).update(offline_until=until)
        return Charger.objects.get(pk=charger_pk)

    charger = await database_sync_to_async(claim)()
    event = {"event": "offline", "seconds": seconds, "until": utc_iso(until, timespec="seconds"), "by": by}
    await store_frame(charger.pk, FrameRecord(direction=Frame.EVENT, raw=json.dumps(event, separators=(",", ":"))))
    if charger.connected and charger.channel_name:
        await get_channel_layer().send(
            charger.channel_name, {"type": "connection.offline", "by": f"{by}: offline for {seconds:g} s"}
        )
    return until


def offline_until(charger: Charger | None) -> datetime | None:
    """The end of a "take offline" window still running, else None."""
    if charger is None or charger.offline_until is None or charger.offline_until <= timezone.now():
        return None
    return charger.offline_until


def refusal(charger: Charger) -> str:
    """Why a handshake is refused while the window runs ("" when it does not)."""
    until = offline_until(charger)
    if until is None:
        return ""
    left = (until - timezone.now()).total_seconds()
    return f"reconnects refused for {max(left, 0):.0f} more s (taken offline)"
