"""The sequence matcher (certify.judging.sequence) on synthetic evidence logs: no
database, no sockets.

One row per behaviour: the steps, the frames, the moment of judging, and the
outcome; each row's name says the clause of OCPP 1.6 edition 2 (or the OCTT
convention) it rests on. Legal variants must not fail; wrong behaviour must
not pass; what the bench could not test is inconclusive, never failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from certify.judging.sequence import MISSING, judge
from certify.judging.steps import Absent, AnyOrder, Check, Each, Expect, Manual, OneOf, Ref, Send, Var
from certify.judging.verdict import FAILED, INCONCLUSIVE, NOT_SUPPORTED, OPEN, PASSED
from chargers.frames.reader import Log

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DATA = {"connector": 1, "id_tag": "T1", "id_tag_2": "T2", "connectors": 2, "connection_timeout": 30}
ACCEPTED = {"idTagInfo": {"status": "Accepted"}}


class Frames:
    """An evidence log being written: `charger(...)` a CALL of the charger's with
    our answer, `us(...)` a CALL of ours with the charger's answer."""

    def __init__(self) -> None:
        self.frames: list[dict] = []
        self.t = T0
        self.n = 0

    def at(self, seconds: float) -> Frames:
        self.t = T0 + timedelta(seconds=seconds)
        return self

    def _add(self, direction, message_type, action, uid, body):
        self.n += 1
        self.frames.append(
            {
                "id": self.n,
                "seq": self.n,
                "ts": self.t,
                "direction": direction,
                "message_type": message_type,
                "action": action,
                "unique_id": uid,
                "raw": json.dumps(body),
            }
        )

    def charger(self, action, payload, answer=None) -> Frames:
        uid = f"c{self.n}"
        self._add("in", 2, action, uid, [2, uid, action, payload])
        self._add("out", 3, action, uid, [3, uid, answer if answer is not None else {}])
        return self

    def us(self, action, payload, answer=None, error=None) -> Frames:
        uid = f"u{self.n}"
        self._add("out", 2, action, uid, [2, uid, action, payload])
        if error:
            self._add("in", 4, action, uid, [4, uid, error, "", {}])
        elif answer is not None:
            self._add("in", 3, action, uid, [3, uid, answer])
        return self

    def status(self, connector, status) -> Frames:
        return self.charger("StatusNotification", {"connectorId": connector, "status": status, "errorCode": "NoError"})

    def start(self, tag="T1", connector=1, tx=7) -> Frames:
        payload = {"connectorId": connector, "idTag": tag, "meterStart": 0, "timestamp": "2026-01-01T12:00:00Z"}
        return self.charger("StartTransaction", payload, {**ACCEPTED, "transactionId": tx})

    def stop(self, tx=7, **fields) -> Frames:
        payload = {"transactionId": tx, "meterStop": 10, "timestamp": "2026-01-01T12:01:00Z", **fields}
        return self.charger("StopTransaction", payload, ACCEPTED)

    def event(self, name, **fields) -> Frames:
        self._add("event", None, "", "", {"event": name, **fields})
        return self

    def done(self, step, label) -> Frames:
        """The engineer's Done on a step by hand (the session page's button)."""
        return self.event("step-done", case="TC", step=step, label=label, by="user:eng")


# -- the steps the rows judge ------------------------------------------------------

