"""Generated legal behaviour raises no finding of a violation (issue 22): the
charger model of the verdicts issue, driven by the same state machine, with the
findings fed frame by frame after every step instead of the rules."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from chargers.protocol.v16.findings import VIOLATION, Findings

from .test_generated_behaviour import Bench

EXAMPLES = int(os.environ.get("FINDINGS_EXAMPLES", "60"))


class FindingsBench(Bench):
    """The bench of test_generated_behaviour; after every step, no violation found."""

    @invariant()
    def no_rule_fails(self) -> None:  # the checkpoint the session calls, judging findings here
        if not hasattr(self, "judge"):
            return
        if not hasattr(self, "findings"):
            self.findings = Findings(self.session.bench.options.get("initial"))
        self.judge.update()
        for finding in self.findings.feed(self.judge.log.records):
            if finding.severity == VIOLATION:
                raise AssertionError(
                    f"{finding.check} [{finding.clause}] on a legal charger: {finding.text} {finding.seqs}\n"
                    + "\n".join(self.session.bench.lines()[-40:])
                )


TestLegalChargersRaiseNoViolation = FindingsBench.TestCase
TestLegalChargersRaiseNoViolation.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    derandomize="FINDINGS_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
