"""Judging an OCTT case: its configuration state and steps walked over its
frames (certify.judging.sequence), after the declaration has said whether the
case applies at all, and its hand check where it has one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from certify.judging.sequence import INCONCLUSIVE, OneOf, Outcome, Send, judge
from chargers.frames.reader import Record

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
            {"status": OneOf("Accepted", "NotSupported")},
            otherwise=INCONCLUSIVE,
            label=f"We set {key} to {value} (if the charger has it)",
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
    values.setdefault("connectors", declaration.connectors)
    values["connectors"] = declaration.connectors
    values.setdefault("unknown_connector", declaration.connectors + 1)
    for name in ("connector", "connectors", "unknown_connector"):
        values[name] = int(values[name])
    return values


def fill(value, data: Mapping, named: Mapping[str, Record] | None = None):
    """A command's payload with its "{placeholders}" filled: test data, and the
    transaction the case started ({transaction_id})."""
    if isinstance(value, dict):
        return {k: fill(v, data, named) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, data, named) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        name = value[1:-1]
        if name == "transaction_id":
            start = (named or {}).get("start")
            if start is not None and start.answer is not None:
                return start.answer.get("transactionId")
        if name in data:
            return data[name]
    return value


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
    records = list(records)
    outcome = judge(steps_of(case), records, now=now, data=values, start=start, options=options)
    if case.check is not None:
        outcome = case.check(outcome, records, values)
    return outcome
