"""Judging an OCTT case: its configuration state and steps walked over its
frames (certify.judging.sequence), after the declaration has said whether the
case applies at all, and its hand check where it has one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from certify.judging.sequence import Outcome, judge
from certify.judging.steps import STEP_DONE, OneOf, Ref, Send, Var
from certify.judging.verdict import INCONCLUSIVE
from chargers.frames.reader import Record
from chargers.timestamps import utc_iso

from . import TEST_DATA
from .case import Declaration, OcttCase


def setup_steps(case: OcttCase) -> tuple[Send, ...]:
    """The configuration the case sets before its steps; a refusal leaves the
    case inconclusive (its configuration state cannot be reached), never failed."""
    steps = [
        Send(
            "ChangeConfiguration",
            {"key": key, "value": value},
            {"status": "Accepted"},
            otherwise=INCONCLUSIVE,
            label=f"We set {key} to {value}",
        )
        for key, value in case.config.items()
    ]
    steps += [
        Send(
            "ChangeConfiguration",
            {"key": key, "value": value},
            # NotSupported: the charger lacks it; Rejected: read-only (§5.3, e.g. §9.1.3 AuthorizeRemoteTxRequests
            # may be): the case then runs with the charger's own value, which its steps allow for.
            {"status": OneOf("Accepted", "NotSupported", "Rejected")},
            otherwise=INCONCLUSIVE,
            label=f"We set {key} to {value} (if the charger has it and lets us)",
        )
        for key, value in case.config_if_present.items()
    ]
    return tuple(steps)


def steps_of(case: OcttCase) -> tuple:
    return (*setup_steps(case), *case.steps)


def case_data(declaration: Declaration, data: Mapping | None = None) -> dict:
    """The values the steps read: the defaults, the session's, and what the
    declaration implies (the number of connectors, one that does not exist)."""
    values = {**TEST_DATA, **(data or {})}
    values["connectors"] = declaration.connectors
    values.setdefault("unknown_connector", declaration.connectors + 1)
    for name in ("connector", "connectors", "unknown_connector", "reservation_id"):
        values[name] = int(values[name])
    values.setdefault("other_reservation_id", values["reservation_id"] + 1)
    values.setdefault("next_security_profile", str(min(3, declaration.security_profile + 1)))
    values.setdefault("lower_security_profile", str(max(0, declaration.security_profile - 1)))
    # Limits in the unit the charger allows: amperes, or watts (x1000, as the document's 6 A / 6000 W).
    values.setdefault("rate_scale", 1000 if values.get("rate_unit") == "W" else 1)
    return values


def _now(offset: float = 0) -> str:
    return utc_iso(datetime.now(UTC) + timedelta(seconds=offset), timespec="seconds")


# Placeholders that are moments, filled when the command is sent.
MOMENTS = {
    "now": lambda data: _now(),
    "reservation_expiry": lambda data: _now(float(data.get("reservation_expiry_seconds", 120))),
    "short_reservation_expiry": lambda data: _now(float(data.get("short_reservation_seconds", 20))),
    "schedule_start": lambda data: _now(-float(data.get("max_time_deviation", 10))),
}


def fill(value, data: Mapping, named: Mapping[str, Record] | None = None):
    """A command's payload with its "{placeholders}" filled: test data, and the
    transaction the case started ({transaction_id})."""
    if isinstance(value, Var):
        return data.get(value.name, value)
    if isinstance(value, Ref):  # a field of a frame the case saw, e.g. a hash the charger listed
        record = (named or {}).get(value.step)
        part, _, path = value.path.partition(".")
        source = (
            (record.payload if part == "payload" else record.answer.payload if record.answer else None)
            if record
            else None
        )
        for key in path.split(".") if path else ():
            if isinstance(source, list) and key.isdigit() and int(key) < len(source):
                source = source[int(key)]
            else:
                source = source.get(key) if isinstance(source, dict) else None
        return source
    if isinstance(value, dict):
        # A configuration value is a string (ChangeConfiguration.req, §6.9), whatever the test data's type.
        return {k: _text(fill(v, data, named)) if k == "value" else fill(v, data, named) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, data, named) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        name = value[1:-1]
        if name == "transaction_id":
            start = (named or {}).get("start")
            if start is not None and start.answer is not None:
                return start.answer.get("transactionId")
        if name == "other_transaction_id":
            start = (named or {}).get("start")
            if start is not None and start.answer is not None and isinstance(start.answer.get("transactionId"), int):
                return start.answer.get("transactionId") + 1
        if name in MOMENTS:
            return MOMENTS[name](data)
        if name.startswith("limit "):  # a charging limit in the document's amperes, in the unit used
            return float(name[6:]) * float(data.get("rate_scale", 1))
        if name in data:
            return data[name]
    return value


def _text(value):
    return value if isinstance(value, str) or value is None else str(value)


def judge_case(
    case: OcttCase,
    records: Iterable[Record],
    *,
    now: datetime,
    declaration: Declaration,
    data: Mapping | None = None,
    start: datetime | None = None,
    options: Mapping | None = None,
) -> Outcome:
    """The case's outcome over its frames as of `now`."""
    ruled = case.ruled_out(declaration)
    if ruled is not None:
        return Outcome(ruled[0], f"{case.id}: {ruled[1]}")
    values = case_data(declaration, data)
    # A person's Done on a step by hand counts for the case it was given in only.
    records = [r for r in records if not (r.direction == "event" and r.event == STEP_DONE and r.get("case") != case.id)]
    outcome = judge(steps_of(case), records, now=now, data=values, start=start, options=options)
    if case.check is not None:
        outcome = case.check(outcome, records, values)
    return outcome
