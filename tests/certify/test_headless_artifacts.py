"""What a headless run's artifacts say of its items (issue 20.9, 20.10): the exit
status by verdict, one row per outcome, and the words the table and JUnit use; and
the check every profile's run passes, that no reboot came while a transaction ran."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from certify.headless import artifacts
from chargers.frames.reader import Log
from tests.certify.profile_cases import reboots_during_transactions


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


def frames(*calls: tuple[str, str, dict, dict]) -> Log:
    """A log of CALLs, each answered: (direction, action, payload, answer)."""
    log, n = Log(), 0
    for direction, action, payload, answer in calls:
        n += 1
        log.extend([{"seq": 2 * n - 1, "direction": direction, "raw": json.dumps([2, f"u{n}", action, payload])}])
        back = "out" if direction == "in" else "in"
        log.extend([{"seq": 2 * n, "direction": back, "raw": json.dumps([3, f"u{n}", answer])}])
    return log


START = (
    "in",
    "StartTransaction",
    {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "x"},
    {
        "transactionId": 7,
        "idTagInfo": {"status": "Accepted"},
    },
)
STOP = ("in", "StopTransaction", {"transactionId": 7, "meterStop": 5, "timestamp": "y"}, {})
RESET = ("out", "Reset", {"type": "Hard"}, {"status": "Accepted"})


@pytest.mark.parametrize(
    "calls, found",
    [
        ((START, STOP, RESET), 0),  # ended first (issue 20.5)
        ((START, RESET, STOP), 1),  # sent while transaction 7 ran
        ((RESET, START), 0),  # started after
    ],
)
def test_a_reboot_while_a_transaction_runs_is_found(calls, found):
    assert len(reboots_during_transactions(frames(*calls))) == found
