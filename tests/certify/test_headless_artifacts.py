"""What a headless run's artifacts say of its items (issue 20.9, 20.10): the exit
status by verdict, one row per outcome, and the words the table and JUnit use."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from certify.headless import artifacts


def item(verdict: str, automatic: bool = True, **more) -> dict:
    return {"key": "1", "number": 1, "function": "F", "verdict": verdict, "automatic": automatic, **more}


@pytest.mark.parametrize(
    "verdicts, code",
    [
        (["passed", "not_supported", "not_applicable"], 0),  # nothing failed, open or inconclusive
        (["passed", "open"], 2),  # an automatic item still awaits something
        (["passed", "inconclusive"], 2),  # the bench or the rig could not test it
        (["open", "failed", "inconclusive"], 1),  # the charger was wrong: that first
    ],
)
def test_the_exit_status_follows_the_verdicts(verdicts, code):
    items = {str(n): item(v) for n, v in enumerate(verdicts)}
    assert artifacts.exit_code(items) == code


def test_an_item_judged_by_hand_left_open_does_not_hold_the_pipeline():
    assert artifacts.exit_code({"15": item("open", automatic=False)}) == 0


def test_the_table_prints_labels_and_junit_skips_with_the_reason():
    items = {
        "12": item("inconclusive", number=12, verdict_label="Inconclusive", reason="No firmware image given"),
        "14": item("not_supported", number=14, verdict_label="Not supported", reason="No SmartCharging"),
        "2": item("open", number=2, verdict_label="Open", waiting={"for": "a Heartbeat"}),
    }
    table = artifacts.table(items, {})
    assert "Not supported" in table and "not_supported" not in table
    assert " 2  F" in table and "awaiting a Heartbeat" in table
    suite = ET.fromstring(artifacts.junit(items, {}, "CP", 7, 12.5))
    skipped = {c.get("name")[:2]: c.find("skipped").get("message") for c in suite.iter("testcase")}
    assert skipped == {
        "02": "Open: awaiting a Heartbeat",
        "12": "Inconclusive: No firmware image given",
        "14": "Not supported: No SmartCharging",
    }
    assert suite.get("time") == "12.5" and suite.get("skipped") == "3"
