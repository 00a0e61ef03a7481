"""The default profile honours every key it accepts, shown without sockets:
each behaviour on a charger whose messages are recorded (tests/simulator/recorder.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.simulator.recorder import Recorder

ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
async def sim():
    charger = Recorder()
    yield charger
    await charger.close()


async def charging(sim: Recorder, connector: int = 1, tag: str = "TAG-1") -> int:
    await sim.plug(connector)
    await sim.swipe(tag, connector)
    assert sim.connectors[connector].transaction_id is not None
    return sim.connectors[connector].transaction_id


def measurands(sample: dict) -> set[str]:
    return {v["measurand"] for v in sample["sampledValue"]}


# -- ClockAlignedDataInterval, MeterValuesAlignedData, StopTxnAlignedData (§9.1.5, §9.1.15, §9.1.25) --


async def test_clock_aligned_readings_fall_on_the_clock_with_the_aligned_measurands(sim):
    assert sim.config.change("MeterValuesAlignedData", f"{ENERGY},Temperature") == "Accepted"
    assert sim.config.change("ClockAlignedDataInterval", "1") == "Accepted"
    transaction = await charging(sim, 1)
    clock = sim.spawn(sim.clock_aligned())
    await sim.until(
        lambda: (
            len(
                [
                    m
                    for m in sim.actions("MeterValues")
                    if m.meter_value[0]["sampledValue"][0]["context"] == "Sample.Clock"
                ]
            )
            >= 4
        )
    )
    clock.cancel()
    aligned = [
        m for m in sim.actions("MeterValues") if m.meter_value[0]["sampledValue"][0]["context"] == "Sample.Clock"
    ]
    for message in aligned:
        (sample,) = message.meter_value
        assert sample["timestamp"].endswith(".000Z")  # a whole second: the boundary, not the moment sent
        assert measurands(sample) == {ENERGY, "Temperature"}
        assert {v["context"] for v in sample["sampledValue"]} == {"Sample.Clock"}
    assert {m.connector_id: m.transaction_id for m in aligned} == {1: transaction, 2: None}


async def test_clock_aligned_readings_of_a_transaction_ride_on_its_stop_transaction(sim):
    sim.config.change("StopTxnAlignedData", f"{ENERGY},Temperature")
    sim.config.change("ClockAlignedDataInterval", "1")
    await charging(sim, 1)
    clock = sim.spawn(sim.clock_aligned())
    await sim.until(lambda: sim.connectors[1].transaction_data[-1]["sampledValue"][0]["context"] == "Sample.Clock")
    clock.cancel()
    await sim.swipe("TAG-1", 1)
    (stop,) = sim.actions("StopTransaction")
    clocked = [s for s in stop.transaction_data if s["sampledValue"][0]["context"] == "Sample.Clock"]
    assert clocked and all(measurands(s) == {ENERGY, "Temperature"} for s in clocked)


def test_the_clock_boundaries_are_counted_from_midnight():
    from chargers.simulator.metering import next_boundary

    at = datetime(2025, 3, 1, 10, 7, 31, 500_000, tzinfo=UTC)
    assert next_boundary(at, 900) == datetime(2025, 3, 1, 10, 15, tzinfo=UTC)
    assert next_boundary(at, 20) == datetime(2025, 3, 1, 10, 7, 40, tzinfo=UTC)
    late = datetime(2025, 3, 1, 23, 59, 0, tzinfo=UTC)
    assert next_boundary(late, 7 * 3600) == datetime(2025, 3, 2, 0, 0, tzinfo=UTC)  # a new day starts again


# -- MeterValuesSampledData, MeterValueSampleInterval, StopTxnSampledData (§9.1.17, §9.1.19, §9.1.27) --


async def test_every_sampled_measurand_it_accepts_is_in_the_samples(sim):
    wanted = f"{ENERGY},Temperature,Frequency,Current.Offered,Power.Offered,SoC"
    assert sim.config.change("MeterValuesSampledData", wanted) == "Accepted"
    await charging(sim, 1)
    (begin,) = sim.actions("MeterValues")
    values = {v["measurand"]: v for v in begin.meter_value[0]["sampledValue"]}
    assert set(values) == set(wanted.split(","))
    assert values["Temperature"]["unit"] == "Celsius" and values["Temperature"]["location"] == "Body"
    assert "unit" not in values["Frequency"]  # §7.31: 1.6 has no unit for Hertz
    assert float(values["Current.Offered"]["value"]) == sim.options.charge_current


async def test_a_new_sample_interval_takes_effect_in_a_running_transaction(sim):
    assert sim.config.int("MeterValueSampleInterval") == 60
    await charging(sim, 1)
    sim.config.change("MeterValueSampleInterval", "1")  # 60 s until the next sample otherwise
    await sim.until(lambda: len(sim.actions("MeterValues")) >= 3)
    contexts = [m.meter_value[0]["sampledValue"][0]["context"] for m in sim.actions("MeterValues")]
    assert contexts == ["Transaction.Begin", "Sample.Periodic", "Sample.Periodic"]


async def test_the_stop_transaction_carries_the_stop_txn_sampled_measurands(sim):
    sim.config.change("StopTxnSampledData", f"{ENERGY},Temperature")
    sim.config.change("MeterValueSampleInterval", "1")
    await charging(sim, 1)
    await sim.until(lambda: len(sim.actions("MeterValues")) >= 2)
    await sim.swipe("TAG-1", 1)
    (stop,) = sim.actions("StopTransaction")
    contexts = [s["sampledValue"][0]["context"] for s in stop.transaction_data]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End" and "Sample.Periodic" in contexts
    assert all(measurands(s) == {ENERGY, "Temperature"} for s in stop.transaction_data)


@pytest.mark.parametrize(
    ("key", "value"),
    [("MeterValuesSampledData", ",".join(["Voltage"] * 9)), ("StopTxnAlignedData", "Energy.Active.Export.Register")],
    ids=["longer-than-its-max-length", "a-measurand-it-cannot-read"],
)
def test_a_measurand_list_it_could_not_honour_is_rejected(sim, key, value):
    assert sim.config.change(key, value) == "Rejected"


# -- reservations (§5.13) ------------------------------------------------------------------


async def test_a_reservation_expires_at_its_expiry_date(sim):
    expiry = (datetime.now(UTC) + timedelta(seconds=0.5)).isoformat()
    assert sim.reserve(1, 7, "TAG-R", expiry) == "Accepted"
    await sim.set_status(sim.connectors[1], "Reserved")
    await sim.until(lambda: sim.statuses(1)[-1] == "Available")
    assert sim.statuses(1) == ["Reserved", "Available"] and sim.connectors[1].reservation_id is None


async def test_a_reserved_connector_starts_only_for_its_card_and_the_start_names_the_reservation(sim):
    assert sim.reserve(1, 8, "TAG-R", (datetime.now(UTC) + timedelta(minutes=5)).isoformat()) == "Accepted"
    await sim.set_status(sim.connectors[1], "Reserved")
    assert await sim.swipe("TAG-OTHER", 1) == "Reserved" and not sim.actions("Authorize")
    assert sim.free_connector(1, "TAG-OTHER") is None and sim.free_connector(1, "TAG-R") is sim.connectors[1]
    await sim.plug(1)  # the cable alone does not use the reservation
    assert sim.statuses(1) == ["Reserved"]
    await sim.swipe("TAG-R", 1)
    (start,) = sim.actions("StartTransaction")
    assert start.reservation_id == 8 and sim.statuses(1) == ["Reserved", "Preparing", "Charging"]


# -- Reset during a transaction (§5.14, §6.49) -------------------------------------------------


async def test_reset_hard_ends_the_transaction_with_hard_reset_after_the_reboot(sim):
    transaction = await charging(sim, 1)
    await sim.reboot("HardReset")
    assert not sim.actions("StopTransaction")  # nothing before going down
    (stop,) = [p for p in sim.queue if type(p).__name__ == "StopTransaction"]
    assert (stop.transaction_id, stop.reason) == (transaction, "HardReset")
    assert sim.connectors[1].status == "Finishing"  # what the boot will report: the cable is still in


async def test_reset_soft_ends_the_transaction_with_soft_reset_before_the_reboot(sim):
    transaction = await charging(sim, 1)
    await sim.reboot("SoftReset")
    (stop,) = sim.actions("StopTransaction")
    assert (stop.transaction_id, stop.reason) == (transaction, "SoftReset") and not sim.queue
    assert sim.statuses(1)[-1] == "Finishing"


# -- authorisation keys (§9.1.2, §9.1.13) ----------------------------------------------------


async def test_local_pre_authorize_starts_a_cached_card_without_authorize(sim):
    await charging(sim, 1, "TAG-C")
    await sim.swipe("TAG-C", 1)
    sim.config.change("LocalPreAuthorize", "true")
    await charging(sim, 2, "TAG-C")
    assert len(sim.actions("Authorize")) == 1 and len(sim.actions("StartTransaction")) == 2


async def test_with_the_cache_switched_off_every_card_is_authorized_again(sim):
    sim.config.change("LocalPreAuthorize", "true")
    assert sim.config.change("AuthorizationCacheEnabled", "false") == "Accepted"
    await charging(sim, 1, "TAG-C")
    await sim.swipe("TAG-C", 1)
    await charging(sim, 2, "TAG-C")
    assert len(sim.actions("Authorize")) == 2 and not sim.auth_cache


# -- transaction keys (§9.1.6, §9.1.14, §9.1.20, §9.1.23, §9.1.24) ------------------------------


async def test_connection_timeout_ends_a_card_first_session_without_a_cable(sim):
    sim.config.change("ConnectionTimeOut", "1")
    assert await sim.swipe("TAG-1", 1) == "Accepted"
    await sim.until(lambda: sim.statuses(1)[-1:] == ["Available"])
    assert sim.statuses(1) == ["Preparing", "Available"] and sim.connectors[1].pending_tag == ""
    await sim.plug(1)
    assert not sim.actions("StartTransaction")  # the card no longer counts


async def test_without_stop_on_ev_side_disconnect_an_unplug_suspends_the_transaction(sim):
    sim.config.change("StopTransactionOnEVSideDisconnect", "false")
    transaction = await charging(sim, 1)
    await sim.unplug(1)
    assert sim.connectors[1].transaction_id == transaction and not sim.actions("StopTransaction")
    assert sim.statuses(1)[-1] == "SuspendedEV" and sim.connectors[1].meter.current_a == 0
    await sim.plug(1)
    assert sim.statuses(1)[-1] == "Charging" and sim.connectors[1].meter.current_a > 0


async def test_without_stop_on_invalid_id_a_refused_start_is_suspended(sim):
    sim.refused.add("TAG-BAD")
    sim.config.change("StopTransactionOnInvalidId", "false")
    await sim.plug(1)
    await sim.start_transaction(sim.connectors[1], "TAG-BAD")  # as an offline start the CS refuses later
    await sim.until(lambda: sim.statuses(1)[-1] == "SuspendedEVSE")
    assert sim.connectors[1].transaction_id is not None and not sim.actions("StopTransaction")


async def test_minimum_status_duration_leaves_out_a_status_shorter_than_it(sim):
    assert sim.config.change("MinimumStatusDuration", "1") == "Accepted"
    await charging(sim, 1)  # Preparing lasts only until the card
    await sim.until(lambda: sim.statuses(1) == ["Charging"])
    assert sim.actions("StartTransaction")


# -- smart charging keys ----------------------------------------------------------------------


def tx_default(limit: float) -> dict:
    return {
        "charging_profile_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": limit}],
        },
    }


def test_smart_charging_enabled_switches_charging_profiles_off_and_on(sim):
    assert sim.config.change("SmartChargingEnabled", "false") == "Accepted"
    assert sim.set_profile(1, tx_default(10.0)) == "Rejected"
    assert sim.config.change("SmartChargingEnabled", "true") == "Accepted"
    assert sim.set_profile(1, tx_default(10.0)) == "Accepted"
    assert sim.current_limit(sim.connectors[1]) == 10.0


async def test_vendor_max_current_caps_what_a_transaction_draws(sim):
    await charging(sim, 1)
    assert sim.config.change("VendorMaxCurrentA", "10") == "Accepted"
    sim.config_changed("VendorMaxCurrentA")
    assert sim.connectors[1].meter.current_a == 10.0


def test_a_network_setting_needs_a_reboot_and_takes_a_known_value(sim):
    assert sim.config.change("VendorNetworkMode", "satellite") == "Rejected"
    assert sim.config.change("VendorNetworkMode", "lte") == "RebootRequired"
    assert sim.config.keys["VendorNetworkMode"].value == "ethernet"
    sim.config.apply_pending()
    assert sim.config.keys["VendorNetworkMode"].value == "lte"


def test_standard_keys_only_answers_not_supported_to_the_vendor_keys():
    plain = Recorder("standard-keys-only")
    assert plain.config.change("SmartChargingEnabled", "false") == "NotSupported"
    assert plain.config.change("VendorNetworkMode", "lte") == "NotSupported"
    assert plain.config.change("HeartbeatInterval", "30") == "Accepted"


# -- WebSocketPingInterval (§9.1.34) ------------------------------------------------------------


async def test_web_socket_pings_follow_the_configured_interval(sim):
    class Socket:
        pings = 0

        async def ping(self):
            self.pings += 1

    socket = Socket()
    sim.config.change("WebSocketPingInterval", "1")
    pinger = asyncio.create_task(sim._pings(socket))
    await sim.until(lambda: socket.pings >= 2)
    sim.config.change("WebSocketPingInterval", "0")
    seen = socket.pings
    await asyncio.sleep(1.5)
    pinger.cancel()
    assert socket.pings == seen


# -- a remote start before the cable (§5.11, §9.1.6; OCTT TC_011_1 and TC_011_2) ----------------


async def test_a_remote_start_waits_for_the_cable_and_starts_when_it_comes(sim):
    await sim.remote_start(sim.connectors[1], "TAG-R")
    assert sim.statuses(1) == ["Preparing"] and not sim.actions("StartTransaction")
    await sim.plug(1)
    (start,) = sim.actions("StartTransaction")
    assert start.id_tag == "TAG-R" and sim.statuses(1) == ["Preparing", "Charging"]


async def test_a_remote_start_without_a_cable_ends_after_connection_timeout(sim):
    sim.config.change("ConnectionTimeOut", "1")
    await sim.remote_start(sim.connectors[1], "TAG-R")
    assert sim.free_connector(1, "TAG-OTHER") is None  # the connector is taken meanwhile
    await sim.until(lambda: sim.statuses(1) == ["Preparing", "Available"])
    await sim.plug(1)
    assert not sim.actions("StartTransaction")


async def test_the_charging_profile_of_a_remote_start_governs_the_transaction_once_plugged(sim):
    profile = {**tx_default(8.0), "charging_profile_purpose": "TxProfile", "charging_profile_id": 5}
    await sim.remote_start(sim.connectors[1], "TAG-R", profile)
    await sim.plug(1)
    assert sim.connectors[1].meter.current_a == 8.0
    assert sim.profiles[5]["profile"]["transaction_id"] == sim.connectors[1].transaction_id


# -- a card of the same group stops the transaction (§3.10, §4.10; OCTT TC_068, TC_069) -------------


async def test_a_card_of_the_same_group_stops_the_transaction():
    sim = Recorder(parents={"TAG-1": "GROUP", "TAG-2": "GROUP", "TAG-3": "OTHER"})
    try:
        await charging(sim, 1, "TAG-1")
        assert await sim.swipe("TAG-3", 1) == "Busy"  # asked about, another group: goes on
        assert await sim.swipe("TAG-2", 1) == "Stopped"
        (stop,) = sim.actions("StopTransaction")
        assert (stop.id_tag, stop.reason) == ("TAG-2", "Local")
        assert [p.id_tag for p in sim.actions("Authorize")] == ["TAG-1", "TAG-3", "TAG-2"]
    finally:
        await sim.close()


async def test_without_a_group_another_card_is_not_even_asked_about(sim):
    await charging(sim, 1, "TAG-1")
    assert await sim.swipe("TAG-2", 1) == "Busy"
    assert [p.id_tag for p in sim.actions("Authorize")] == ["TAG-1"] and not sim.actions("StopTransaction")
