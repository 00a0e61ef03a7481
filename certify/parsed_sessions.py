"""Parsed sessions kept between evaluations, within bounds.

An open session is judged again every half second while its charger talks, and
parsing its frames is the costly part; so its parse is kept and extended with
new frames only. A lab server runs for months, so a parse is kept only while its
session can still change, and never past the bounds:

- at most CERTIFY_PARSED_SESSIONS sessions and CERTIFY_PARSED_FRAMES frames in
  all; past either, the least recently used go first (a session larger than the
  frame bound alone is not kept at all);
- gone when the session is finalised (`drop` at sign-off) and when its
  charger's connection ends: the evaluation keeps nothing for a signed session
  or a disconnected charger, and the reactions, hearing the "disconnected" event,
  judge the charger's open sessions once more (their parses' last use) and
  drop any other parse of the charger (`drop_charger`).

A session dropped is parsed again when it is needed. This module knows nothing
of what a parse is beyond its frame count, `len()`: the reader's Log
(chargers.frames.reader) with the protocol findings fed from it
(certify.evaluation.Parsed), which live and go with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Hashable, Sized
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    key: Hashable  # what the parse was made of, e.g. (start_seq, started_at)
    charger_pk: int | None
    parsed: Sized
    frames: int


_entries: OrderedDict[int, _Entry] = OrderedDict()  # session pk -> entry, least recently used first
_held = [0]  # frames held in all
_lock = threading.Lock()  # evaluations run in threads; drops come from the event loop too
_warned_at = [float("-inf")]


def get(session_pk: int, key: Hashable) -> Sized | None:
    """The session's parse if one is kept for the same key, now the most
    recently used; else None."""
    with _lock:
        entry = _entries.get(session_pk)
        if entry is None or entry.key != key:
            return None
        _entries.move_to_end(session_pk)
        return entry.parsed


def put(session_pk: int, charger_pk: int | None, key: Hashable, parsed: Sized) -> None:
    """Keep a session's parse, new or extended since it was kept (its frames
    are counted anew), as the most recently used; the least recently used go
    while the bounds are passed."""
    frames = len(parsed)
    with _lock:
        _forget(session_pk)
        if frames <= settings.CERTIFY_PARSED_FRAMES:
            _entries[session_pk] = _Entry(key, charger_pk, parsed, frames)
            _held[0] += frames
            while len(_entries) > settings.CERTIFY_PARSED_SESSIONS or _held[0] > settings.CERTIFY_PARSED_FRAMES:
                _forget(next(iter(_entries)))
    if frames > settings.CERTIFY_PARSED_FRAMES:
        _warn_too_large(session_pk, frames)


def drop(session_pk: int) -> None:
    """Forget a session's parse (it was finalised)."""
    with _lock:
        _forget(session_pk)


def drop_charger(charger_pk: int, keep: Collection[int] = ()) -> None:
    """Forget the parses of a charger's sessions (its connection ended), but
    those of the sessions in `keep`."""
    with _lock:
        for session_pk in [pk for pk, e in _entries.items() if e.charger_pk == charger_pk and pk not in keep]:
            _forget(session_pk)


def clear() -> None:
    with _lock:
        _entries.clear()
        _held[0] = 0


def held() -> dict[int, int]:
    """Session pk -> frames kept, least recently used first."""
    with _lock:
        return {pk: entry.frames for pk, entry in _entries.items()}


def _forget(session_pk: int) -> None:
    entry = _entries.pop(session_pk, None)
    if entry is not None:
        _held[0] -= entry.frames


def _warn_too_large(session_pk: int, frames: int) -> None:
    """At most once a minute: a session that is parsed anew at every evaluation."""
    if time.monotonic() - _warned_at[0] > 60:
        _warned_at[0] = time.monotonic()
        log.warning(
            "Session %s has %d frames, more than CERTIFY_PARSED_FRAMES=%d: it is parsed anew at every evaluation",
            session_pk,
            frames,
            settings.CERTIFY_PARSED_FRAMES,
        )
