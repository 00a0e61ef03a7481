"""The simulator's rules, without sockets: configuration, meter, schedules."""

from __future__ import annotations

import email
import http.server
import threading

import pytest

from chargers.simulator import PROFILES, SimulatedCharger, SimulatorOptions
from chargers.simulator.config import ConfigStore
from chargers.simulator.meter import Meter
from chargers.simulator.profiles import cite, clause_number
from chargers.simulator.transfer import upload, version_in


def test_get_configuration_names_the_unknown_keys_apart():
    keys, unknown = ConfigStore().get(["HeartbeatInterval", "NoSuchKey"])
    assert [k["key"] for k in keys] == ["HeartbeatInterval"] and unknown == ["NoSuchKey"]


def test_get_configuration_without_keys_lists_them_all():
    assert len(ConfigStore().get()[0]) > 40


def test_change_configuration_accepts_a_valid_value_and_applies_it():
    store = ConfigStore()
    assert store.change("HeartbeatInterval", "30") == "Accepted" and store.int("HeartbeatInterval") == 30


@pytest.mark.parametrize(
    ("key", "value"),
    [("NumberOfConnectors", "4"), ("HeartbeatInterval", "soon"), ("MeterValuesSampledData", "Voltage,Bogus")],
    ids=["read-only", "not-an-integer", "unknown-measurand"],
)
def test_change_configuration_rejects_a_read_only_key_or_a_bad_value(key, value):
    assert ConfigStore().change(key, value) == "Rejected"


def test_change_configuration_of_an_absent_key_is_not_supported():
    assert ConfigStore().change("NoSuchKey", "1") == "NotSupported"


def test_a_vendor_key_needs_a_reboot():
    assert ConfigStore().change("VendorNetworkMode", "lte") == "RebootRequired"


def test_without_smart_charging_its_keys_are_not_supported():
    without = ConfigStore(smart_charging=False)
    assert "SmartCharging" not in without.keys["SupportedFeatureProfiles"].value
    assert without.change("ChargeProfileMaxStackLevel", "2") == "NotSupported"


def test_the_meter_draws_power_from_the_current_on_three_phases():
    meter = Meter(energy_wh=1000)
    meter.set_current(16)
    assert meter.power_w == 16 * 230 * 3 and meter.register() >= 1000


def test_the_meter_reports_voltage_and_current_per_phase():
    sample = Meter().sample(["Energy.Active.Import.Register", "Voltage", "Current.Import", "SoC"], "Sample.Periodic")
    measurands = [v["measurand"] for v in sample["sampledValue"]]
    assert measurands.count("Voltage") == 3 and measurands.count("Current.Import") == 3 and "SoC" in measurands


def test_the_meter_leaves_voltage_out_when_told_to():
    sample = Meter().sample(["Voltage"], "Sample.Periodic", voltage=False)
    assert sample["sampledValue"] == []


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


# name: (the clauses it breaks, the clauses it lacks); every other profile is legal and lacks none.
FAULTS_AND_GAPS = {
    "no-cache": ((), ("9.1.2 AuthorizationCacheEnabled",)),
    "ignore-heartbeat-interval": (("9.1.10 HeartbeatInterval",), ()),
    "no-voltage": (("9.1.17 MeterValuesSampledData",), ()),
    "ignore-remote-stop": (("5.12 Remote Stop Transaction",), ()),
    "start-when-refused": (("4.1 Authorize",), ()),
    "empty-configuration": (("5.8 Get Configuration",), ()),
    "no-reboot-on-reset": (("5.14 Reset",), ()),
    "trigger-ignored": (("5.17 Trigger Message",), ()),
    "no-connection-timeout": (("9.1.6 ConnectionTimeOut",), ()),
    "upload-fails": (("5.9 Get Diagnostics",), ()),
    "install-fails": (("5.19 Update Firmware",), ()),
    "meter-backwards": (("7.31 Measurand",), ()),
    "double-call": (("OCPP-J 4.1.1 Synchronicity",), ()),
    "naive-timestamps": (("3.14 Time zones",), ()),
    "bad-transition": (("4.9 Status Notification",), ()),
}


def test_profiles_name_the_clauses_they_break_or_lack():
    named = {name: (p.breaks, p.lacks) for name, p in PROFILES.items() if p.breaks or p.lacks}
    assert named == FAULTS_AND_GAPS
    assert [n for n, p in PROFILES.items() if not p.legal] == [n for n, (b, _) in FAULTS_AND_GAPS.items() if b]


def test_a_profile_names_clauses_never_test_cases():
    """The OCPP layer knows nothing of certification (issue 19): a clause is a
    section number and its title, as the specification writes it."""
    for profile in PROFILES.values():
        for clause in (*profile.breaks, *profile.lacks):
            number = clause_number(clause).removeprefix("OCPP-J ")
            title = clause.removeprefix("OCPP-J ").partition(" ")[2]
            assert number.replace(".", "").isdigit() and "." in number and title, (profile.name, clause)
        assert "item" not in profile.description.lower(), profile.name


