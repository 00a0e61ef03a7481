"""What a few cases check beyond their steps: facts that span several frames
(the order of a queue), written once and named by the cases that need them.
Each takes the steps' outcome, the case's frames and its test data, and
returns the outcome, failed when the fact does not hold."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from certify.judging.sequence import Outcome
from certify.judging.verdict import FAILED, PASSED
from chargers.frames.reader import CALL, GONE_EVENTS, Record, parse_time


def samples_in_order(outcome: Outcome, records: list[Record], data: Mapping) -> Outcome:
    """The meter values of the transaction delivered after the last reconnect
    carry ascending timestamps: the charger's queue kept its order (§3.7)."""
    if outcome.status != PASSED or "start" not in outcome.named:
        return outcome
    start = outcome.named["start"]
    transaction = start.answer.get("transactionId") if start.answer is not None else None
    gone = [r for r in records if r.direction == "event" and r.event in GONE_EVENTS]
    after = gone[-1].seq if gone else 0
    stamps = []
    for record in records:
        if (
            record.seq > after
            and record.message_type == CALL
            and record.direction == "in"
            and record.action == "MeterValues"
            and record.get("transactionId") == transaction
        ):
            for value in record.get("meterValue") or []:
                stamp = parse_time(value.get("timestamp")) if isinstance(value, dict) else None
                if stamp is not None:
                    stamps.append((stamp, record))
    for (earlier, _), (later, record) in itertools.pairwise(stamps):
        if later < earlier:
            outcome.status = FAILED
            outcome.step = "The queued meter values arrive oldest first"
            outcome.expected = "meter values in the order they were sampled"
            outcome.actual = f"{later:%H:%M:%S} after {earlier:%H:%M:%S} (frame #{record.seq})"
            outcome.reason = f"Queued meter values out of order: {outcome.actual}"
            outcome.evidence = [*outcome.evidence, record.id]
            return outcome
    return outcome
