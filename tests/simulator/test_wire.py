"""What only the wire shows, against a scripted central system (wire.py)."""

from __future__ import annotations

from tests.simulator.wire import ANSWERS, Scripted, charger_at, until


async def test_a_transaction_message_refused_with_a_callerror_is_tried_again():
    """TransactionMessageAttempts and TransactionMessageRetryInterval (§3.7, §9.1.31, §9.1.32)."""

    def answer(action: str, n: int):
        if action == "StartTransaction" and n == 1:
            return 0.0, "InternalError"  # the central system failed to process it
        return 0.0, ANSWERS.get(action, {})

    script = Scripted(answer)
    async with charger_at(script) as sim:
        sim.config.change("TransactionMessageRetryInterval", "1")
        await sim.plug(1)
        await sim.swipe("TAG-1", 1)
        await until(lambda: sim.connectors[1].transaction_id == 1)
    starts = [kind for kind, action in script.wire if action == "StartTransaction"]
    assert starts == ["CALL", "error", "CALL", "answer"]


async def test_a_non_transaction_message_refused_with_a_callerror_is_not_tried_again():
    script = Scripted(lambda action, n: (0.0, "InternalError" if action == "Authorize" else ANSWERS.get(action, {})))
    async with charger_at(script) as sim:
        sim.config.change("TransactionMessageRetryInterval", "0")
        assert await sim.swipe("TAG-1", 1) == "Invalid"
    assert script.seen("CALL", "Authorize") == 1


async def test_double_call_sends_a_second_call_before_the_first_is_answered():
    """At a central system that answers Heartbeats after 0.3 s, the two CALLs come
    before either answer (OCPP-J §4.1.1); they stand for the Heartbeat after the boot."""
    script = Scripted(lambda action, n: (0.3 if action == "Heartbeat" else 0.0, ANSWERS.get(action, {})))
    async with charger_at(script, "double-call"):
        await until(lambda: script.seen("answer", "Heartbeat") == 2)
    beats = [kind for kind, action in script.wire if action == "Heartbeat"]
    assert beats == ["CALL", "CALL", "answer", "answer"]
