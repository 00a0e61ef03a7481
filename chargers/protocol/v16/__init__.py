"""OCPP 1.6-J: its actions, handlers, schemas, default payloads and what its log says."""

from __future__ import annotations

from ..central_system import Version
from . import actions, defaults, schemas
from .handlers import CentralSystem16
from .state import State16

VERSION = Version(
    subprotocol="ocpp1.6",
    name="OCPP 1.6",
    central_system=CentralSystem16,
    charger_actions=actions.CHARGER_ACTIONS,
    command_actions=actions.COMMAND_ACTIONS,
    extension_commands=actions.EXTENSION_COMMANDS,
    known_actions=actions.KNOWN_ACTIONS,
    filter_actions=actions.FILTER_ACTIONS,
    validate=schemas.validate,
    format_violation=schemas.FORMATION_VIOLATION,
    default_payload=defaults.default_payload,
    state=State16,
)
