"""The simulator's rules, without sockets: configuration, meter, schedules."""

from __future__ import annotations

from chargers.simulator import PROFILES, SimulatedCharger, SimulatorOptions
from chargers.simulator.config import ConfigStore
from chargers.simulator.meter import Meter


def test_configuration_answers_as_ocpp_says():
    store = ConfigStore(connectors=2)
    keys, unknown = store.get(["HeartbeatInterval", "NoSuchKey"])
    assert [k["key"] for k in keys] == ["HeartbeatInterval"] and unknown == ["NoSuchKey"]
    assert len(store.get()[0]) > 40
    assert store.change("HeartbeatInterval", "30") == "Accepted" and store.int("HeartbeatInterval") == 30
    assert store.change("NumberOfConnectors", "4") == "Rejected"  # read-only
    assert store.change("HeartbeatInterval", "soon") == "Rejected"
    assert store.change("MeterValuesSampledData", "Voltage,Bogus") == "Rejected"
    assert store.change("NoSuchKey", "1") == "NotSupported"
    assert store.change("VendorNetworkMode", "lte") == "RebootRequired"
    without = ConfigStore(smart_charging=False)
    assert "SmartCharging" not in without.keys["SupportedFeatureProfiles"].value
    assert without.change("ChargeProfileMaxStackLevel", "2") == "NotSupported"


def test_the_meter_counts_energy_and_reports_what_is_asked():
    meter = Meter(energy_wh=1000)
    meter.set_current(16)
    assert meter.power_w == 16 * 230 * 3
    sample = meter.sample(["Energy.Active.Import.Register", "Voltage", "Current.Import", "SoC"], "Sample.Periodic")
    measurands = [v["measurand"] for v in sample["sampledValue"]]
    assert measurands.count("Voltage") == 3 and measurands.count("Current.Import") == 3 and "SoC" in measurands
    assert "Voltage" not in [
        v["measurand"] for v in meter.sample(["Voltage"], "Sample.Periodic", voltage=False)["sampledValue"]
    ]
    assert meter.register() >= 1000


def test_composite_schedule_takes_the_highest_stack_capped_by_the_station_maximum():
    sim = SimulatedCharger(SimulatorOptions())

    def profile(pid, purpose, stack, limit):
        return {
            "charging_profile_id": pid,
            "stack_level": stack,
            "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": {
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": limit}],
            },
        }

    assert sim.composite_schedule(1, 600, None) is None
    assert sim.set_profile(1, profile(1, "TxDefaultProfile", 0, 20.0)) == "Accepted"
    assert sim.set_profile(1, profile(2, "TxDefaultProfile", 1, 10.0)) == "Accepted"
    assert sim.set_profile(1, profile(3, "TxProfile", 0, 8.0)) == "Rejected"  # no transaction
    assert sim.composite_schedule(1, 600, "A")["charging_schedule_period"][0]["limit"] == 10.0
    assert sim.set_profile(0, profile(4, "ChargePointMaxProfile", 0, 6.0)) == "Accepted"
    assert sim.composite_schedule(1, 600, "A")["charging_schedule_period"][0]["limit"] == 6.0
    assert sim.clear_profiles(id=4) == "Accepted" and sim.clear_profiles(id=4) == "Unknown"


def test_profiles_name_the_items_they_break():
    assert PROFILES["no-finishing"].breaks == (7,) and not PROFILES["no-finishing"].finishing
    assert PROFILES["no-voltage"].breaks == (8,) and PROFILES["default"].breaks == ()
