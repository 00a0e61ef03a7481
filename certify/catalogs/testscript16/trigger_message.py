"""Item 18 of the test script, TriggerMessage: its data (CASE) and its rule (judge). OCPP
1.6 §5.17 Trigger Message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...judging.scope import AUTO, Scope
from ...judging.verdict import FAILED, OPEN, PASSED, UNSUPPORTED_ANSWERS, Verdict, at, ids, not_supported, seconds, step
from .. import Case, Command

if TYPE_CHECKING:
    from ...headless.run import CaseRun

CASE = Case(
    key="18",
    number=18,
    title="TriggerMessage",
    criteria=("After booting the centralsystem will send a TriggerMessage requesting the status of the charger.",),
    commands=(
        Command(
            "Trigger StatusNotification",
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "connectorId": "{connector}"},
        ),
    ),
    clauses=("5.17 Trigger Message",),
    octt=("TC_054", "TC_055"),
    profile="RemoteTrigger",
    # The test script's "after booting the central system will send a TriggerMessage".
    on_boot=Command(
        "Trigger StatusNotification after boot", "TriggerMessage", {"requestedMessage": "StatusNotification"}
    ),
    # Its evidence follows item 1's boot: its attempt begins first.
    rides_on="1",
)


def judge(s: Scope) -> Verdict:
    notes = []
    for trigger in reversed(s.calls("TriggerMessage", "out")):
        if trigger.get("requestedMessage") != "StatusNotification" or trigger.answer is None:
            continue
        status = trigger.answer_status()
        if status in UNSUPPORTED_ANSWERS or (status != "Accepted" and s.state.lacks_profile("RemoteTrigger")):
            return not_supported(trigger, "TriggerMessage StatusNotification", s.state.vendor())
        if status != "Accepted":
            notes.append(f"TriggerMessage StatusNotification answered {status}")
            continue
        connector = trigger.get("connectorId")
        # The triggered message follows the TriggerMessage answer (§5.17).
        reply = s.first_after(s.state.statuses(connector), trigger.answer.ts, lambda r, t=trigger: r.seq > t.answer.seq)
        if reply is None:
            if s.expired(trigger.answer.ts, s.opt("effect_timeout")):
                return Verdict(
                    FAILED,
                    "TriggerMessage StatusNotification accepted but no StatusNotification followed",
                    "",
                    ids(trigger),
                    expected="a StatusNotification after the TriggerMessage answer",
                    actual=f"Accepted at {at(trigger.answer)}, then none",
                    clause="test script item 18 (§5.17: the requested message SHOULD be sent)",
                )
            return Verdict(
                OPEN,
                "TriggerMessage accepted; awaiting the StatusNotification.",
                "",
                ids(trigger),
                steps=[step("TriggerMessage Accepted", trigger), step("StatusNotification after the answer")],
                waiting={
                    "for": "the triggered StatusNotification",
                    "deadline": s.deadline(trigger.answer.ts, s.opt("effect_timeout")),
                },
            )
        auto = " (sent automatically after boot)" if trigger.sent_by.startswith(AUTO) else ""
        return Verdict(
            PASSED,
            f"TriggerMessage StatusNotification{auto} answered, then a StatusNotification",
            "Support triggermessage, reply status notification",
            ids(trigger, reply),
            {"TriggerMessage→StatusNotification": seconds(trigger.ts, reply.ts)},
            expected="Accepted, then the StatusNotification",
            actual=f"Accepted at {at(trigger.answer)}, StatusNotification at {at(reply)}",
            steps=[step("TriggerMessage Accepted", trigger), step("StatusNotification after the answer", reply)],
        )
    note = f" ({'; '.join(notes)}: legal, §5.17)" if notes else ""
    return Verdict(
        OPEN,
        f"Awaiting a boot (TriggerMessage StatusNotification is sent after it) or send it by hand.{note}",
        steps=[step("TriggerMessage Accepted"), step("StatusNotification after the answer")],
    )


async def drive(run: CaseRun) -> None:
    """Item 18 rides on item 1's boot (the server's own trigger after it); in a
    run without item 1 it sends its TriggerMessage itself."""
    if "1" not in run.cases:
        await run.command("TriggerMessage", {"requestedMessage": "StatusNotification"})