def test_every_variant_and_fault_names_its_ocpp_clause():
    unnamed = [name for name, p in PROFILES.items() if "§" not in p.description]
    assert unnamed == ["default", "slow"]  # the baseline, and a delay no clause limits


def test_a_charger_without_optional_profiles_has_none_of_their_keys():
    store = ConfigStore(feature_profiles=("Core",))
    assert store.keys["SupportedFeatureProfiles"].value == "Core"
    assert not {"LocalAuthListEnabled", "ReserveConnectorZeroSupported", "ChargeProfileMaxStackLevel"} & set(store.keys)
    assert "AuthorizationCacheEnabled" not in ConfigStore(absent=("AuthorizationCacheEnabled",)).keys


def test_a_reboot_required_key_keeps_its_value_until_the_reboot():
    store = ConfigStore(reboot_keys=("MeterValueSampleInterval",))
    assert store.change("MeterValueSampleInterval", "15") == "RebootRequired"
    assert store.int("MeterValueSampleInterval") == 60
    store.apply_pending()
    assert store.int("MeterValueSampleInterval") == 15


def test_the_meter_reports_kilowatt_hours_and_per_phase_voltage_in_kw_units():
    meter = Meter(energy_wh=12_345)
    meter.set_current(10)
    values = meter.sample(
        ["Energy.Active.Import.Register", "Power.Active.Import", "Voltage"], "Sample.Periodic", kw=True
    )
    energy, power, *volts = values["sampledValue"]
    assert (energy["unit"], float(energy["value"])) == ("kWh", 12.345)
    assert (power["unit"], float(power["value"])) == ("kW", 6.9)
    assert [v["phase"] for v in volts] == ["L1", "L2", "L3"]


def test_a_power_only_charger_rejects_profiles_in_amperes_and_limits_current_from_watts():
    sim = SimulatedCharger(SimulatorOptions(profile="power-only"))

    def profile(pid, unit, limit):
        return {
            "charging_profile_id": pid,
            "stack_level": 0,
            "charging_profile_purpose": "TxDefaultProfile",
            "charging_profile_kind": "Absolute",
            "charging_schedule": {
                "charging_rate_unit": unit,
                "charging_schedule_period": [{"start_period": 0, "limit": limit}],
            },
        }

    assert sim.set_profile(1, profile(1, "A", 10.0)) == "Rejected"
    assert sim.set_profile(1, profile(2, "W", 6900.0)) == "Accepted"
    assert sim.current_limit(sim.connectors[1]) == 10.0  # 6900 W over three phases at 230 V


@pytest.mark.parametrize(
    ("location", "version"),
    [
        ("http://h/files/fw-2.0.1.bin", "2.0.1"),
        ("ftp://h/images/firmware_v2.0.1-rc1.tar.gz", "2.0.1-rc1"),
        ("http://h/SIM_3.10.0_build7.fwi?token=1.2.3", "3.10.0"),
        ("http://h/files/firmware/5/secret/certify-test-firmware.bin", None),
    ],
)
def test_a_firmware_image_names_its_version(location, version):
    assert version_in(location) == version


class Receiver(http.server.BaseHTTPRequestHandler):
    """A diagnostics receiver that refuses PUT, as some take only forms."""

    received: list[tuple[str, str, bytes]] = []

    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(405)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def refuses_put():
    Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/upload/"
    server.shutdown()
    thread.join(5)


def test_an_upload_refused_as_put_goes_as_a_multipart_post(refuses_put):
    assert upload(refuses_put, "diag.log", b"line one\n") == "HTTP POST (multipart, after PUT was refused)"
    ((path, content_type, body),) = Receiver.received
    assert path == "/upload/" and content_type.startswith("multipart/form-data; boundary=")
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    (part,) = message.get_payload()
    assert part.get_filename() == "diag.log" and part.get_payload(decode=True) == b"line one\n"


@pytest.mark.parametrize(
    ("clause", "number", "cited"),
    [
        ("9.1.10 HeartbeatInterval", "9.1.10", "§9.1.10"),
        ("OCPP-J 4.1.1 Synchronicity", "OCPP-J 4.1.1", "OCPP-J §4.1.1"),
    ],
)
def test_a_clause_matches_by_its_number_and_is_cited_with_its_document(clause, number, cited):
    assert (clause_number(clause), cite(clause)) == (number, cited)


@pytest.fixture
def ftp_folder(tmp_path):
    """A plain FTP server (pyftpdlib) with one user who may write in tmp_path/in."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    (tmp_path / "in").mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_user("lab", "s3cret", str(tmp_path), perm="elradfmw")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer})
    server = FTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.1}, daemon=True)
    thread.start()
    yield f"ftp://lab:s3cret@127.0.0.1:{server.address[1]}/in/", tmp_path / "in"
    server.close_all()
    thread.join(5)


def test_an_upload_over_ftp_stores_the_file_in_the_location_s_folder(ftp_folder):
    location, folder = ftp_folder
    assert upload(location, "diag.log", b"line one\n") == "FTP STOR"
    assert (folder / "diag.log").read_bytes() == b"line one\n"
