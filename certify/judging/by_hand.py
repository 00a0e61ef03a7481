"""Steps by hand in a walk over the log (certify.judging.sequence): each has a
time budget (the step's `within`, else the test data's `manual_step_seconds`),
and a person confirms one done with a STEP_DONE event in the log (the session
page's Done button). What the walk needs of them, apart from the walk itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chargers.frames.reader import Record

from .steps import STEP_DONE, Manual


def budget(step: Manual, data: Mapping) -> Any:
    """The person's time for the step: its own, else the test data's; None: no limit."""
    return step.within if step.within is not None else data.get("manual_step_seconds")


def confirmation(records: Iterable[Record], number: int, label: str) -> Record | None:
    """The person's Done for the walk's row `number` (its label too, so a Done
    given for another case's steps or an edited case never counts)."""
    for record in records:
        if (
            record.direction == "event"
            and record.event == STEP_DONE
            and record.get("step") == number
            and record.get("label") == label
        ):
            return record
    return None


def overdue(prompt: Mapping, deadline: datetime) -> str:
    """What came instead of the step: nothing by its end, in words."""
    seconds = prompt.get("seconds")
    budget_words = f" (its {seconds:g} s)" if seconds is not None else ""
    return f"not confirmed done by {deadline:%H:%M:%S}{budget_words}, nor seen in the charger's frames"
