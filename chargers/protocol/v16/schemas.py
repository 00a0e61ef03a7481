"""Validation of OCPP 1.6-J payloads against the official JSON schemas shipped
with the `ocpp` library, compiled once with jsonschema-rs.

The library's own validator is interpreted and runs in a thread pool (about 1 ms
a message); the compiled one does the same check in microseconds. Schema errors
are mapped to the OCPP-J 1.6 error codes, spelled as the 1.6 text spells them.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema_rs
import ocpp

from ..rpc import (
    GENERIC_ERROR,
    INTERNAL_ERROR,
    NOT_IMPLEMENTED,
    NOT_SUPPORTED,
    PROTOCOL_ERROR,
    SECURITY_ERROR,
    PayloadError,
)

SCHEMA_DIR = Path(ocpp.__file__).parent / "v16" / "schemas"

# OCPP-J 1.6, section 4.2.3; the codes every version shares are in rpc. The
# library names the structural one "FormatViolation" (the 2.0.1 name); 1.6 calls
# it FormationViolation, and spells the occurrence code "Occurence".
FORMATION_VIOLATION = "FormationViolation"
OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
ERROR_CODES = {
    NOT_IMPLEMENTED,
    NOT_SUPPORTED,
    INTERNAL_ERROR,
    PROTOCOL_ERROR,
    SECURITY_ERROR,
    FORMATION_VIOLATION,
    PROPERTY_CONSTRAINT_VIOLATION,
    OCCURENCE_CONSTRAINT_VIOLATION,
    TYPE_CONSTRAINT_VIOLATION,
    GENERIC_ERROR,
}

# jsonschema-rs error kind -> OCPP 1.6 code. A missing required field violates
# an occurrence constraint; a string longer than its CiStringNType violates the
# data type; a value outside its enumeration or range is a property constraint;
# an unexpected field does not conform to the PDU structure.
_KIND_TO_CODE = {
    "Required": OCCURENCE_CONSTRAINT_VIOLATION,
    "MinItems": OCCURENCE_CONSTRAINT_VIOLATION,
    "MaxItems": OCCURENCE_CONSTRAINT_VIOLATION,
    "Type": TYPE_CONSTRAINT_VIOLATION,
    "MaxLength": TYPE_CONSTRAINT_VIOLATION,
    "MinLength": TYPE_CONSTRAINT_VIOLATION,
    "Enum": PROPERTY_CONSTRAINT_VIOLATION,
    "Minimum": PROPERTY_CONSTRAINT_VIOLATION,
    "Maximum": PROPERTY_CONSTRAINT_VIOLATION,
    "ExclusiveMinimum": PROPERTY_CONSTRAINT_VIOLATION,
    "ExclusiveMaximum": PROPERTY_CONSTRAINT_VIOLATION,
    "MultipleOf": PROPERTY_CONSTRAINT_VIOLATION,
    "Format": PROPERTY_CONSTRAINT_VIOLATION,
    "Pattern": PROPERTY_CONSTRAINT_VIOLATION,
    "AdditionalProperties": FORMATION_VIOLATION,
}


# Cached per action and direction: as many as there are schemas (only actions the
# version knows are validated).
@cache
def _schema(action: str, response: bool) -> dict | None:
    path = SCHEMA_DIR / f"{action}{'Response' if response else ''}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8-sig"))


@cache
def _validator(action: str, response: bool):
    schema = _schema(action, response)
    if schema is None:
        return None
    # Formats are ours to check (_check_times): field timestamps like "+03" are
    # valid ISO 8601 though not RFC 3339.
    return jsonschema_rs.Draft4Validator(schema, validate_formats=False)


@cache
def _time_paths(action: str, response: bool) -> tuple[tuple[str, ...], ...]:
    """Where the official schema puts its dateTime fields ("*": every item of
    a list), e.g. MeterValues: meterValue/*/timestamp."""
    paths: list[tuple[str, ...]] = []

    def walk(node: dict, path: tuple[str, ...]) -> None:
        if node.get("format") == "date-time":
            paths.append(path)
        for key, sub in node.get("properties", {}).items():
            walk(sub, (*path, key))
        if isinstance(node.get("items"), dict):
            walk(node["items"], (*path, "*"))

    walk(_schema(action, response) or {}, ())
    return tuple(paths)


def validate(action: str, payload: object, response: bool = False) -> list[str]:
    """Raise PayloadError if the payload breaks the official schema; otherwise
    return findings that are not violations (e.g. a timestamp without a zone)."""
    validator = _validator(action, response)
    if validator is None:
        raise PayloadError(NOT_IMPLEMENTED, f"No OCPP 1.6 schema for {action}")
    error = next(validator.iter_errors(payload), None)
    if error is not None:
        kind = type(error.kind).__name__
        where = "/".join(str(p) for p in error.instance_path)
        text = f"{error.message}" + (f" at {where}" if where else "")
        raise PayloadError(_KIND_TO_CODE.get(kind, FORMATION_VIOLATION), text)
    return _check_times(payload, _time_paths(action, response))


def _check_times(payload: object, paths: tuple[tuple[str, ...], ...]) -> list[str]:
    """dateTime fields are not checked by the schemas (no format checker): check
    them here, where the schema puts them. Unparseable is a violation; no zone
    is a finding."""
    findings: list[str] = []
    for path in paths:
        for where, item in _at(payload, path, ()):
            if not isinstance(item, str):
                continue
            try:
                parsed = datetime.fromisoformat(item)
            except ValueError:
                raise PayloadError(
                    PROPERTY_CONSTRAINT_VIOLATION, f"{'/'.join(where)}: {item!r} is not an ISO 8601 date-time"
                ) from None
            if parsed.tzinfo is None:
                findings.append(f"{'/'.join(where)}: {item!r} has no time zone (kept as received)")
    return findings


def _at(value: object, path: tuple[str, ...], where: tuple[str, ...]):
    """(location, value) of each field on a schema path in a payload."""
    if not path:
        yield where, value
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _at(item, rest, (*where, str(i)))
    elif isinstance(value, dict) and head in value:
        yield from _at(value[head], rest, (*where, head))
