"""The extension points the OCPP layer offers the layers above it: every way in,
in one module. chargers knows nothing of what registers here; an app registers
in its AppConfig.ready. Each hook is handed values, never live objects.

Each point is a `Hook`, an ordered set of callables: `register` adds one (once,
however often it is called), iterating yields them in order. A hook that raises
is logged by its caller and never stops a frame, an answer or a connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .models import Frame

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """Callables run at one point of the OCPP layer, in the order registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callables: list[F] = []  # each once, registered at start-up: as many as the code has

    def register(self, fn: F) -> F:
        """Add `fn` (once; usable as a decorator)."""
        if fn not in self._callables:
            self._callables.append(fn)
        return fn

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._callables))

    def __bool__(self) -> bool:
        return bool(self._callables)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._callables)} registered>"


# Run after a charger's CALL was answered with a CALLRESULT and both were stored:
# async (charger_pk, charge_point_id, action, payload), the payload as received
# (e.g. a command to send once a charger has booted).
call_answered: Hook[Callable[[int, str, str, dict], Awaitable[None]]] = Hook("call_answered")

# Told about frames once committed, charger by charger: async (charger_pk, frames)
# (e.g. work that must follow a charger's log as it grows).
frames_committed: Hook[Callable[[int, list[Frame]], Awaitable[None]]] = Hook("frames_committed")

# Asked for the answers the specification leaves to the central system, before
# our own defaults: sync (charger_pk, action, payload) -> the fields of the answer
# they decide, spelled as the specification spells them, or None to ask the next
# source; the first that answers wins. Run in a database thread, so a source may
# use the ORM. Which actions and fields: the version's handlers say
# (chargers/protocol/v16/handlers.py: BootNotification "status" and "interval";
# Authorize, StartTransaction and StopTransaction "idTagInfo"). E.g. a Rejected,
# then an Accepted boot:
#     answers = iter([{"status": "Rejected", "interval": 10}, {"status": "Accepted"}])
#     @hooks.answer_sources.register
#     def scripted(charger_pk, action, payload):
#         return next(answers, None) if action == "BootNotification" else None
answer_sources: Hook[Callable[[int, str, dict], dict | None]] = Hook("answer_sources")

# Asked for what a charger's frame log must not show on a page: sync (charger_pk)
# -> secrets, shown as *** (certify: the upload credentials of its sessions, as the
# report hides them).
page_secrets: Hook[Callable[[int], list[str]]] = Hook("page_secrets")


def secrets_of(charger_pk: int) -> list[str]:
    """Every registered source's secrets for this charger's pages."""
    return [secret for source in page_secrets for secret in source(charger_pk)]