CHARGING = OneOf("Charging", "SuspendedEV", "SuspendedEVSE")
PLUG_FIRST = (
    Manual("plug", "Plug the cable in"),
    Expect("StatusNotification", {"status": "Preparing"}, match={"connectorId": Var("connector")}),
    Manual("swipe", "Present the valid tag"),
    Expect("Authorize", {"idTag": Var("id_tag")}, ours=ACCEPTED),
    AnyOrder(
        Expect("StartTransaction", {"idTag": Var("id_tag")}, match={"connectorId": Var("connector")}, name="start"),
        Expect("StatusNotification", {"status": CHARGING}, match={"connectorId": Var("connector")}),
    ),
)
REMOTE_STOP = (
    Expect("StartTransaction", name="start"),
    Send("RemoteStopTransaction", {"transactionId": "{transaction_id}"}, {"status": "Accepted"}),
    AnyOrder(
        Expect("StopTransaction", {"reason": "Remote"}, match={"transactionId": Ref("start", "answer.transactionId")}),
        Expect("StatusNotification", {"status": OneOf("Finishing", "Available")}, match={"connectorId": 1}),
    ),
)
COLD_BOOT = (
    Manual("power-cycle", "Power-cycle the charger", disconnects=True),
    Expect("BootNotification", name="rejected", ours={"status": "Rejected"}),
    Expect("BootNotification", after=Ref("rejected", "answer.interval"), ours={"status": "Accepted"}),
)
TIMEOUT = (
    Expect("Authorize", ours=ACCEPTED),
    Expect(
        "StatusNotification",
        {"status": "Available"},
        match={"connectorId": 1},
        after=Var("connection_timeout"),
        within=Var("connection_timeout"),
    ),
)
CONFIG_REJECTED = (
    Send(
        "ChangeConfiguration",
        {"key": "MeterValueSampleInterval", "value": "-1"},
        {"status": "Rejected"},
        errors=("PropertyConstraintViolation",),
    ),
)
TRIGGER = (
    Send(
        "TriggerMessage",
        {"requestedMessage": "Heartbeat"},
        {"status": "Accepted"},
        unsupported=("NotImplemented", "NotSupported"),
    ),
)
NO_START_WHILE_FAULTED = (
    Expect("StatusNotification", {"status": "Faulted"}, match={"connectorId": 1}),
    Manual("swipe", "Try to start a transaction"),
    Absent("StartTransaction", within=20),
)
OTHER_TAG_DOES_NOT_STOP = (
    Expect("StartTransaction", {"idTag": Var("id_tag")}, name="start"),
    Manual("swipe", "Present the second valid tag"),
    Absent("StopTransaction"),
    Manual("swipe", "Present the tag that started the transaction"),
    Expect("StopTransaction", {"idTag": OneOf(Var("id_tag"), MISSING)}),
)
ALL_AVAILABLE = (Each(Expect("StatusNotification", {"status": "Available"}), zero=True),)


def plug_first(f: Frames, charging_first=False) -> Frames:
    f.at(1).status(1, "Preparing").at(5).charger("Authorize", {"idTag": "T1"}, ACCEPTED)
    if charging_first:
        return f.at(6).status(1, "Charging").at(7).start()
    return f.at(6).start().at(7).status(1, "Charging")


@dataclass
class Row:
    name: str
    steps: tuple
    frames: Callable[[Frames], Frames]
    status: str
    now: float | None = None  # seconds after T0; default: a second after the last frame
    step: str = ""  # a part of the deciding step's label
    data: dict = field(default_factory=dict)


