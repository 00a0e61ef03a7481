"""The extension points the OCPP layer offers the layers above it (certify): every
way in, in one module. chargers knows nothing of what registers here; certify
registers in CertifyConfig.ready.

Each point is a `Hook`, an ordered set of callables: `register` adds one (once,
however often it is called), iterating yields them in order. A hook that raises
is logged by its caller and never stops a frame, an answer or a connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .models import Frame
    from .protocol import CentralSystem

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """Callables run at one point of the OCPP layer, in the order registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callables: list[F] = []

    def register(self, fn: F) -> F:
        """Add `fn` (once; usable as a decorator)."""
        if fn not in self._callables:
            self._callables.append(fn)
        return fn

    def unregister(self, fn: F) -> None:
        if fn in self._callables:
            self._callables.remove(fn)

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._callables))

    def __bool__(self) -> bool:
        return bool(self._callables)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._callables)} registered>"


# Asked before a charger's WebSocket is accepted: async (charge_point_id, scope)
# -> a refusal reason, or None to let it on (certify: "refuse reconnects for N s").
handshake_checks: Hook[Callable[[str, dict], Awaitable[str | None]]] = Hook("handshake_checks")

# Run after a charger's CALL was answered with a CALLRESULT and both were stored:
# async (central_system, action, payload) (certify: item 18's trigger after a boot).
call_answered: Hook[Callable[[CentralSystem, str, dict], Awaitable[None]]] = Hook("call_answered")

# Told about frames once committed, charger by charger: async (charger_pk, frames)
# (certify: the verdicts follow the frames).
frames_committed: Hook[Callable[[int, list[Frame]], Awaitable[None]]] = Hook("frames_committed")

# Asked before the id-tag list for a card presented at a charger: sync
# (charger_pk, id_tag) -> idTagInfo, or None to ask the next source (certify: the
# cards of a session's run answer the same whatever unknown tags get).
id_tag_sources: Hook[Callable[[int, str], dict | None]] = Hook("id_tag_sources")
