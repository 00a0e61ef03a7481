"""Which chargers have an open session, known at most a second ago.

Looked up per charger, it cost a query for nearly every frame of a large fleet,
and those queries queued on the one database thread that API requests need too;
so open sessions of every charger are reloaded at most once a second in one
query. Session operations call `forget` when they open or close a session.
"""

from __future__ import annotations

import asyncio
import time

from channels.db import database_sync_to_async

from .models import CertSession

# charger pk -> open session pks: replaced whole at each reload, so it holds the
# open sessions only.
_open_sessions: dict[int, list[int]] = {}
_open_loaded_at = float("-inf")
_open_reload: asyncio.Future | None = None
_open_generation = 0  # bumped by forget(): a reload begun before it is stale


def _all_open_sessions() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    rows = CertSession.objects.filter(state=CertSession.STATE_OPEN, charger__isnull=False).values_list(
        "charger_id", "pk"
    )
    for charger_pk, session_pk in rows:
        found.setdefault(charger_pk, []).append(session_pk)
    return found


async def _reload_open_sessions() -> None:
    global _open_sessions, _open_loaded_at
    started, generation = time.monotonic(), _open_generation
    found = await database_sync_to_async(_all_open_sessions)()
    if generation == _open_generation:
        _open_sessions, _open_loaded_at = found, started


async def _fresh() -> None:
    """Reload the open sessions if they were loaded more than a second ago."""
    global _open_reload
    if time.monotonic() - _open_loaded_at > 1.0:
        loop = asyncio.get_running_loop()
        if _open_reload is None or _open_reload.done() or _open_reload.get_loop() is not loop:
            _open_reload = asyncio.ensure_future(_reload_open_sessions())
        await asyncio.shield(_open_reload)
        if _open_loaded_at == float("-inf"):  # forgotten meanwhile: read once more
            await _reload_open_sessions()


async def sessions_of(charger_pk: int) -> list[int]:
    """Open sessions of a charger, as known at most a second ago."""
    await _fresh()
    return _open_sessions.get(charger_pk, [])


async def all_open() -> set[int]:
    """Every open session of a charger, as known at most a second ago."""
    await _fresh()
    return {pk for pks in _open_sessions.values() for pk in pks}


def forget(charger_pk: int | None = None) -> None:
    """Drop the cache (a session was created, signed or revised)."""
    global _open_loaded_at, _open_reload, _open_generation
    _open_generation += 1
    _open_loaded_at = float("-inf")
    _open_reload = None