ROWS = [
    Row("§4.9, §4.3, §4.8: plug in, present the tag, start and Charging", PLUG_FIRST, plug_first, PASSED),
    Row(
        "§4.8/§4.9 set no order: Charging before StartTransaction passes",
        PLUG_FIRST,
        lambda f: plug_first(f, charging_first=True),
        PASSED,
    ),
    Row(
        "§4.9: repeated and intermediate statuses are passed over by a status step",
        PLUG_FIRST,
        lambda f: plug_first(f.at(0.5).status(1, "Available").at(0.7).status(2, "Preparing")),
        PASSED,
    ),
    Row(
        "§4.8: a transaction started for another tag fails, naming the step",
        PLUG_FIRST,
        lambda f: (
            f.at(1).status(1, "Preparing").at(5).charger("Authorize", {"idTag": "T1"}, ACCEPTED).at(6).start("T9")
        ),
        FAILED,
        step="StartTransaction",
    ),
    Row(
        "§4.9: Charging not reported in time fails",
        PLUG_FIRST,
        lambda f: f.at(1).status(1, "Preparing").at(5).charger("Authorize", {"idTag": "T1"}, ACCEPTED).at(6).start(),
        FAILED,
        now=100,
        step="StatusNotification",
    ),
    Row(
        "§4.9: Charging not reported yet is open until the effect timeout",
        PLUG_FIRST,
        lambda f: f.at(1).status(1, "Preparing").at(5).charger("Authorize", {"idTag": "T1"}, ACCEPTED).at(6).start(),
        OPEN,
        now=30,
        step="StatusNotification",
    ),
    Row(
        "a step after a manual one waits for the person without a deadline",
        PLUG_FIRST,
        lambda f: f.at(1).status(1, "Preparing"),
        OPEN,
        now=3600,
        step="Authorize",
    ),
    Row(
        "the bench answered Authorize Invalid: the case could not be tested (inconclusive, not failed)",
        PLUG_FIRST,
        lambda f: (
            f.at(1)
            .status(1, "Preparing")
            .at(5)
            .charger("Authorize", {"idTag": "T1"}, {"idTagInfo": {"status": "Invalid"}})
        ),
        INCONCLUSIVE,
        step="Authorize",
    ),
    Row(
        "§5.12, §6.49: RemoteStop answered Accepted, StopTransaction reason Remote, Finishing",
        REMOTE_STOP,
        lambda f: (
            f.at(1)
            .start()
            .at(2)
            .us("RemoteStopTransaction", {"transactionId": 7}, {"status": "Accepted"})
            .at(3)
            .stop(reason="Remote")
            .at(4)
            .status(1, "Finishing")
        ),
        PASSED,
    ),
    Row(
        "§4.9/§4.10 set no order: Finishing before StopTransaction passes",
        REMOTE_STOP,
        lambda f: (
            f.at(1)
            .start()
            .at(2)
            .us("RemoteStopTransaction", {"transactionId": 7}, {"status": "Accepted"})
            .at(3)
            .status(1, "Finishing")
            .at(4)
            .stop(reason="Remote")
        ),
        PASSED,
    ),
    Row(
        "§6.49: a remote stop reported with reason Local fails (Ref: the transactionId we gave)",
        REMOTE_STOP,
        lambda f: (
            f.at(1)
            .start()
            .at(2)
            .us("RemoteStopTransaction", {"transactionId": 7}, {"status": "Accepted"})
            .at(3)
            .stop(reason="Local")
            .at(4)
            .status(1, "Finishing")
        ),
        FAILED,
        step="StopTransaction",
    ),
    Row(
        "§5.12: RemoteStopTransaction answered Rejected fails at our step",
        REMOTE_STOP,
        lambda f: f.at(1).start().at(2).us("RemoteStopTransaction", {"transactionId": 7}, {"status": "Rejected"}),
        FAILED,
        step="RemoteStopTransaction",
    ),
    Row(
        "our command not sent yet: open, waiting for the bench, not a person",
        REMOTE_STOP,
        lambda f: f.at(1).start(),
        OPEN,
        now=500,
        step="RemoteStopTransaction",
    ),
    Row(
        "OCPP-J §4.1.4: our command unanswered past the timeout fails",
        REMOTE_STOP,
        lambda f: f.at(1).start().at(2).us("RemoteStopTransaction", {"transactionId": 7}),
        FAILED,
        now=200,
        step="RemoteStopTransaction",
    ),
    Row(
        "the charger disconnected while our command was unanswered: inconclusive",
        REMOTE_STOP,
        lambda f: f.at(1).start().at(2).us("RemoteStopTransaction", {"transactionId": 7}).at(5).event("disconnected"),
        INCONCLUSIVE,
        now=200,
        step="RemoteStopTransaction",
    ),
    Row(
        "§4.2: a rejected charger retries BootNotification after the interval we gave",
        COLD_BOOT,
        lambda f: (
            f.at(0)
            .event("disconnected")
            .at(1)
            .event("connected")
            .at(2)
            .charger("BootNotification", {}, {"status": "Rejected", "interval": 20, "currentTime": ""})
            .at(23)
            .charger("BootNotification", {}, {"status": "Accepted", "interval": 60, "currentTime": ""})
        ),
        PASSED,
    ),
    Row(
        "§4.2: a retry before the Rejected interval fails",
        COLD_BOOT,
        lambda f: (
            f.at(2)
            .charger("BootNotification", {}, {"status": "Rejected", "interval": 20, "currentTime": ""})
            .at(5)
            .charger("BootNotification", {}, {"status": "Accepted", "interval": 60, "currentTime": ""})
        ),
        FAILED,
        step="BootNotification",
    ),
    Row(
        "§9.1.6 ConnectionTimeOut: Available within the configured time passes",
        TIMEOUT,
        lambda f: f.at(0).charger("Authorize", {"idTag": "T1"}, ACCEPTED).at(31).status(1, "Available"),
        PASSED,
    ),
    Row(
        "§9.1.6 ConnectionTimeOut: Available long before the time-out is not the time-out",
        TIMEOUT,
        lambda f: f.at(0).charger("Authorize", {"idTag": "T1"}, ACCEPTED).at(5).status(1, "Available"),
        FAILED,
        step="Available",
    ),
    Row(
        "§9.1.6 ConnectionTimeOut: Available long after the time-out fails",
        TIMEOUT,
        lambda f: f.at(0).charger("Authorize", {"idTag": "T1"}, ACCEPTED).at(80).status(1, "Available"),
        FAILED,
        step="Available",
    ),
    Row(
        "§5.3: an invalid value answered Rejected passes",
        CONFIG_REJECTED,
        lambda f: f.us(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "-1"}, {"status": "Rejected"}
        ),
        PASSED,
    ),
    Row(
        "OCPP-J §4.2.3: an invalid value answered CALLERROR PropertyConstraintViolation passes",
        CONFIG_REJECTED,
        lambda f: f.us(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "-1"},
            error="PropertyConstraintViolation",
        ),
        PASSED,
    ),
    Row(
        "§5.3: an invalid value Accepted fails",
        CONFIG_REJECTED,
        lambda f: f.us(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "-1"}, {"status": "Accepted"}
        ),
        FAILED,
        step="ChangeConfiguration",
    ),
    Row(
        "another ChangeConfiguration of ours is not this step's (the literal payload picks)",
        CONFIG_REJECTED,
        lambda f: f.us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, {"status": "Accepted"}),
        OPEN,
        step="ChangeConfiguration",
    ),
    Row(
        "§3.3, OCPP-J §4.2.3: TriggerMessage answered CALLERROR NotImplemented: Not supported",
        TRIGGER,
        lambda f: f.us("TriggerMessage", {"requestedMessage": "Heartbeat"}, error="NotImplemented"),
        NOT_SUPPORTED,
    ),
    Row(
        "§3.3: TriggerMessage answered NotImplemented status: Not supported",
        TRIGGER,
        lambda f: f.us("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "NotImplemented"}),
        NOT_SUPPORTED,
    ),
    Row(
        "§4.9 Faulted: no transaction while faulted, watched to the end: open",
        NO_START_WHILE_FAULTED,
        lambda f: f.at(1).status(1, "Faulted"),
        OPEN,
        now=10,
        step="does not send StartTransaction",
    ),
    Row(
        "§4.9 Faulted: no transaction for the whole time: passed",
        NO_START_WHILE_FAULTED,
        lambda f: f.at(1).status(1, "Faulted"),
        PASSED,
        now=40,
    ),
    Row(
        "§4.9 Faulted: a transaction started while faulted fails",
        NO_START_WHILE_FAULTED,
        lambda f: f.at(1).status(1, "Faulted").at(8).start(),
        FAILED,
        now=40,
        step="does not send StartTransaction",
    ),
    Row(
        "§4.10 (OCTT TC_068): the starting tag stops the transaction",
        OTHER_TAG_DOES_NOT_STOP,
        lambda f: f.at(1).start().at(5).charger("Authorize", {"idTag": "T2"}, ACCEPTED).at(9).stop(idTag="T1"),
        PASSED,
    ),
    Row(
        "§4.10 (OCTT TC_068): another tag stopped the transaction: failed",
        OTHER_TAG_DOES_NOT_STOP,
        lambda f: f.at(1).start().at(5).stop(idTag="T2"),
        FAILED,
    ),
    Row(
        "§6.49: a stop without idTag is allowed (idTag optional)",
        OTHER_TAG_DOES_NOT_STOP,
        lambda f: f.at(1).start().at(9).stop(),
        PASSED,
    ),
    Row(
        "§4.9: every connector and connector 0 report Available, in any order",
        ALL_AVAILABLE,
        lambda f: f.at(1).status(2, "Available").at(1.1).status(0, "Available").at(1.2).status(1, "Available"),
        PASSED,
    ),
    Row(
        "§4.9: a connector that never reports fails, naming the connector",
        ALL_AVAILABLE,
        lambda f: f.at(1).status(0, "Available").at(1.2).status(1, "Available"),
        FAILED,
        now=100,
        step="connector 2",
    ),
    Row(
        "a step whose condition the session's data rules out is left out",
        (Expect("Heartbeat", when=lambda d: d.get("fixed_cable")), Expect("StatusNotification")),
        lambda f: f.status(1, "Available"),
        PASSED,
    ),
    Row(
        "an optional step that does not come does not fail the case (Authorize before a remote start, §5.11)",
        (
            Send("RemoteStartTransaction", {"idTag": "{id_tag}"}, {"status": "Accepted"}),
            Expect("Authorize", optional=True),
            Expect("StartTransaction"),
        ),
        lambda f: f.us("RemoteStartTransaction", {"idTag": "T1"}, {"status": "Accepted"}).at(2).start(),
        PASSED,
    ),
]


