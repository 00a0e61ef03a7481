"""OCPP-J framing, the same for every OCPP version: a frame is a JSON array
[2, id, action, payload] (CALL), [3, id, payload] (CALLRESULT) or
[4, id, code, description, details] (CALLERROR).

Read without trusting it (`parse_frame`), answered with `call_error` or
`result_frame`. The error codes every version spells alike live here; the one a
version spells its own way (1.6 "FormationViolation", 2.0.1 "FormatViolation")
is handed in by the version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case

NOT_IMPLEMENTED = "NotImplemented"
NOT_SUPPORTED = "NotSupported"
INTERNAL_ERROR = "InternalError"
PROTOCOL_ERROR = "ProtocolError"
SECURITY_ERROR = "SecurityError"
GENERIC_ERROR = "GenericError"

MAX_UNIQUE_ID = 36


class CallFailed(Exception):
    """A command that did not get a CALLRESULT; `kind` says why."""

    def __init__(self, kind: str, message: str, code: str = "", details: object = None) -> None:
        super().__init__(message)
        self.kind = kind  # invalid | timeout | callerror | disconnected | busy
        self.message = message
        self.code = code
        self.details = details


class PayloadError(Exception):
    """A payload that breaks its schema, with the OCPP error code to answer."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class Parsed:
    """What we could read of a received frame."""

    message_type: int | None = None
    unique_id: str = ""
    action: str = ""
    payload: object = None
    error: tuple[str, str] | None = None  # (code, description) to answer with
    answerable: bool = True  # False for results/errors: never answer those


_ID_RE = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"\\]{1,100})"')


def parse_frame(raw: str, format_violation: str) -> Parsed:
    """Read an OCPP-J frame without trusting it; a frame of the wrong shape is
    answered with the version's `format_violation` code."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        match = _ID_RE.match(raw)
        return Parsed(
            unique_id=match.group(1) if match else "-1",
            error=(format_violation, "Frame is not valid JSON"),
        )
    if not isinstance(data, list) or not data:
        return Parsed(unique_id="-1", error=(format_violation, "Frame is not a JSON array"))
    kind = data[0]
    unique_id = data[1] if len(data) > 1 and isinstance(data[1], str) else "-1"
    if kind == 2:
        if len(data) < 4:
            return Parsed(2, unique_id, error=(PROTOCOL_ERROR, "CALL is incomplete: [2, id, action, payload]"))
        if (
            len(data) > 4
            or not isinstance(data[1], str)
            or not isinstance(data[2], str)
            or not isinstance(data[3], dict)
        ):
            return Parsed(
                2,
                unique_id,
                data[2] if isinstance(data[2], str) else "",
                error=(format_violation, "CALL must be [2, string id, string action, object payload]"),
            )
        if not data[1] or len(data[1]) > MAX_UNIQUE_ID:
            return Parsed(2, unique_id, data[2], error=(format_violation, "Unique id must be 1 to 36 characters"))
        return Parsed(2, data[1], data[2], data[3])
    if kind == 3:
        ok = len(data) == 3 and isinstance(data[1], str) and isinstance(data[2], dict)
        return Parsed(
            3,
            unique_id,
            payload=data[2] if ok else None,
            error=None if ok else (format_violation, "Malformed CALLRESULT"),
            answerable=False,
        )
    if kind == 4:
        ok = len(data) == 5 and all(isinstance(x, str) for x in data[1:4])
        return Parsed(
            4,
            unique_id,
            payload=data[2:] if ok else None,
            error=None if ok else (format_violation, "Malformed CALLERROR"),
            answerable=False,
        )
    return Parsed(None, unique_id, error=(format_violation, f"Message type {kind!r} is not 2, 3 or 4"))


def call_error(unique_id: str, code: str, description: str, details: dict | None = None) -> str:
    """A CALLERROR frame; the description is cut to the 255 characters OCPP-J allows."""
    return json.dumps([4, unique_id, code, description[:255], details or {}], separators=(",", ":"))


def result_frame(unique_id: str, response: object) -> tuple[str, dict]:
    """A CALLRESULT frame for one of the library's result dataclasses, and its
    payload as the specification spells it (camelCase, no empty fields)."""
    payload = snake_to_camel_case(remove_nones(serialize_as_dict(response)))
    return json.dumps([3, unique_id, payload], separators=(",", ":")), payload
