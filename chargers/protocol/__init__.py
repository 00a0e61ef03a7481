"""The OCPP versions the central system speaks, by WebSocket subprotocol: the one
registry the consumer, the commands and the pages pick a version from.

Below it: `rpc` (OCPP-J framing, every version), `central_system` (one
connection: store, then answer; our CALLs out; names no version) and a package
per version (`v16`) handing in its actions, handlers, schemas and payloads.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import v16
from .central_system import CentralSystem, Version
from .rpc import CallFailed

__all__ = [
    "COMMAND_ACTIONS",
    "FILTER_ACTIONS",
    "VERSIONS",
    "CallFailed",
    "CentralSystem",
    "Version",
    "default_payload",
    "sends",
    "version_for",
]

VERSIONS: dict[str, Version] = {version.subprotocol: version for version in (v16.VERSION,)}


def version_for(offered: Iterable[str]) -> Version | None:
    """The version to speak with a charger that offered these subprotocols (in
    its order of preference, RFC 6455 section 4.1); None if we speak none."""
    for subprotocol in offered:
        if subprotocol in VERSIONS:
            return VERSIONS[subprotocol]
    return None


# The dashboard's lists, over every version we speak.
FILTER_ACTIONS = tuple(sorted({a for version in VERSIONS.values() for a in version.filter_actions}))
COMMAND_ACTIONS = tuple(dict.fromkeys(a for version in VERSIONS.values() for a in version.command_actions))


def sends(action: str) -> bool:
    """Whether `action` is a command a central system sends, in some version we speak."""
    return any(version.sends(action) for version in VERSIONS.values())


def default_payload(action: str, charger: object = None) -> dict:
    """A valid starting payload for a command, for the engineer to edit."""
    for version in VERSIONS.values():
        if version.sends(action):
            return version.default_payload(action, charger)
    return {}