SETUP = (
    Send(
        "ChangeConfiguration",
        {"key": "StopTransactionOnEVSideDisconnect", "value": "false"},
        {"status": "Accepted"},
        otherwise=INCONCLUSIVE,
    ),
)
UNPLUGGED = (
    Manual("unplug", "Unplug the cable"),
    Expect("StatusNotification", {"status": "Available"}, match={"connectorId": 1}, state=True),
)
HEARTBEATS = (
    Expect("BootNotification", name="boot"),
    Expect("StatusNotification"),
    Expect("Heartbeat", since="boot", within=Ref("boot", "answer.interval")),
)
READ_BACK = (
    Send(
        "GetConfiguration",
        {"key": ["MeterValueSampleInterval"]},
        {
            "configurationKey": Check(
                lambda keys, resolve: keys[0]["value"] == str(resolve(Var("interval"))), "the value set"
            )
        },
    ),
)
ROWS += [
    Row(
        "a configuration the case needs refused: the case could not be tested (inconclusive)",
        SETUP,
        lambda f: f.us(
            "ChangeConfiguration",
            {"key": "StopTransactionOnEVSideDisconnect", "value": "false"},
            {"status": "Rejected"},
        ),
        INCONCLUSIVE,
    ),
    Row(
        "§4.9: a connector already reported Available needs no new status (a state step)",
        UNPLUGGED,
        lambda f: f.at(1).status(1, "Finishing").at(2).status(1, "Available"),
        PASSED,
        now=3,
    ),
    Row(
        "§4.9: a state step still waits while the last status says otherwise",
        UNPLUGGED,
        lambda f: f.at(1).status(1, "Finishing"),
        OPEN,
    ),
    Row(
        "§4.6: the heartbeat interval counts from the boot we answered (since a named step)",
        HEARTBEATS,
        lambda f: (
            f.charger("BootNotification", {}, {"status": "Accepted", "interval": 10})
            .at(8)
            .status(1, "Available")
            .at(10)
            .charger("Heartbeat", {}, {})
        ),
        PASSED,
    ),
    Row(
        "§4.6: a heartbeat later than the interval from the boot fails",
        HEARTBEATS,
        lambda f: (
            f.charger("BootNotification", {}, {"status": "Accepted", "interval": 10})
            .at(8)
            .status(1, "Available")
            .at(17)
            .charger("Heartbeat", {}, {})
        ),
        FAILED,
    ),
    Row(
        "§5.8: a check reads the session's test data (the value read back is the one set)",
        READ_BACK,
        lambda f: f.us(
            "GetConfiguration",
            {"key": ["MeterValueSampleInterval"]},
            {"configurationKey": [{"key": "MeterValueSampleInterval", "value": "15", "readonly": False}]},
        ),
        PASSED,
        data={"interval": 15},
    ),
    Row(
        "§5.8: a value read back that is not the one set fails",
        READ_BACK,
        lambda f: f.us(
            "GetConfiguration",
            {"key": ["MeterValueSampleInterval"]},
            {"configurationKey": [{"key": "MeterValueSampleInterval", "value": "60", "readonly": False}]},
        ),
        FAILED,
        data={"interval": 15},
    ),
]


