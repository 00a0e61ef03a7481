"""Protocol findings over a whole log (issue 22): each check, one row, a legal
sequence that raises nothing and a violating one that raises exactly that
finding with its clause; fed frame by frame, the findings are those of a scan.

Logs are written as the JSON Lines export and read by the one reader."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chargers.frames.reader import Log
from chargers.protocol.v16.findings import CHECKS, Findings, scan

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "F22"}
AUTH = {"idTagInfo": {"status": "Accepted"}}


def stamp(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


class Script:
    """A log written line by line: the charger's CALLs and our answers, our
    CALLs and its answers, connection events; one second apart unless `at`."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.clock = 0.0
        self.last_in = self.last_out = ""
        self.n = 0

    def _add(self, direction: str, body, at: float | None) -> Script:
        self.clock = self.clock + 1 if at is None else at
        self.lines.append(json.dumps({"ts": stamp(self.clock), "direction": direction, "raw": json.dumps(body)}))
        return self

    def cp(self, action: str, payload: dict, uid: str | None = None, at: float | None = None) -> Script:
        """A CALL from the charger."""
        self.n += 1
        self.last_in = uid or f"c{self.n}"
        return self._add("in", [2, self.last_in, action, payload], at)

    def ok(self, payload: dict | None = None, uid: str | None = None, at: float | None = None) -> Script:
        """Our CALLRESULT to the charger's last CALL."""
        return self._add("out", [3, uid or self.last_in, payload or {}], at)

    def error(self, code: str, uid: str | None = None) -> Script:
        return self._add("out", [4, uid or self.last_in, code, "", {}], None)

    def cs(self, action: str, payload: dict) -> Script:
        """A CALL of ours."""
        self.n += 1
        self.last_out = f"o{self.n}"
        return self._add("out", [2, self.last_out, action, payload], None)

    def reply(self, payload: dict) -> Script:
        return self._add("in", [3, self.last_out, payload], None)

    def noted(self, note: str) -> Script:
        """The last frame as our central system noted it when it came."""
        line = json.loads(self.lines[-1])
        self.lines[-1] = json.dumps({**line, "note": note})
        return self

    def reply_error(self, code: str) -> Script:
        return self._add("in", [4, self.last_out, code, "", {}], None)

    def event(self, name: str) -> Script:
        return self._add("event", {"event": name}, None)

    # -- the usual steps -----------------------------------------------------------

    def boot(self, status: str = "Accepted", interval: int | None = None) -> Script:
        """A boot and our answer; a Pending or Rejected one leaves the retry's wait to the charger (interval 0)."""
        interval = (300 if status == "Accepted" else 0) if interval is None else interval
        return self.cp("BootNotification", BOOT).ok({"status": status, "currentTime": stamp(0), "interval": interval})

    def status(self, connector: int, status: str, **extra) -> Script:
        payload = {"connectorId": connector, "status": status, "errorCode": "NoError", **extra}
        return self.cp("StatusNotification", payload).ok()

    def start(self, connector: int, tx: int, meter: int = 1000, tag: str = "TAG-1", **extra) -> Script:
        payload = {"connectorId": connector, "idTag": tag, "meterStart": meter, "timestamp": stamp(self.clock + 1)}
        payload.update(extra)
        return self.cp("StartTransaction", payload).ok({"transactionId": tx, "idTagInfo": {"status": "Accepted"}})

    def meter(self, connector: int, tx: int | None, value, unit: str = "Wh", measurand: str = "") -> Script:
        sampled = {"value": str(value), "unit": unit, **({"measurand": measurand} if measurand else {})}
        payload = {
            "connectorId": connector,
            "meterValue": [{"timestamp": stamp(self.clock + 1), "sampledValue": [sampled]}],
        }
        if tx is not None:
            payload["transactionId"] = tx
        return self.cp("MeterValues", payload).ok()

    def stop(self, tx: int, meter: int = 2000, ts: float | None = None) -> Script:
        when = stamp(self.clock + 1 if ts is None else ts)
        return self.cp("StopTransaction", {"transactionId": tx, "meterStop": meter, "timestamp": when}).ok({})

    def heartbeat(self, at: float | None = None) -> Script:
        return self.cp("Heartbeat", {}, at=at).ok({"currentTime": stamp(self.clock)}, at=None if at is None else at)

    def charge(self, connector: int = 1, tx: int = 1, start: int = 1000, stop: int = 2000) -> Script:
        """A whole legal transaction."""
        self.status(connector, "Preparing").start(connector, tx, start).status(connector, "Charging")
        self.meter(connector, tx, start + 10).stop(tx, stop).status(connector, "Finishing")
        return self.status(connector, "Available")


def s() -> Script:
    return Script().event("connected").boot().status(0, "Available").status(1, "Available")


