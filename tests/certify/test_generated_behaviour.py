"""Generated legal behaviour: no rule fails a charger that OCPP 1.6 allows, and each
broken SHALL is failed by the rule that owns it.

A hypothesis state machine drives the charger model (charger_model.py) with the
bench's commands and the engineer's physical steps, the charger's MAY branches
drawn per example, and judges the log after every step: over the whole session
and over each open attempt, as certify.evaluation does. Fixed budget and seed
here; `make fuzz` runs the same machine longer (FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from certify import catalogs
from certify.judging.scope import Scope
from certify.judging.verdict import Verdict
from chargers.frames.reader import Log
from chargers.protocol.v16.state import State16

from .charger_model import BAD, FAULTS, GOOD, GOOD2, MEASURANDS, T0, WORKED, Fault, Session, Traits

FUZZING = "FUZZ_EXAMPLES" in os.environ  # `make fuzz`: longer, and new examples each run
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
COLLECT = os.environ.get("FUZZ_COLLECT")  # a file: record every failure there instead of stopping
STEPS = int(os.environ.get("FUZZ_STEPS", "40"))
FINAL = {"passed", "failed", "not_supported", "not_applicable"}
CASES = catalogs.get("ocpp16-testscript").cases
RULES = {case.rule: case.judge for case in CASES}
# The rule of each item, as the catalog names it.
ITEM_RULES = {case.number: case.rule for case in CASES}


class Judge:
    """The rules over a generated log, as the bench runs them. `verdicts` is the one
    place that knows the rules' entry point."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.log = Log()
        self.state = State16(self.log, session.bench.options.get("initial"))
        self.files: list = []
        self.now = T0
        self.seen = 0

    def update(self) -> None:
        bench = self.session.bench
        self.log.extend(bench.frames[self.seen :])
        self.seen = len(bench.frames)
        self.files = list(bench.files)
        self.now = T0 + timedelta(seconds=bench.now)

    def verdicts(self, lo: int = 0, item: int | None = None) -> dict[str, Verdict]:
        whole = Scope(self.log, self.state, self.session.bench.options, self.now, self.files)
        scope = whole.narrow(lo, None, item)
        rules = [ITEM_RULES[item]] if item is not None else list(RULES)
        return {name: RULES[name](scope) for name in rules}


def traits() -> st.SearchStrategy[Traits]:
    """A charger: one of the paths OCPP 1.6 allows at each choice (charger_model.Traits)."""
    optional = ("FirmwareManagement", "SmartCharging", "RemoteTrigger", "Reservation")
    return st.builds(
        Traits,
        connectors=st.integers(1, 2),
        profiles=st.lists(st.sampled_from(optional), unique=True).map(lambda p: ("Core", *p)),
        clock_skew=st.sampled_from([0.0, 0.0, -150.0, 200.0]),
        minimum_status_duration=st.sampled_from([0, 0, 5]),
        preparing=st.booleans(),
        charging_first=st.booleans(),
        finishing=st.sampled_from(["after", "before", "none"]),
        timeout_to=st.sampled_from(["Available", "Finishing"]),
        cache=st.sampled_from(["enabled", "disabled", "absent"]),
        start_from_cache=st.booleans(),
        stop_on_unplug=st.sampled_from(["true", "false", "absent"]),
        unplug_default_stops=st.booleans(),
        authorize_remote=st.booleans(),
        omit_local_reason=st.booleans(),
        measurands=st.sampled_from([MEASURANDS, MEASURANDS[:3], MEASURANDS[:1]]),
        stop_txn_data=st.booleans(),
        begin_sample=st.booleans(),
        rate_units=st.sampled_from(["Current,Power", "Current", "Power"]),
        max_stack_level=st.sampled_from([0, 8]),
        max_profiles=st.sampled_from([1, 8]),
        reject_first_reset=st.booleans(),
        reboot_before_installed=st.booleans(),
        download_retry=st.booleans(),
        version_changes=st.booleans(),
        diagnostics_empty=st.booleans(),
        upload_retry=st.booleans(),
        report_connector0=st.booleans(),
        outage_notice=st.sampled_from(["prompt", "late", "reconnect"]),
        inactivity=st.sampled_from(["own", "any", "timer"]),
        key_case=st.sampled_from(["canonical", "lower"]),
        reboot_keys=st.sampled_from([(), ("ConnectionTimeOut",), ("MeterValueSampleInterval",)]),
        trigger_answer=st.sampled_from(["Accepted", "Accepted", "Rejected"]),
        iccid=st.booleans(),
        statuses_before_queue=st.booleans(),
        clear_without_cache=st.sampled_from(["Rejected", "Accepted"]),
        reboot_seconds=st.sampled_from([5.0, 20.0, 300.0]),
    )


connectors = st.integers(1, 2)