BY_HAND = (
    Manual("plug", "Plug the cable in", within=60),
    Expect("StatusNotification", {"status": "Preparing"}, match={"connectorId": 1}),
)
THEN_OURS = (
    Manual("plug", "Plug the cable in"),
    Send("RemoteStartTransaction", {"idTag": "T1"}, {"status": "Accepted"}),
)
ROWS += [
    Row(
        "OCTT manual step: done within its budget, the charger's status shows it (no Done needed)",
        BY_HAND,
        lambda f: f.at(30).status(1, "Preparing"),
        PASSED,
    ),
    Row(
        "OCTT manual step: its budget runs out with no Done and nothing seen: inconclusive, never failed",
        BY_HAND,
        lambda f: f,
        INCONCLUSIVE,
        now=70,
        step="Plug the cable in",
    ),
    Row(
        "OCTT manual step: still within its budget the case waits",
        BY_HAND,
        lambda f: f,
        OPEN,
        now=50,
    ),
    Row(
        "OCTT manual step: the status after the budget ran out does not count (the step was not done in time)",
        BY_HAND,
        lambda f: f.at(65).status(1, "Preparing"),
        INCONCLUSIVE,
    ),
    Row(
        "OCTT manual step: a Done lets the case go on; the status after it passes",
        BY_HAND,
        lambda f: f.at(10).done(1, "Plug the cable in").at(12).status(1, "Preparing"),
        PASSED,
    ),
    Row(
        "OCTT manual step, §4.9: Done and no status within the effect time fails (the charger did not react)",
        BY_HAND,
        lambda f: f.at(10).done(1, "Plug the cable in"),
        FAILED,
        now=75,
    ),
    Row(
        "OCTT manual step: a Done for another step (or label) is not this step's",
        BY_HAND,
        lambda f: f.at(10).done(2, "Plug the cable in").at(11).done(1, "Present the tag"),
        INCONCLUSIVE,
        now=70,
    ),
    Row(
        "OCTT manual step: a wrong frame before the budget ran out decides the case (failed, not inconclusive)",
        (Manual("swipe", "Present the tag", within=60), Expect("Authorize", {"idTag": "T1"})),
        lambda f: f.at(20).charger("Authorize", {"idTag": "T9"}, ACCEPTED),
        FAILED,
        now=70,
    ),
    Row(
        "OCTT manual step: the budget comes from the test data (manual_step_seconds) when the step has none",
        THEN_OURS,
        lambda f: f,
        INCONCLUSIVE,
        now=40,
        data={"manual_step_seconds": 30},
    ),
    Row(
        "OCTT manual step: without a budget a step by hand waits as long as people take",
        THEN_OURS,
        lambda f: f,
        OPEN,
        now=4000,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_sequence(row: Row) -> None:
    frames = row.frames(Frames())
    records = list(Log(frames.frames))
    now = T0 + timedelta(seconds=row.now if row.now is not None else (frames.t - T0).total_seconds() + 1)
    outcome = judge(row.steps, records, now=now, data={**DATA, **row.data}, start=T0)
    assert outcome.status == row.status, outcome.reason
    if row.step:
        assert row.step in outcome.step, (outcome.step, outcome.reason)


def test_each_step_names_the_frames_it_rests_on() -> None:
    frames = plug_first(Frames())
    outcome = judge(PLUG_FIRST, list(Log(frames.frames)), now=T0 + timedelta(seconds=10), data=DATA, start=T0)
    done = [row for row in outcome.steps if row["state"] == "done"]
    assert [row["frame"] for row in done] == [1, 3, 5, 7]  # Preparing, Authorize, StartTransaction, Charging
    assert all(len(row["frames"]) == 2 for row in done)  # each CALL with its answer
    assert sorted(outcome.evidence) == list(range(1, 9))
    assert [row["state"] for row in outcome.steps if not row["done"]] == []
    assert outcome.named["start"].get("idTag") == "T1"


def test_a_failure_says_expected_and_actual() -> None:
    frames = Frames().at(1).start("T9")
    steps = (Expect("StartTransaction", {"idTag": Var("id_tag")}),)
    outcome = judge(steps, list(Log(frames.frames)), now=T0 + timedelta(seconds=5), data=DATA)
    assert outcome.expected == "StartTransaction with idTag T1"
    assert outcome.actual.startswith("idTag T9 at 12:00:01")
    assert outcome.steps[0]["state"] == FAILED and outcome.steps[0]["frames"] == [1, 2]


def test_an_open_step_says_what_it_waits_for_and_until_when() -> None:
    frames = Frames().at(1).us("ClearCache", {}, {"status": "Accepted"})
    steps = (Send("ClearCache", answer={"status": "Accepted"}), Expect("StatusNotification", {"status": "Available"}))
    outcome = judge(steps, list(Log(frames.frames)), now=T0 + timedelta(seconds=5), data=DATA)
    assert outcome.status == OPEN
    assert outcome.waiting == {
        "for": "StatusNotification with status Available",
        "deadline": "2026-01-01T12:01:01+00:00",
        "person": "",
    }
    assert [row["state"] for row in outcome.steps] == ["done", "open"]


def test_what_must_not_come_is_watched_until_the_first_frame_of_the_next_step() -> None:
    """§4.10, OCTT TC_068: a second tag stops nothing; the stop that the starting
    tag causes ends the watch even when its Finishing comes first or after."""
    steps = (
        Expect("StartTransaction", name="start"),
        Absent("StopTransaction"),
        Manual("swipe", "Present the starting tag"),
        AnyOrder(
            Expect("StopTransaction", match={"transactionId": Ref("start", "answer.transactionId")}),
            Expect("StatusNotification", {"status": "Finishing"}),
        ),
    )
    for finishing_first in (False, True):
        f = Frames().at(1).start()
        if finishing_first:
            f.at(5).status(1, "Finishing").at(6).stop(idTag="T1")
        else:
            f.at(5).stop(idTag="T1").at(6).status(1, "Finishing")
        outcome = judge(steps, list(Log(f.frames)), now=T0 + timedelta(seconds=10), data=DATA)
        assert outcome.status == PASSED, outcome.reason
    # The stop came, its Finishing not yet: the case waits; the stop is not what must not come.
    f = Frames().at(1).start().at(5).stop(idTag="T1")
    outcome = judge(steps, list(Log(f.frames)), now=T0 + timedelta(seconds=6), data=DATA)
    assert outcome.status == OPEN, outcome.reason


def test_our_command_is_recognised_with_its_placeholders_filled_at_any_depth() -> None:
    """§5.15: a SendLocalList whose entries name the session's tag is the step's command."""
    steps = (
        Send(
            "SendLocalList",
            {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "{id_tag}"}]},
            {"status": "Accepted"},
        ),
    )
    sent = {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "T1"}]}
    other = {**sent, "listVersion": 2}
    f = Frames().us("SendLocalList", other, {"status": "Accepted"}).us("SendLocalList", sent, {"status": "Rejected"})
    outcome = judge(steps, list(Log(f.frames)), now=T0 + timedelta(seconds=5), data=DATA)
    assert outcome.status == FAILED and outcome.steps[0]["frames"][0] == 3  # the second one, version 1