# (check, legal, violating): each violating log differs from its legal one in the one behaviour.
ROWS = [
    (
        "state-table",
        s().charge(),  # Available -> Preparing -> Charging -> Finishing -> Available (§4.9 A2, B3, C6, F1)
        s().status(1, "Preparing").start(1, 1).status(1, "Charging").stop(1).status(1, "Preparing"),
    ),
    (
        "state-table",  # a reconnect forgets the status: what happened unheard is no transition seen
        s().status(1, "Charging").event("disconnected").event("connected").status(1, "Reserved"),
        s().status(1, "Charging").status(1, "Reserved"),
    ),
    (
        "call-before-answer",
        s().cp("Authorize", {"idTag": "A"}).ok(AUTH).cp("Authorize", {"idTag": "B"}).ok(AUTH),
        s().cp("Authorize", {"idTag": "A"}, uid="a").cp("Authorize", {"idTag": "B"}, uid="b").ok(AUTH, uid="a"),
    ),
    (
        "call-before-answer",  # as our consumer stores it: the second CALL after our answer, with the time it
        # reached us, which was before that answer left (OCPP-J §4.1.1); the legal one came after it left
        s().cp("Authorize", {"idTag": "A"}, at=20).ok(AUTH, at=21).cp("Authorize", {"idTag": "B"}, at=21.5).ok(AUTH),
        s().cp("Authorize", {"idTag": "A"}, at=20).ok(AUTH, at=21).cp("Authorize", {"idTag": "B"}, at=20.5).ok(AUTH),
    ),
    (
        "unique-id-reused",  # a new connection may use its ids again, and the same CALL may be sent again
        s()
        .cp("Authorize", {"idTag": "A"}, uid="x")
        .ok(AUTH)
        .cp("Authorize", {"idTag": "A"}, uid="x")
        .ok(AUTH)
        .event("connected")
        .cp("Authorize", {"idTag": "B"}, uid="x")
        .ok(AUTH),
        s().cp("Authorize", {"idTag": "A"}, uid="x").ok(AUTH).cp("Authorize", {"idTag": "B"}, uid="x").ok(AUTH),
    ),
    (
        "before-boot-accepted",  # while Pending, a status asked for with TriggerMessage is allowed (errata)
        Script()
        .boot("Pending")
        .cs("TriggerMessage", {"requestedMessage": "StatusNotification"})
        .reply({"status": "Accepted"})
        .status(0, "Available")
        .boot(),
        Script().boot("Pending").status(0, "Available").boot(),
    ),
    (
        "before-boot-accepted",
        Script().boot("Rejected").boot().status(0, "Available"),
        Script().boot("Rejected").status(0, "Available"),
    ),
    (
        "before-boot-accepted",  # while Rejected it SHALL NOT answer us either
        Script().boot("Rejected").cs("GetConfiguration", {}).boot(),
        Script().boot("Rejected").cs("GetConfiguration", {}).reply({"configurationKey": []}).boot(),
    ),
    (
        "boot-retry-early",  # or sooner when asked for with TriggerMessage
        Script()
        .cp("BootNotification", BOOT, at=10)
        .ok({"status": "Pending", "currentTime": stamp(0), "interval": 60})
        .cs("TriggerMessage", {"requestedMessage": "BootNotification"})
        .reply({"status": "Accepted"})
        .boot()
        .cp("BootNotification", BOOT, at=100)
        .ok({"status": "Rejected", "currentTime": stamp(0), "interval": 60}, at=100)
        .cp("BootNotification", BOOT, at=161)
        .ok({"status": "Accepted", "currentTime": stamp(0), "interval": 60}, at=161),
        Script()
        .cp("BootNotification", BOOT, at=10)
        .ok({"status": "Rejected", "currentTime": stamp(0), "interval": 60}, at=10)
        .cp("BootNotification", BOOT, at=30)
        .ok({"status": "Accepted", "currentTime": stamp(0), "interval": 60}, at=30),
    ),
    (
        "meter-backwards",
        s().status(1, "Charging").start(1, 1, 1000).meter(1, 1, 1.5, "kWh").meter(1, 1, 1600),
        s().status(1, "Charging").start(1, 1, 1000).meter(1, 1, 1500).meter(1, 1, 1400),
    ),
    (
        "meter-backwards-across",
        s().charge(1, 1, 1000, 2000).charge(1, 2, 2000, 3000),
        s().charge(1, 1, 1000, 2000).charge(1, 2, 0, 3000),
    ),
    (
        "meter-stop-below-start",
        s().status(1, "Charging").start(1, 1, 1000).stop(1, 1000),
        s().status(1, "Charging").start(1, 1, 1000).stop(1, 900),
    ),
    (
        "unit-for-measurand",
        s().status(1, "Charging").start(1, 1).meter(1, 1, 7.4, "kW", "Power.Active.Import"),
        s().status(1, "Charging").start(1, 1).meter(1, 1, 7.4, "kW", "Energy.Active.Import.Register"),
    ),
    (
        "timestamp-no-zone",  # an offset other than Z is a zone (OCPP-NOTES: chargers send +03)
        s()
        .cp(
            "StatusNotification",
            {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": "2026-03-01T13:00:05+03:00"},
        )
        .ok(),
        s()
        .cp(
            "StatusNotification",
            {"connectorId": 1, "status": "Available", "errorCode": "NoError", "timestamp": "2026-03-01T10:00:05"},
        )
        .ok(),
    ),
    (
        "timestamp-future",  # judged against the frame's own receive time, within a tolerance
        s().status(1, "Available", timestamp=stamp(60)),
        s().status(1, "Available", timestamp=stamp(3600)),
    ),
    (
        "timestamp-backwards",  # a transaction message queued while offline may be older than live statuses
        s()
        .status(1, "Charging")
        .start(1, 1)
        .event("connected")
        .status(1, "Charging", timestamp=stamp(14))
        .stop(1, ts=5),
        s().status(1, "Charging").start(1, 1).stop(1, ts=-600),
    ),
    (
        "connector-above-number",
        s()
        .cs("GetConfiguration", {})
        .reply({"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]})
        .status(2, "Available"),
        s()
        .cs("GetConfiguration", {})
        .reply({"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]})
        .status(3, "Available"),
    ),
    (
        "connector-zero-status",  # only Available, Unavailable and Faulted apply to the charger as a whole
        s().status(0, "Unavailable").status(0, "Faulted"),
        s().status(0, "Charging"),
    ),
    (
        "unavailable-not-persistent",  # made Operative again before the reboot: any status after it
        s()
        .cs("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        .reply({"status": "Accepted"})
        .status(1, "Unavailable")
        .cs("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        .reply({"status": "Accepted"})
        .boot()
        .status(1, "Unavailable")
        .cs("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
        .reply({"status": "Accepted"})
        .status(1, "Available")
        .boot()
        .status(1, "Available"),
        s()
        .cs("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        .reply({"status": "Accepted"})
        .status(1, "Unavailable")
        .boot()
        .status(1, "Available"),
    ),
    (
        "start-on-unavailable",  # a start from the offline queue happened before the status it follows
        s()
        .cp(
            "StatusNotification",
            {"connectorId": 2, "status": "Faulted", "errorCode": "GroundFailure", "timestamp": stamp(30)},
        )
        .ok()
        .cp("StartTransaction", {"connectorId": 2, "idTag": "T", "meterStart": 5, "timestamp": stamp(-60)})
        .ok({"transactionId": 2, "idTagInfo": {"status": "Accepted"}}),
        s().status(1, "Unavailable").start(1, 1),
    ),
    (
        "start-on-unavailable",
        s()
        .cs("ReserveNow", {"connectorId": 1, "expiryDate": stamp(900), "idTag": "TAG-1", "reservationId": 7})
        .reply({"status": "Accepted"})
        .status(1, "Reserved")
        .start(1, 1, tag="tag-1", reservationId=7),
        s()
        .cs("ReserveNow", {"connectorId": 1, "expiryDate": stamp(900), "idTag": "TAG-1", "reservationId": 7})
        .reply({"status": "Accepted"})
        .status(1, "Reserved")
        .start(1, 1, tag="TAG-2"),
    ),
    (
        "start-without-reservation",  # the reserved idTag's start names the reservation it ends
        s()
        .cs("ReserveNow", {"connectorId": 1, "expiryDate": stamp(900), "idTag": "TAG-1", "reservationId": 7})
        .reply({"status": "Accepted"})
        .status(1, "Reserved")
        .start(1, 1, reservationId=7),
        s()
        .cs("ReserveNow", {"connectorId": 1, "expiryDate": stamp(900), "idTag": "TAG-1", "reservationId": 7})
        .reply({"status": "Accepted"})
        .status(1, "Reserved")
        .start(1, 1),
    ),
    (
        "status-order",  # across a reconnect too; a triggered status may carry when its state began
        s()
        .status(1, "Available", timestamp=stamp(10))
        .event("disconnected")
        .event("connected")
        .status(1, "Preparing", timestamp=stamp(20))
        .cs("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1})
        .reply({"status": "Accepted"})
        .status(1, "Preparing", timestamp=stamp(15)),
        s().status(1, "Available", timestamp=stamp(10)).status(1, "Preparing", timestamp=stamp(5)),
    ),
    (
        "error-code-status",
        s().status(1, "Preparing", errorCode="EVCommunicationError"),
        s().status(1, "Charging", errorCode="EVCommunicationError"),
    ),
    (
        "tx-not-open",
        s().status(1, "Charging").start(1, 1).meter(1, 1, 1100).stop(1).meter(1, None, 1200),
        s().status(1, "Charging").start(1, 1).meter(1, 1, 1100).stop(1).meter(1, 1, 1200),
    ),
    (
        "stop-repeated-differs",  # a retry with a new message id is the same stop (§3.7)
        s().status(1, "Charging").start(1, 1).stop(1, 2000, ts=50).stop(1, 2000, ts=50),
        s().status(1, "Charging").start(1, 1).stop(1, 2000, ts=50).stop(1, 2500, ts=50),
    ),
    (
        "heartbeat-pace",  # other messages may take a heartbeat's place (§4.6)
        s()
        .heartbeat(at=100)
        .heartbeat(at=400)
        .status(1, "Available")
        .heartbeat(at=410)
        .heartbeat(at=700)
        .heartbeat(at=5000),  # fewer are allowed: OCPP-J heartbeats are not mandatory (§4.6)
        s().heartbeat(at=100).heartbeat(at=110),
    ),
    (
        "callerror-core",  # a command of another profile may be NotImplemented (§3.3)
        s()
        .cs("ReserveNow", {"connectorId": 1, "expiryDate": stamp(900), "idTag": "T", "reservationId": 1})
        .reply_error("NotImplemented"),
        s().cs("UnlockConnector", {"connectorId": 1}).reply_error("NotImplemented"),
    ),
    (
        "no-boot-seen",  # a charger that booted before the log began and only reconnects: nothing
        Script().event("connected").status(1, "Available"),
        Script()
        .event("connected")
        .cp("StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
        .noted("sent before any BootNotification of this charger")
        .ok(),
    ),
    (
        "answer-unmatched",
        s().cs("ClearCache", {}).reply({"status": "Accepted"}),
        s().cs("ClearCache", {}).reply({"status": "Accepted"}).noted("answers no outstanding CALL of ours (ignored)"),
    ),
    (
        "schema",
        s().cp("Authorize", {"idTag": "TAG-1"}).ok({"idTagInfo": {"status": "Accepted"}}),
        s().cp("Authorize", {"idTag": 5}).error("TypeConstraintViolation"),
    ),
]


def checks(log: Script) -> list[tuple[str, str]]:
    return [(f.check, f.clause) for f in scan(Log.from_lines(log.lines))]


@pytest.mark.parametrize(("check", "legal", "bad"), ROWS, ids=[f"{row[0]}-{i}" for i, row in enumerate(ROWS)])
def test_each_check_raises_exactly_its_finding_and_nothing_on_the_legal_log(check, legal, bad):
    assert checks(legal) == []
    assert checks(bad) == [(check, CHECKS[check].clause)]


def test_every_registered_check_has_a_row():
    assert {row[0] for row in ROWS} == set(CHECKS)


def test_a_finding_says_what_and_where():
    (finding,) = scan(Log.from_lines(ROWS[0][2].lines))
    assert finding.as_dict() == {
        "check": "state-table",
        "severity": "deviation",
        "clause": "OCPP 1.6 §4.9",
        "title": CHECKS["state-table"].title,
        "text": finding.text,
        "seqs": [12, 14, 16],
        "connector": 1,
        "ts": finding.ts,
    }
    assert "Charging (#12) -> Preparing" in finding.text and "StopTransaction #14" in finding.text
    assert finding.ts == stamp(12)


def test_fed_frame_by_frame_the_findings_are_those_of_a_scan():
    lines = [line for _, _, bad in ROWS for line in bad.lines]
    # One log of every violating row (seqs renumbered by the reader), fed in slices and whole.
    records = Log.from_lines(lines).records
    whole = scan(records)
    fed = Findings()
    parts = [fed.feed(records[i : i + 7]) for i in range(0, len(records), 7)]
    assert fed.feed(records) == []  # seen already: not judged again
    assert [f for part in parts for f in part] == whole == fed.all
    assert fed.counts() == {
        "violation": sum(f.severity == "violation" for f in whole),
        "deviation": sum(f.severity == "deviation" for f in whole),
        "note": sum(f.severity == "note" for f in whole),
    }
    assert {f.check for f in whole} >= {"state-table", "unique-id-reused", "schema"}
    # Fed what the reader reads (here JSON Lines lines), a few at a time: the same findings.
    raw = Findings()
    assert [f for i in range(0, len(lines), 5) for f in raw.feed(lines[i : i + 5])] == whole


def test_the_readme_lists_every_check_with_its_severity_and_clause():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for check in CHECKS.values():
        assert f"| `{check.id}` | {check.severity} | {check.clause} |" in readme, check.id
