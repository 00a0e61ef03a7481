"""The cases each simulator profile must fail or cannot do, derived from the
clauses the profile names and the clauses each case rests on (profile_cases.py):
the derivation gives what the specification says of each profile."""

from __future__ import annotations

from chargers.simulator import PROFILES
from tests.certify.profile_cases import failing, lacking

# name: (cases it must fail, cases it cannot do), for the script's catalog.
EXPECTED = {
    "no-cache": ([], ["17"]),
    "core-only": ([], ["12", "13", "14", "15", "18"]),
    "no-smart-charging": ([], ["14", "15"]),
    "ignore-heartbeat-interval": (["2"], []),
    "empty-configuration": (["4"], []),
    "start-when-refused": (["6"], []),
    "ignore-remote-stop": (["7"], []),
    "no-voltage": (["8"], []),
    "no-reboot-on-reset": (["9"], []),
    "trigger-ignored": (["18"], []),
    "no-connection-timeout": (["11"], []),
    "upload-fails": (["13"], []),
    "install-fails": (["12"], []),
}  # meter-backwards, double-call, naive-timestamps, bad-transition: shown by the findings, no case


def test_each_profile_fails_and_lacks_the_cases_its_clauses_say():
    derived = {name: ([c.key for c in failing(p)], [c.key for c in lacking(p)]) for name, p in PROFILES.items()}
    assert {name: found for name, found in derived.items() if found != ([], [])} == EXPECTED


def test_every_fault_shown_by_cases_fails_at_least_one():
    assert [n for n, p in PROFILES.items() if p.breaks and p.shown_by == "cases" and not failing(p)] == []