def test_a_step_by_hand_is_prompted_with_its_countdown_and_its_done_is_evidence() -> None:
    """The page's prompt: the step's row number and label, and the deadline its budget sets."""
    outcome = judge(BY_HAND, [], now=T0 + timedelta(seconds=5), data=DATA, start=T0)
    assert outcome.waiting["prompt"] == {"step": 1, "label": "Plug the cable in", "seconds": 60.0}
    assert outcome.waiting["deadline"] == "2026-01-01T12:01:00+00:00"
    f = Frames().at(10).done(1, "Plug the cable in").at(12).status(1, "Preparing")
    outcome = judge(BY_HAND, list(Log(f.frames)), now=T0 + timedelta(seconds=13), data=DATA, start=T0)
    assert outcome.steps[0]["frames"] == [1] and outcome.steps[0]["confirmed"]
    assert 1 in outcome.evidence
    f = Frames()
    outcome = judge(BY_HAND, [], now=T0 + timedelta(seconds=70), data=DATA, start=T0)
    assert outcome.steps[0]["state"] == INCONCLUSIVE
    assert "12:01:00 (its 60 s)" in outcome.reason, outcome.reason


# A heartbeat within the boot's interval of inactivity (TC_001_CS, TC_002_CS): the interval
# counts from the last exchange, not from the boot (§9.1.10; §4.6: another message may take
# a heartbeat's place). Interval 60 s, slack 2 s + 10 %.
IDLE_BEAT = (
    Expect("BootNotification", name="boot"),
    Expect("Heartbeat", since="boot", within=Ref("boot", "answer.interval"), idle=True, label="heartbeat"),
)


