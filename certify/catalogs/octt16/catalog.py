"""The OCTT cases as the bench's catalog (certify.catalogs.Catalog): each
OcttCase becomes a Case whose key is its TC id, whose commands are the steps'
commands (buttons on its page, prefilled from the test data), whose judge walks
its steps over the attempt's frames, and whose drive lets a headless run work it.

The session's options carry the charger's declaration (`declaration`, OCTT's
PICS; what is not declared comes from the configuration the session read) and
the test data (`test_data`; `connector` and `id_tag` are the session's own)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ...judging.scope import Scope
from ...judging.steps import Manual, Send, expand, label_of
from ...judging.verdict import INCONCLUSIVE, NOT_APPLICABLE, NOT_SUPPORTED, OPEN, Verdict
from .. import Case, Catalog, Command
from . import CASES, CREDIT, GROUPS, TEST_DATA, declare
from .case import Declaration, OcttCase
from .drive import leaves
from .judge import case_data, fill, judge_case, steps_of


def declaration_of(options: Mapping, config: Mapping[str, str] | None = None) -> Declaration:
    """What the session declares for its charger: the configuration's
    suggestion, with what the engineer declared over it."""
    declared = dict(options.get("declaration") or {})
    base = Declaration.from_configuration(config or {})
    merged = {**base.to_dict(), **declared}
    return Declaration.from_dict(merged)


def test_data_of(options: Mapping) -> dict:
    """The session's test data: the defaults, the session's connector and card, its own values."""
    data = dict(TEST_DATA)
    for name in ("connector", "id_tag"):
        if options.get(name) is not None:
            data[name] = options[name]
    data.update(options.get("test_data") or {})
    return data


test_data_of.__test__ = False  # a helper, not a test (pytest collects test_* names)


def judge_scope(case: OcttCase, scope: Scope) -> Verdict:
    """A case's verdict over one of its attempts. The whole session judges
    nothing but whether the case applies: an OCTT case passes or fails only
    within its own attempt."""
    state = scope.state
    config = state.config() if state is not None else {}
    declaration = declaration_of(scope.options, config)
    ruled = case.ruled_out(declaration)
    if ruled is not None:
        remark = "Not supported by the charger" if ruled[0] == NOT_SUPPORTED else "Not applicable"
        return Verdict(ruled[0], f"{case.id}: {ruled[1]}", remark)
    if scope.case is None:
        return Verdict(OPEN, f"Start {case.id} to judge it: an OCTT case is judged within its own attempt.")
    records = [r for r in scope.window() if scope.mine(r)]
    start = scope.began or (records[0].ts if records else scope.now)
    outcome = judge_case(
        case,
        records,
        now=scope.now,
        declaration=declaration,
        data=test_data_of(scope.options),
        start=start,
        options=scope.options,
    )
    failed = outcome.status not in (OPEN, "passed", INCONCLUSIVE, NOT_SUPPORTED, NOT_APPLICABLE)
    return Verdict(
        outcome.status,
        outcome.reason,
        _remark(outcome.status, outcome.step),
        outcome.evidence,
        expected=outcome.expected,
        actual=outcome.actual,
        clause=case.clauses[0] if failed and case.clauses else "",
        steps=outcome.steps,
        waiting=outcome.waiting,
    )


def _remark(status: str, step: str) -> str:
    if status == "passed":
        return "Passed, every step as the document reads"
    if status == INCONCLUSIVE:
        return f"Inconclusive at: {step}"[:200]
    if status == "failed":
        return f"Failed at: {step}"[:200]
    return ""


def _json_safe(value):
    """A payload as a form can show it: values known only while the case runs
    (a field of a frame it saw) are left empty."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    try:
        json.dumps(value)
    except TypeError:
        return ""
    return value


def commands_of(case: OcttCase) -> tuple[Command, ...]:
    """The case's commands in step order, each once: its buttons on the session page."""
    seen, commands = set(), []
    for step in leaves(expand(steps_of(case), case_data(Declaration(), TEST_DATA))):
        if not isinstance(step, Send):
            continue
        payload = _json_safe(dict(step.payload))
        key = (step.action, json.dumps(payload, sort_keys=True))
        if key not in seen:
            seen.add(key)
            commands.append(Command(label_of(step), step.action, payload))
    return tuple(commands)


def manual_of(case: OcttCase) -> str:
    """What the engineer reads: the purpose, what must hold, the steps by hand, the credit."""
    by_hand = [
        s.label for s in leaves(expand(steps_of(case), case_data(Declaration(), TEST_DATA))) if isinstance(s, Manual)
    ]
    parts = [case.purpose]
    if case.before:
        parts.append("Before: " + " ".join(case.before))
    if by_hand:
        parts.append("By hand: " + "; ".join(f"{n}. {text}" for n, text in enumerate(by_hand, 1)) + ".")
    if case.differs:
        parts.append("Where we differ from OCTT: " + case.differs)
    parts.append(f"{CREDIT}.")
    return "\n".join(parts)


def fill_of(case: OcttCase):
    """The case's placeholders filled from the session's test data (the server's
    own, such as {transaction_id} and {firmware_url}, are left for it)."""

    def filled(payload: dict, options: Mapping) -> dict:
        return fill(payload, case_data(declaration_of(options), test_data_of(options)))

    return filled


def as_case(number: int, case: OcttCase) -> Case:
    async def drive(run) -> None:
        from .drive import drive_run

        await drive_run(case, run)

    async def serve(run) -> None:
        from .serve import serve_case

        await serve_case(case, run)

    return Case(
        key=case.id,
        number=number,
        title=case.title,
        criteria=case.criteria,
        manual=manual_of(case),
        commands=commands_of(case),
        clauses=case.clauses,
        octt=(case.id,),
        profile=None if case.profile_optional else case.profile,
        automatic=case.automatic,
        group=case.group,
        fill=fill_of(case),
        answers=lambda options, action, payload, boots, case=case: _answers(case, options, action, payload, boots),
        judge=lambda scope, case=case: judge_scope(case, scope),
        drive=drive,
        serve=serve,
        rule="octt16 steps",
    )


def _answers(case: OcttCase | None, options: Mapping, action: str, payload: dict, boots: int) -> dict | None:
    from .answers import scripted

    return scripted(case, case_data(declaration_of(options), test_data_of(options)), action, payload, boots)


def session_answers(options: Mapping, action: str, payload: dict) -> dict | None:
    """Our answers between cases: boots Accepted with the heartbeat interval, the configured tags."""
    return _answers(None, options, action, payload, 0)


CATALOG = Catalog(
    name="octt16",
    title="OCA OCTT 1.6 charger test cases (2024-04)",
    protocol="ocpp1.6",
    cases=tuple(as_case(n, case) for n, case in enumerate(CASES, 1)),
    # One case at a time, in the document's order: each case begins from the
    # general preconditions (OCTT runs one session at a time).
    plan=((tuple(case.id for case in CASES),),),
    groups={slug: words for slug, (words, _) in GROUPS.items()},
    credit=CREDIT,
    answers=session_answers,
    declaration=declare,
)