class Bench(RuleBasedStateMachine):
    """The engineer at the bench, the charger on it; after every step, no rule fails."""

    fault: Fault | None = None

    @initialize(charger=traits(), auto_trigger=st.booleans(), plan=st.permutations(WORKED))
    def begin(self, charger: Traits, auto_trigger: bool, plan: list[int]) -> None:
        note(repr(charger))
        self.session = Session(charger, self.fault, auto_trigger)
        self.judge = Judge(self.session)
        self.failures: dict[str, Verdict] = {}
        self.plan = list(plan)  # every item is worked by the end, the random steps in between
        self.session.checkpoint = self.no_rule_fails

    @rule(c=connectors)
    def next_item(self, c: int) -> None:
        """The next item of the session's plan, worked as the headless run does."""
        if self.plan:
            self.session.work(self.plan.pop(0), self.connector(c))

    # -- the engineer's hands -----------------------------------------------------------

    def connector(self, c: int) -> int:
        return min(c, self.session.traits.connectors)

    @rule(seconds=st.sampled_from([0.5, 2.0, 10.0, 35.0, 70.0, 200.0, 650.0]))
    def wait(self, seconds: float) -> None:
        self.session.wait(seconds)

    @rule(c=connectors)
    def plug(self, c: int) -> None:
        self.session.plug(self.connector(c))

    @rule(c=connectors)
    def unplug(self, c: int) -> None:
        self.session.unplug(self.connector(c))

    @rule(card=st.sampled_from([GOOD, GOOD2, BAD]), c=connectors)
    def swipe(self, card: str, c: int) -> None:
        self.session.swipe(card, self.connector(c))

    @rule(c=st.integers(0, 2), code=st.sampled_from(["GroundFailure", "OtherError", "EVCommunicationError"]))
    def fault_on(self, c: int, code: str) -> None:
        self.session.charger.fault_on(min(c, self.session.traits.connectors), code)

    @rule(c=st.integers(0, 2))
    def fault_off(self, c: int) -> None:
        self.session.charger.fault_off(min(c, self.session.traits.connectors))

    @rule()
    def network_lost(self) -> None:
        self.session.charger.network_lost()

    @rule()
    def network_back(self) -> None:
        self.session.charger.network_back()

    @rule(down=st.sampled_from([5.0, 60.0]))
    def power_cut(self, down: float) -> None:
        if self.session.charger.boot_at is None:
            self.session.charger.reboot("PowerLoss", down)

    # -- the bench's buttons (certify.catalogs), each for its item ---------------------------

    @rule(item=st.integers(1, 18))
    def start_attempt(self, item: int) -> None:
        self.session.bench.start_attempt(item)

    @rule(data=st.data())
    def command(self, data) -> None:
        s = self.session
        n = s.traits.connectors
        item, action, payload = data.draw(
            st.one_of(
                st.just((1, "Reset", {"type": "Soft"})),
                st.sampled_from(["5", "30", "60", "300"]).map(
                    lambda v: (2, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": v})
                ),
                st.just((2, "TriggerMessage", {"requestedMessage": "Heartbeat"})),
                st.tuples(st.integers(0, n + 1), st.sampled_from(["Inoperative", "Operative"])).map(
                    lambda a: (3, "ChangeAvailability", {"connectorId": a[0], "type": a[1]})
                ),
                st.just((4, "GetConfiguration", {})),
                st.tuples(
                    st.sampled_from(["HeartbeatInterval", "ConnectionTimeOut", "NoSuchKey", "NumberOfConnectors"]),
                    st.sampled_from(["30", "60", "1"]),
                ).map(lambda a: (5, "ChangeConfiguration", {"key": a[0], "value": a[1]})),
                st.sampled_from(["HeartbeatInterval", "heartbeatinterval", "ConnectionTimeOut"]).map(
                    lambda k: (5, "GetConfiguration", {"key": [k]})
                ),
                st.integers(1, n).map(lambda c: (6, "RemoteStartTransaction", {"connectorId": c, "idTag": GOOD})),
                st.integers(1, n).map(lambda c: (7, "RemoteStopTransaction", {"transactionId": s.open_transaction(c)})),
                st.sampled_from(["10", "30", "60"]).map(
                    lambda v: (8, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": v})
                ),
                st.sampled_from([",".join(MEASURANDS), ",".join(MEASURANDS[:2])]).map(
                    lambda v: (8, "ChangeConfiguration", {"key": "MeterValuesSampledData", "value": v})
                ),
                st.sampled_from(["Hard", "Soft"]).map(lambda k: (9, "Reset", {"type": k})),
                st.sampled_from(["15", "30"]).map(
                    lambda v: (11, "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": v})
                ),
                st.just((12, "UpdateFirmware", {"location": "http://bench/fw.bin", "retrieveDate": s.iso()})),
                st.just((13, "GetDiagnostics", {"location": "ftp://bench/", "stopTime": s.iso()})),
                st.tuples(st.integers(0, n), st.integers(0, 2)).map(
                    lambda a: (14, "SetChargingProfile", s.profile(*a))
                ),
                st.just((17, "ClearCache", {})),
                st.sampled_from([None, 0, 1]).map(
                    lambda c: (
                        18,
                        "TriggerMessage",
                        {"requestedMessage": "StatusNotification", **({} if c is None else {"connectorId": c})},
                    )
                ),
            )
        )
        s.command(item, action, payload)

    @rule(item=st.sampled_from(WORKED), c=connectors)
    def work_item(self, item: int, c: int) -> None:
        """An item worked as the headless run does: its commands and physical steps in order."""
        self.session.work(item, self.connector(c))

    @rule(seconds=st.sampled_from([20.0, 90.0]))
    def take_offline(self, seconds: float) -> None:
        self.session.take_offline(seconds)

    # -- the judge -------------------------------------------------------------------------

    @invariant()
    def no_rule_fails(self) -> None:
        if not hasattr(self, "judge"):
            return
        self.judge.update()
        bench = self.session.bench
        for name, verdict in self.judge.verdicts().items():
            self.saw(name, verdict, "the whole session")
        for item, attempt in list(bench.attempts.items()):
            if attempt.ended:
                continue
            for name, verdict in self.judge.verdicts(attempt.started_seq, item).items():
                self.saw(name, verdict, f"attempt of item {item}")
                if verdict.status in FINAL:
                    bench.end_attempt(item, verdict.status)
                    self.judge.update()

    def teardown(self) -> None:
        """Every deadline passes: the charger left alone, connected again, for a long while."""
        if hasattr(self, "judge"):
            self.session.charger.network_back()
            self.session.wait(5)
            while self.plan:
                self.session.work(self.plan.pop(0))
            self.session.wait(1000)

    def saw(self, name: str, verdict: Verdict, where: str) -> None:
        if verdict.status != "failed":
            return
        self.failures.setdefault(name, verdict)
        if self.fault is not None:
            return
        message = (
            f"{name} failed a legal charger in {where} at t={self.session.now:.1f}: {verdict.reason} "
            f"[{verdict.clause}]\n" + "\n".join(self.session.bench.lines()[-30:])
        )
        if COLLECT:
            with open(COLLECT, "a") as out:
                log = "\n".join(self.session.bench.lines())
                out.write(f"=== {self.session.traits!r}\n{message.splitlines()[0]}\n{log}\n")
            return
        raise AssertionError(message)


TestLegalChargers = Bench.TestCase
TestLegalChargers.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=not FUZZING,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# -- faults: each broken SHALL is failed by the rule that owns it ------------------------------

# The traits under which each fault shows (a charger without the feature cannot break it).
FAULT_NEEDS: dict[str, dict] = {
    "ignore-heartbeat-interval": {"inactivity": "own"},
    "measurand-not-sampled": {"measurands": MEASURANDS},
    "interval-ignored": {"reboot_keys": ()},
    "clear-cache-rejected": {"cache": "enabled"},
    "trigger-ignored": {"profiles": ("Core", "RemoteTrigger"), "trigger_answer": "Accepted"},
    "upload-fails": {"profiles": ("Core", "FirmwareManagement"), "diagnostics_empty": False, "upload_retry": False},
    "installed-without-downloading": {"profiles": ("Core", "FirmwareManagement")},
    "availability-not-reported": {"minimum_status_duration": 0},
    "no-status-after-stop": {"minimum_status_duration": 0},  # with it, short states MAY go unreported
}


def _remote_stop_then_wait(session: Session, c: int) -> None:
    """A remote stop and nothing else for longer than the effect timeout."""
    session.command(7, "RemoteStartTransaction", {"connectorId": c, "idTag": GOOD})
    session.plug(c)
    session.wait(10)
    session.command(7, "RemoteStopTransaction", {"transactionId": session.open_transaction(c)})
    session.wait(120)


def _long_charge(session: Session, c: int) -> None:
    """A charge of many sample intervals."""
    session.command(8, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "10"})
    session.swipe(GOOD, c)
    session.plug(c)
    session.wait(300)
    session.swipe(GOOD, c)
    session.unplug(c)


# Faults that the item's own procedure would hide (another stop follows at once, a short charge).
FAULT_PROCEDURES = {"ignore-remote-stop": _remote_stop_then_wait, "interval-ignored": _long_charge}
OWNER_ITEM = {rule: item for item, rule in ITEM_RULES.items()}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_broken_shall_is_failed_by_its_rule(name: str) -> None:
    fault = FAULTS[name]
    needs = FAULT_NEEDS.get(name, {})

    @settings(max_examples=int(os.environ.get("FUZZ_FAULT_EXAMPLES", "8")), deadline=None, derandomize=not FUZZING)
    @given(charger=traits().map(lambda t: replace(t, **needs)), c=connectors)
    def run(charger: Traits, c: int) -> None:
        session = Session(charger, fault)
        c = min(c, charger.connectors)
        if name in FAULT_PROCEDURES:
            FAULT_PROCEDURES[name](session, c)
        else:
            session.work(OWNER_ITEM[fault.owner], c)
        session.wait(1000)
        judge = Judge(session)
        judge.update()
        verdict = judge.verdicts()[fault.owner]
        assert verdict.status == "failed", (
            f"{fault.name} ({fault.clause}): {fault.owner} {verdict.status}: {verdict.reason}"
        )

    run()