def boot_then_statuses(f: Frames) -> Frames:
    f.at(0).charger("BootNotification", {}, {"status": "Accepted", "interval": 60})
    return f.at(30).status(0, "Available").at(50).status(1, "Available")


ROWS_IDLE = [
    Row(
        "§9.1.10: a heartbeat 60 s after the last status (110 s after the boot) passes",
        IDLE_BEAT,
        lambda f: boot_then_statuses(f).at(110).charger("Heartbeat", {}, {"currentTime": "x"}),
        PASSED,
    ),
    Row(
        "§9.1.10: a heartbeat 100 s after the last exchange fails, naming the step",
        IDLE_BEAT,
        lambda f: boot_then_statuses(f).at(150).charger("Heartbeat", {}, {"currentTime": "x"}),
        FAILED,
        step="heartbeat",
    ),
    Row(
        "§9.1.10: still quiet 60 s after the last status: open until the interval of inactivity ends",
        IDLE_BEAT,
        boot_then_statuses,
        OPEN,
        now=100,
    ),
    Row(
        "§9.1.10: no heartbeat long after the last exchange fails",
        IDLE_BEAT,
        boot_then_statuses,
        FAILED,
        now=200,
    ),
]


@pytest.mark.parametrize("row", ROWS_IDLE, ids=[r.name for r in ROWS_IDLE])
def test_an_idle_interval_counts_from_the_last_exchange(row: Row) -> None:
    test_sequence(row)


