"""Every OCTT 1.6 profile beyond Core, run headless against the default
simulator (`manage.py certify --catalog octt16 --profiles ... --simulate`): no
case fails, and exactly the cases the simulator's declaration rules out are Not
supported or Not applicable. One server for the module, one run per profile
(side by side), short charger timings. Core's 48 cases take minutes: OCTT_CORE=1 runs them too.
And each misbehaviour profile fails only cases resting on a clause it breaks."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from chargers.simulator import PROFILES
from tests.certify.profile_cases import failing, lacking
from tests.certify.test_headless_run import FAST, Rig
from tests.servers import MANAGE, ROOT, Daphne, base_env, manage, prepare

# Short charger timings: the reservation that must expire lasts 6 s, a cable is awaited 10 s.
TEST_DATA = "heartbeat_interval=5,rejected_interval=3,short_reservation_seconds=6,connection_timeout=10"

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


# -- misbehaviour: a fault fails cases resting on the clause it breaks, and no other -------------

CONTROL = "TC_062_CS"  # DataTransfer to an unknown vendor (§5.6): no fault of the simulator touches it


def faults_citing_octt() -> dict[str, list[str]]:
    """Each fault whose broken clauses OCTT cases cite -> those cases (derived, not listed)."""
    found = {}
    for name, profile in PROFILES.items():
        cases = [c.key for c in failing(profile, "octt16")]
        if cases:
            found[name] = cases
    return found


def variants_lacking_cases() -> dict[str, list[str]]:
    """Each legal variant that cannot do some OCTT cases (a feature profile it does not
    declare, an optional key it leaves out) -> those cases (derived, not listed)."""
    return {
        name: [c.key for c in lacking(profile, "octt16")]
        for name, profile in PROFILES.items()
        if profile.legal and lacking(profile, "octt16")
    }


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("octt16-profiles")
    env = base_env(tmp, OCPP_HEARTBEAT_INTERVAL="60")
    token = prepare(env)
    server = Daphne(env, token)
    SERVERS[:] = [server]
    yield Rig(env, token, server.server.ws_url, tmp, tmp / "no-hook.py")
    server.stop()
    SERVERS.clear()


SERVERS: list[Daphne] = []  # the module's server, whose log a failure's message quotes


def server_log_tail(chars: int = 4000) -> str:
    """The server's tracebacks (or the end of its log), to say why a run could not go on."""
    log = SERVERS[0].log() if SERVERS else ""
    start = log.find("Traceback")
    return log[start : start + chars] if start >= 0 else log[-chars:]


class Started:
    """A headless run against the built-in simulator, going on beside the others; its
    output goes to files (a pipe nobody reads yet would stall it)."""

    def __init__(self, bench: Rig, charger: str, *extra: str) -> None:
        args = [*MANAGE, "certify", "--charger", charger, "--url", bench.ws_url, "--api-token", bench.token]
        args += ["--simulate", "--catalog", "octt16", *FAST, "--json", *extra]
        self.out, self.err = bench.tmp / f"{charger}.json", bench.tmp / f"{charger}.log"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(args, env=bench.env, cwd=ROOT, stdout=out, stderr=err)

    def result(self, timeout: float = 1500) -> tuple[int, str, str]:
        """(exit status, stdout, stderr) once it ended."""
        code = self.proc.wait(timeout)
        return code, self.out.read_text(), self.err.read_text()


@pytest.fixture(scope="module")
def runs(bench) -> dict[str, Started]:
    """One run per profile beyond Core and one per misbehaviour (below), all at once:
    the module waits for the longest run, not for their sum."""
    started = {
        p: Started(bench, f"SIM-OCTT-{p}", "--test-data", TEST_DATA, "--profiles", p) for p in EXPECTED if p != "core"
    }
    for name, cases in faults_citing_octt().items():
        time.sleep(0.5)  # the runs open their sessions a moment apart, as a lab would, not in one burst
        started[f"fault:{name}"] = Started(
            bench,
            f"SIM-FAULT-{name}",
            *("--profile", name, "--test-data", f"{TEST_DATA},reboot_timeout=10"),
            *("--items", ",".join([*cases, CONTROL])),
        )
    for name, cases in variants_lacking_cases().items():
        time.sleep(0.5)
        started[f"legal:{name}"] = Started(
            bench,
            f"SIM-LEGAL-{name}",
            *("--profile", name, "--test-data", TEST_DATA, "--items", ",".join([*cases, CONTROL])),
        )
    yield started
    for run in started.values():
        if run.proc.poll() is None:
            run.proc.kill()


@pytest.mark.parametrize(
    "profile", [*(p for p in EXPECTED if p != "core"), pytest.param("core", marks=CORE)], ids=lambda p: p
)
def test_a_profile_passes_against_the_simulator_but_what_it_rules_out(bench, runs, profile):
    run = runs.get(profile) or Started(
        bench, "SIM-OCTT-core", "--test-data", TEST_DATA, "--profiles", profile, "--max-minutes", "20"
    )
    code, out, err = run.result()
    assert code == 0, out[-6000:] + err[-4000:]
    verdicts = {i["key"]: (i["verdict"], i.get("reason", "")) for i in json.loads(out)["items"]}
    unsupported, inapplicable = EXPECTED[profile]
    assert {k for k, (v, _) in verdicts.items() if v == "not_supported"} == unsupported, verdicts
    assert {k for k, (v, _) in verdicts.items() if v == "not_applicable"} == inapplicable, verdicts
    assert {v for k, (v, _) in verdicts.items() if k not in unsupported | inapplicable} <= {"passed"}, verdicts
    assert len(verdicts) > len(unsupported | inapplicable) or profile == "security"


