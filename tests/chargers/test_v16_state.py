"""What an OCPP 1.6 log says (chargers.protocol.v16.state), on logs written
frame by frame: no database, no sockets. Each test names the clause of OCPP 1.6
edition 2 it rests on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chargers.frames.reader import Log
from chargers.protocol.v16.state import State16

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def stamp(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


class Script:
    """Frames in order: `charger` a CALL of the charger answered by us, `us` ours answered by it."""

    def __init__(self) -> None:
        self.frames: list[dict] = []
        self.t = 0.0

    def at(self, seconds: float) -> Script:
        self.t = seconds
        return self

    def _add(self, direction: str, body) -> None:
        self.frames.append({"ts": T0 + timedelta(seconds=self.t), "direction": direction, "raw": json.dumps(body)})

    def charger(self, action: str, payload: dict, answer: dict | None = None) -> Script:
        uid = f"c{len(self.frames)}"
        self._add("in", [2, uid, action, payload])
        self._add("out", [3, uid, answer or {}])
        return self

    def us(self, action: str, payload: dict, answer: dict) -> Script:
        uid = f"u{len(self.frames)}"
        self._add("out", [2, uid, action, payload])
        self._add("in", [3, uid, answer])
        return self

    def event(self, name: str) -> Script:
        self._add("event", {"event": name})
        return self

    def start(self, tx: int, connector: int = 1, tag: str = "T") -> Script:
        payload = {"connectorId": connector, "idTag": tag, "meterStart": 0, "timestamp": stamp(self.t)}
        return self.charger("StartTransaction", payload, {"transactionId": tx, "idTagInfo": {"status": "Accepted"}})

    def state(self, **initial) -> State16:
        return State16(Log(self.frames), initial)


def reading(seconds: float, *values: dict) -> dict:
    return {"timestamp": stamp(seconds), "sampledValue": list(values)}


def test_configuration_is_as_last_read_or_changed():
    # §5.8: GetConfiguration reads keys; §5.3: an Accepted change is in force at once.
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    script = Script().us("GetConfiguration", {}, {"configurationKey": keys})
    script.at(10).us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, {"status": "Accepted"})
    state = script.state(config={"MeterValueSampleInterval": "30"})
    assert state.config() == {"MeterValueSampleInterval": "30", "HeartbeatInterval": "60"}
    assert state.config(before=T0 + timedelta(seconds=5))["HeartbeatInterval"] == "300"
    assert state.config_known() and state.config_int("HeartbeatInterval") == 60


def test_a_change_that_requires_a_reboot_holds_from_the_next_boot():
    # §5.3: RebootRequired: the change is applied after a reboot.
    script = Script().us(
        "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "45"}, {"status": "RebootRequired"}
    )
    assert "ConnectionTimeOut" not in script.state().config()
    script.at(20).charger("BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "M"})
    state = script.state()
    assert state.config()["ConnectionTimeOut"] == "45"
    assert "ConnectionTimeOut" not in state.config(before=T0 + timedelta(seconds=19))


def test_a_rejected_change_changes_nothing():
    script = Script().us("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "5"}, {"status": "Rejected"})
    assert script.state(config={"HeartbeatInterval": "300"}).config()["HeartbeatInterval"] == "300"


def test_a_stop_naming_no_connector_is_linked_through_its_start():
    # §6.49: StopTransaction.req carries the transactionId only; the start named the connector (§6.45).
    script = Script().start(7, connector=2).at(60).charger("StopTransaction", {"transactionId": 7, "meterStop": 9})
    state = script.state()
    assert (state.start_of(7).get("connectorId"), state.connector_of(7)) == (2, 2)
    assert state.open_transactions() == {}
    assert state.connector_of(8) is None


def test_a_transaction_started_elsewhere_is_linked_by_a_meter_value_that_names_both():
    # §6.31: MeterValues.req names its connector and, during a transaction, its transactionId.
    state = Script().charger("MeterValues", {"connectorId": 3, "transactionId": 40, "meterValue": []}).state()
    assert (state.start_of(40), state.connector_of(40)) == (None, 3)


def test_open_transactions_are_those_started_and_not_stopped():
    script = Script().start(1, connector=1).start(2, connector=2).charger("StopTransaction", {"transactionId": 1})
    assert script.state().open_transactions() == {2: 2}


def test_a_transactions_samples_are_its_own_with_the_defaults_of_the_specification():
    # §7.43: a sampledValue without measurand is Energy.Active.Import.Register, without context Sample.Periodic;
    # §3.16: readings come as MeterValues and/or the stop's transactionData.
    script = Script().start(5, connector=1)
    script.at(30).charger(
        "MeterValues",
        {"connectorId": 1, "transactionId": 5, "meterValue": [reading(30, {"value": "10"})]},
    )
    script.at(31).charger(  # no transactionId, on its connector while it ran: its own too
        "MeterValues",
        {"connectorId": 1, "meterValue": [reading(31, {"value": "230", "measurand": "Voltage"})]},
    )
    script.at(32).charger(  # another connector's
        "MeterValues",
        {"connectorId": 2, "meterValue": [reading(32, {"value": "1"})]},
    )
    script.at(33).charger(  # a clock-aligned reading is not a periodic sample
        "MeterValues",
        {"connectorId": 1, "transactionId": 5, "meterValue": [reading(33, {"value": "7", "context": "Sample.Clock"})]},
    )
    stop = {"transactionId": 5, "meterStop": 20, "transactionData": [reading(5, {"value": "0"})]}
    script.at(60).charger("StopTransaction", stop)
    state = script.state()
    start, stop_record = state.started()[0], state.stops()[0]
    samples = state.samples(start, stop_record, T0 + timedelta(seconds=61))
    assert [m.seq for m in samples.frames] == [3, 5, 9]
    assert [r.values[0].value for r in samples.periodic] == ["0", "10", "230"]  # by their own timestamps
    assert samples.measurands == {"Energy.Active.Import.Register", "Voltage"}


def test_retries_of_one_start_or_stop_count_once():
    # §3.7.1: a transaction message retried is the same message.
    script = Script().start(1).start(1).at(9).charger("StopTransaction", {"transactionId": 1})
    script.charger("StopTransaction", {"transactionId": 1})
    state = script.state()
    assert (len(state.started()), len(state.stops())) == (1, 1)
    assert len(state.started(lo=2)) == 1  # the retry alone, in a later scope


def test_statuses_per_connector_and_the_state_at_a_moment():
    # §4.9: each connector reports its own status; before any report, the state known at the start holds.
    script = Script().at(10).charger("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    script.at(20).charger("StatusNotification", {"connectorId": 2, "status": "Charging"})
    state = script.state(connectors={"1": "Available", "2": "Available", "3": "Unavailable"})
    assert state.status_at(1, T0 + timedelta(seconds=5)) == "Available"
    assert state.status_at(1, T0 + timedelta(seconds=15)) == "Preparing"
    assert [r.get("status") for r in state.statuses(2)] == ["Charging"]
    assert state.connector_count() == 3
    assert {c: r.get("status") for c, r in state.last_statuses().items()} == {1: "Preparing", 2: "Charging"}


def test_number_of_connectors_decides_the_count_when_known():
    assert Script().state(config={"NumberOfConnectors": "2"}).connector_count() == 2


def test_an_outage_runs_from_the_last_frame_before_a_half_open_socket_was_replaced():
    # The server learns of a half-open socket only when the charger connects anew.
    script = Script().at(10).charger("Heartbeat", {}).at(100).event("replaced").event("connected")
    (gone, back, _event), *_ = script.state().offline_windows()
    assert (gone, back) == (T0 + timedelta(seconds=10), T0 + timedelta(seconds=100))


def test_a_message_of_the_outage_delivered_after_the_reconnect_came_from_the_queue():
    # §3.7: transaction messages of an offline period are delivered once the connection is back.
    script = Script().at(10).event("disconnected").at(100).event("connected")
    script.at(101).charger(
        "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": stamp(50)}
    )
    script.at(120).charger(
        "StartTransaction", {"connectorId": 1, "idTag": "U", "meterStart": 0, "timestamp": stamp(120)}
    )
    state = script.state()
    queued, live = state.log.calls("StartTransaction", "in")
    assert (state.from_queue(queued, slack=2), state.from_queue(live, slack=2)) == (True, False)
    assert state.connected_now()


def test_the_clock_offset_is_the_median_of_live_statuses():
    # §4.9 statuses travel live; their timestamps tell the charger's clock.
    script = Script()
    for n, skew in enumerate((60, 61, 500)):
        status = {"connectorId": 1, "status": "Available", "timestamp": stamp(n * 100 + skew)}
        script.at(n * 100).charger("StatusNotification", status)
    assert script.state().clock_offset() == timedelta(seconds=61)


def test_the_rate_units_allowed_are_those_configured_else_both():
    # §9.4.2 ChargingScheduleAllowedChargingRateUnit.
    key = "ChargingScheduleAllowedChargingRateUnit"
    assert Script().state(config={key: "Power"}).allowed_rate_units() == ["W"]
    assert Script().state(config={key: "Current,Power"}).allowed_rate_units() == ["A", "W"]
    assert Script().state().allowed_rate_units() == ["A", "W"]


def test_an_answer_is_recomputed_as_the_log_grows():
    script = Script().charger("StatusNotification", {"connectorId": 1, "status": "Available"})
    state = script.state()
    assert state.connector_count() == 1
    state.log.extend([{"ts": T0, "direction": "in", "raw": '[2,"x","StatusNotification",{"connectorId":2}]'}])
    assert state.connector_count() == 2
