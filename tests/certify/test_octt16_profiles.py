"""Every OCTT 1.6 profile beyond Core, run headless against the default
simulator (`manage.py certify --catalog octt16 --profiles ... --simulate`): no
case fails, and exactly the cases the simulator's declaration rules out are Not
supported or Not applicable. One server for the module, one run per profile,
short charger timings. Core's 48 cases take minutes: OCTT_CORE=1 runs them too."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.certify.test_headless_run import FAST, Rig
from tests.servers import MANAGE, ROOT, Daphne, base_env, prepare

# Short charger timings: the reservation that must expire lasts 6 s.
TEST_DATA = "heartbeat_interval=5,rejected_interval=3,short_reservation_seconds=6"

# profile -> (Not supported, Not applicable) for the default simulator: every feature
# profile, one connector, no fixed cable, no back-up power, ReserveConnectorZeroSupported
# false, plain ws (no security profile, no security extension).
EXPECTED = {
    "remote-trigger": (set(), set()),
    "firmware": (set(), set()),
    "diagnostics": (set(), set()),
    "local-auth-list": (set(), {"TC_043_1_CS", "TC_043_3_CS"}),
    "reservation": (set(), {"TC_048_4_CS", "TC_049_CS", "TC_050_1_CS", "TC_050_2_CS", "TC_050_3_CS", "TC_050_4_CS"}),
    "smart-charging": (set(), set()),
    "security": (
        {
            "TC_073_CS",
            "TC_074_CS",
            "TC_075_1_CS",
            "TC_075_2_CS",
            "TC_076_CS",
            "TC_077_CS",
            "TC_078_CS",
            "TC_079_CS",
            "TC_080_CS",
            "TC_081_CS",
            "TC_083_CS",
            "TC_084_CS",
            "TC_085_CS",
            "TC_086_CS",
            "TC_087_CS",
        },
        set(),
    ),
    "core": (set(), {"TC_017_2_CS", "TC_018_2_CS", "TC_024_CS", "TC_030_CS", "TC_032_1_CS"}),
}
CORE = pytest.mark.skipif(not os.environ.get("OCTT_CORE"), reason="Core's 48 cases take minutes: set OCTT_CORE=1")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("octt16-profiles")
    env = base_env(tmp, OCPP_HEARTBEAT_INTERVAL="60")
    token = prepare(env)
    server = Daphne(env, token)
    yield Rig(env, token, server.server.ws_url, tmp, tmp / "no-hook.py")
    server.stop()


def run(bench: Rig, profile: str) -> subprocess.CompletedProcess:
    args = [*MANAGE, "certify", "--charger", f"SIM-OCTT-{profile}", "--url", bench.ws_url, "--api-token", bench.token]
    args += ["--simulate", "--catalog", "octt16", *FAST, "--test-data", TEST_DATA, "--profiles", profile, "--json"]
    if profile == "core":
        args += ["--max-minutes", "20"]
    return subprocess.run(args, env=bench.env, cwd=ROOT, capture_output=True, text=True, timeout=1500)


@pytest.mark.parametrize(
    "profile", [*(p for p in EXPECTED if p != "core"), pytest.param("core", marks=CORE)], ids=lambda p: p
)
def test_a_profile_passes_against_the_simulator_but_what_it_rules_out(bench, profile):
    done = run(bench, profile)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
    verdicts = {i["key"]: (i["verdict"], i.get("reason", "")) for i in json.loads(done.stdout)["items"]}
    unsupported, inapplicable = EXPECTED[profile]
    assert {k for k, (v, _) in verdicts.items() if v == "not_supported"} == unsupported, verdicts
    assert {k for k, (v, _) in verdicts.items() if v == "not_applicable"} == inapplicable, verdicts
    assert {v for k, (v, _) in verdicts.items() if k not in unsupported | inapplicable} <= {"passed"}, verdicts
    assert len(verdicts) > len(unsupported | inapplicable) or profile == "security"
