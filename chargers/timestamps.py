"""Time as OCPP spells it: UTC text with a 'Z' zone, and a charger's timestamp
read without guessing a zone it left out. One module of plain functions (no
Django, no model), so the OCPP layer, the simulator, the certification layer and
its catalogs all format a moment the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime, timespec: str = "milliseconds") -> str:
    """A moment as OCPP spells time: UTC with a 'Z' zone (to the millisecond
    unless told otherwise). The one formatter of UTC text."""
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_text(value: str) -> str:
    """A charger's timestamp as UTC text; one without a zone is kept as
    received (the evidence log names it: no silent guess)."""
    parsed, _ = parse_ocpp_time(value)
    if parsed is None:
        return value
    return utc_iso(parsed)


def parse_ocpp_time(value: str) -> tuple[datetime | None, str]:
    """Parse an OCPP timestamp; return (aware UTC datetime or None, finding).

    Any ISO 8601 offset is accepted. A time without a zone is not guessed at: it
    comes back as None with a finding the evidence log records."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None, f"timestamp {value!r} is not ISO 8601"
    if parsed.tzinfo is None:
        return None, f"timestamp {value!r} has no time zone"
    return parsed.astimezone(UTC), ""