# Reset answered Rejected, a legal answer (§5.14: the charger says whether it will reset;
# §7.41): a lab sends it again; only a charger that keeps refusing leaves the case untested.
RESET = (Send("Reset", {"type": "Hard"}, {"status": "Accepted"}, disconnects=True), Expect("BootNotification"))


def resets(f: Frames, *answers: str) -> Frames:
    for n, status in enumerate(answers):
        f.at(1 + 6 * n).us("Reset", {"type": "Hard"}, {"status": status})
    return f


ROWS_RESET = [
    Row(
        "§5.14: Reset Rejected, sent again and Accepted, then the boot: passes",
        RESET,
        lambda f: resets(f, "Rejected", "Accepted").at(20).charger("BootNotification", {}, {"status": "Accepted"}),
        PASSED,
    ),
    Row(
        "§5.14: Reset Rejected, not yet sent again: open, waiting for us", RESET, lambda f: resets(f, "Rejected"), OPEN
    ),
    Row(
        "§5.14, §7.41: Reset Rejected three times: inconclusive (legal), never failed",
        RESET,
        lambda f: resets(f, "Rejected", "Rejected", "Rejected"),
        INCONCLUSIVE,
    ),
]


@pytest.mark.parametrize("row", ROWS_RESET, ids=[r.name for r in ROWS_RESET])
def test_a_legal_refusal_is_sent_again_then_inconclusive(row: Row) -> None:
    test_sequence(row)


def test_a_refused_reset_waits_for_us_to_send_it_again() -> None:
    records = list(Log(resets(Frames(), "Rejected").frames))
    outcome = judge(RESET, records, now=T0 + timedelta(seconds=3), data=DATA, start=T0)
    assert outcome.waiting["for"] == "we send Reset again"