def test_each_misbehaviour_fails_only_cases_resting_on_the_clause_it_breaks(runs):
    """Every fault whose clauses the OCTT cases cite, run at once (one run each) over
    those cases and a control case: at least one of its cases fails, every failure is
    among them, the control passes. A case citing the clause for a path the fault leaves
    alone passes (TC_003_CS rests on §4.1 with an accepted tag; start-when-refused only
    misbehaves on a refused one)."""
    faults = faults_citing_octt()
    assert {"ignore-remote-stop", "start-when-refused", "trigger-ignored", "upload-fails"} <= set(faults)
    wrong = {}
    for name in faults:
        _, out, err = runs[f"fault:{name}"].result()
        try:
            verdicts = {i["key"]: i["verdict"] for i in json.loads(out)["items"]}
        except ValueError:
            wrong[name] = f"{err[-2000:]}\nserver log:\n{server_log_tail()}"
            continue
        failed = {k for k, v in verdicts.items() if v == "failed"}
        if not failed or not failed <= set(faults[name]) or verdicts.get(CONTROL) != "passed":
            wrong[name] = verdicts
    if wrong:  # in full: an assertion's message would be cut short, the server's traceback with it
        pytest.fail("\n\n".join(f"{name}: {what}" for name, what in wrong.items()), pytrace=False)


def test_a_legal_variant_has_the_cases_it_cannot_do_not_supported_and_passes_the_rest(runs):
    """Each legal variant lacking a feature profile or an optional key (§3, chapter 9: absent is
    not a failure) over the cases that need them and a control case: exactly those are Not
    supported (Not applicable where an optional key's absence is declared), the control
    passes, the run exits 0."""
    variants = variants_lacking_cases()
    assert {"core-only", "no-cache", "no-smart-charging"} <= set(variants)
    wrong = {}
    for name, cases in variants.items():
        code, out, err = runs[f"legal:{name}"].result()
        try:
            verdicts = {i["key"]: i["verdict"] for i in json.loads(out)["items"]}
        except ValueError:
            wrong[name] = f"{err[-2000:]}\nserver log:\n{server_log_tail()}"
            continue
        # A feature profile it lacks: Not supported; an optional key it leaves out (§9.1.2
        # AuthorizationCacheEnabled): its declaration says so, and the case is Not applicable.
        by_profile = {c.key for c in lacking(PROFILES[name], "octt16") if c.profile}
        expected = {k: {"not_supported"} if k in by_profile else {"not_supported", "not_applicable"} for k in cases}
        expected[CONTROL] = {"passed"}
        off = {k: v for k, v in verdicts.items() if v not in expected.get(k, ())}
        if code != 0 or off or set(verdicts) != set(expected):
            wrong[name] = off or f"exit {code}, cases {sorted(verdicts)}"
    if wrong:
        pytest.fail("\n\n".join(f"{name}: {what}" for name, what in wrong.items()), pytrace=False)


def test_basic_auth_is_played_against_a_charger_on_security_profile_1(bench):
    """White paper, security profile 1: a charger we know by its AuthorizationKey takes
    the new key we set and reconnects with it, admitted (TC_073_CS passes; the key we hold
    is the new one), then reconnects after a hard reset with Basic credentials we accept
    (TC_085_CS passes); its declaration, read from SecurityProfile=1, leaves the profile 2
    case Not applicable."""
    key = "0123456789abcdef0123"
    manage(
        bench.env,
        "shell",
        "-c",
        "from chargers.models import Charger; c = Charger.objects.create(charge_point_id='SIM-SP1'); "
        f"c.set_authorization_key('{key}'); c.save()",
    )
    args = [*MANAGE, "simulate_charger", "--url", bench.ws_url, "--id", "SIM-SP1", "--password", key]
    simulator = subprocess.Popen(args, env=bench.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        args = [*MANAGE, "certify", "--charger", "SIM-SP1", "--url", bench.ws_url, "--api-token", bench.token]
        args += ["--catalog", "octt16", *FAST, "--test-data", f"{TEST_DATA},reboot_timeout=30"]
        args += ["--items", "TC_073_CS,TC_085_CS,TC_084_CS", "--json"]
        done = subprocess.run(args, env=bench.env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        simulator.terminate()
        simulator.wait(10)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    verdicts = {i["key"]: i["verdict"] for i in json.loads(done.stdout)["items"]}
    assert verdicts == {"TC_073_CS": "passed", "TC_085_CS": "passed", "TC_084_CS": "not_applicable"}
    new_key = b"OCA_OCTT_admin_test".hex()
    held = manage(
        bench.env,
        "shell",
        "-c",
        "from chargers.models import Charger; c = Charger.objects.get(charge_point_id='SIM-SP1'); "
        f"print(c.check_authorization_key(b'{new_key}'), c.check_authorization_key(b'{key}'))",
    )
    assert held.splitlines()[-1] == "True False"
