"""`manage.py certify` as a pipeline runs it: a real server process, the
built-in simulator in a process of its own with its control port, and the
physical steps done only through --physical-hook by a small script that posts
to that port. Exit statuses, the JUnit file, the JSON result and the signed
PDF are read as a pipeline would."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest

from chargers.frames.reader import Log
from chargers.simulator import PROFILES
from tests.certify.profile_cases import failing, reboots_during_transactions
from tests.conftest import free_port
from tests.servers import MANAGE, ROOT, Daphne, base_env, prepare, wait_for_port

HOOK = """\
import json, os, sys, urllib.parse, urllib.request
step = os.environ["CERTIFY_STEP"]
with open(os.environ["HOOK_LOG"], "a") as log:
    log.write(json.dumps({k: v for k, v in os.environ.items() if k.startswith("CERTIFY_")}) + "\\n")
if step in os.environ.get("HOOK_FAILS", "").split(","):
    print(f"the rig has no actuator for {step}")
    sys.exit(4)
if step in os.environ.get("HOOK_CANNOT", "").split(","):
    print(f"this rig cannot {step}")
    sys.exit(3)
query = urllib.parse.urlencode({
    "connector": os.environ["CERTIFY_CONNECTOR"],
    "tag": os.environ["CERTIFY_ID_TAG"],
    "code": os.environ["CERTIFY_ERROR_CODE"] or "GroundFailure",
})
charger = urllib.parse.quote(os.environ["CERTIFY_CHARGER"], safe="")
url = f"http://127.0.0.1:{os.environ['CONTROL_PORT']}/{charger}/{step}?{query}"
urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10).read()
"""
# Short intervals: the simulator accepts them, and the suite stays fast.
FAST = ["--interval", "2", "--offline-seconds", "4", "--timeout", "60", "--step-timeout", "15", "--max-minutes", "8"]
FAST += ["--effect-timeout", "10"]  # an effect that never comes is judged after 10 s


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One server process for the module (each start migrates a database and costs
    seconds), with the diagnostics FTP server as runlab starts it (--diagnostics auto
    tries FTP first); each test drives chargers of ids of its own."""
    env = base_env(tmp_path_factory.mktemp("lab"), OCPP_HEARTBEAT_INTERVAL="60", CERTIFY_FTP_PORT=str(free_port()))
    token = prepare(env)
    server = Daphne(env, token)
    ftp = subprocess.Popen(
        [*MANAGE, "ftpserver", "-v", "0"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(int(env["CERTIFY_FTP_PORT"]), time.monotonic() + 30)
    yield env, token, server
    ftp.terminate()
    ftp.wait(10)
    server.stop()


@pytest.fixture
def rig(lab, tmp_path):
    """The server, and a way to start the simulator and run certify against it."""
    env, token, server = lab
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    rig = Rig(env, token, server.server.ws_url, tmp_path, hook)
    rig.api = server.server.api
    yield rig
    try:  # over every charger a test ran: never a reboot while one of its transactions ran
        assert rig.reboots_during_transactions() == []
    finally:
        rig.stop()


class Rig:
    def __init__(self, env: dict, token: str, ws_url: str, tmp: Path, hook: Path) -> None:
        self.env, self.token, self.ws_url, self.tmp, self.hook = env, token, ws_url, tmp, hook
        self.simulators: list[subprocess.Popen] = []
        self.chargers: list[str] = []  # the ids simulated
        self.control_port = 0

    def simulate(self, cp_id: str, profile: str = "default", *extra: str) -> int:
        """Start a simulator; its control port (the hook's, until the next one starts)."""
        self.control_port = free_port()
        self.chargers.append(cp_id)
        args = [*MANAGE, "simulate_charger", "--url", self.ws_url, "--id", cp_id, "--profile", profile]
        args += ["--control-port", str(self.control_port), *extra]
        self.simulators.append(
            subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        wait_for_port(self.control_port, time.monotonic() + 30)
        return self.control_port

    def certify(self, cp_id: str, *extra: str, fails: str = "", cannot: str = "") -> subprocess.CompletedProcess:
        proc = self.start_certify(cp_id, *extra, fails=fails, cannot=cannot)
        stdout, stderr = proc.communicate(timeout=600)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)

    def start_certify(
        self, cp_id: str, *extra: str, fails: str = "", cannot: str = "", control_port: int = 0
    ) -> subprocess.Popen:
        """certify in a process of its own, its hook driving the simulator at
        control_port (default: the latest one started)."""
        env = {
            **self.env,
            "CONTROL_PORT": str(control_port or self.control_port),
            "HOOK_LOG": str(self.tmp / "hook.log"),
        }
        env["HOOK_FAILS"], env["HOOK_CANNOT"] = fails, cannot
        args = [*MANAGE, "certify", "--charger", cp_id, "--url", self.ws_url, "--api-token", self.token]
        args += ["--physical-hook", f"{sys.executable} {self.hook}", *FAST, *extra]
        return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def reboots_during_transactions(self) -> list[str]:
        """Over every charger this rig simulated: a Reset or UpdateFirmware sent while
        one of its transactions ran (issue 20.5), read from the server's frames."""
        found = []
        for cp_id in self.chargers:
            log = Log()
            for _ in range(100):  # a page of 1000 frames at a time
                path = f"/chargers/{quote(cp_id, safe='')}/frames?after_seq={log.last_seq}&limit=1000"
                status, frames = self.api("GET", path)
                assert status == 200
                if not log.extend(frames) or len(frames) < 1000:
                    break
            found += [f"{cp_id}: {what}" for what in reboots_during_transactions(log)]
        return found

    def hook_calls(self) -> list[dict]:
        log = self.tmp / "hook.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def stop(self) -> None:
        for proc in self.simulators:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def table_rows(stdout: str) -> dict[int, tuple[str, str]]:
    """The stdout table: number -> (function, verdict)."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if parts and parts[0].isdigit():
            function = line[4:62].strip()
            rows[int(parts[0])] = (function, line[63:77].strip())
    return rows


def test_a_full_run_through_the_hook_passes_with_its_artifacts(rig):
    rig.simulate("SIM-CI")
    junit, report, result = rig.tmp / "junit.xml", rig.tmp / "report.pdf", rig.tmp / "result.json"
    firmware = rig.tmp / "image.bin"
    firmware.write_bytes(b"the manufacturer's image\n" * 64)
    done = rig.certify(
        "SIM-CI",
        "--report",
        str(report),
        "--junit",
        str(junit),
        "--json",
        str(result),
        "--engineer",
        "CI Bot",
        "--firmware",
        str(firmware),
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    rows = table_rows(done.stdout)
    assert {n: v for n, (_, v) in rows.items()} == {n: ("Open" if n == 15 else "Passed") for n in range(1, 19)}
    # Every physical step went through the hook, with the contract's variables.
    calls = rig.hook_calls()
    assert {c["CERTIFY_STEP"] for c in calls} == {"plug", "unplug", "swipe", "fault", "clear-fault"}  # no power-cycle
    assert all(c["CERTIFY_CHARGER"] == "SIM-CI" and c["CERTIFY_ITEM"].isdigit() for c in calls)
    swiped = {c["CERTIFY_ID_TAG"] for c in calls if c["CERTIFY_STEP"] == "swipe"}
    assert swiped == {"CERTIFY-OK", "CERTIFY-LOCAL", "CERTIFY-REFUSED"}
    assert {c["CERTIFY_ERROR_CODE"] for c in calls if c["CERTIFY_STEP"] == "fault"} == {"GroundFailure"}
    # The JUnit file matches the table (whose Function column is cut at 58 characters); the
    # protocol findings are a second suite (tests/certify/test_findings_surfaces.py).
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and [s.get("name") for s in root] == ["OCPP certification of SIM-CI", "findings"]
    suite = root[0]
    assert suite.get("tests") == "18" and suite.get("failures") == "0"
    cases = [c for c in suite.iter("testcase")]
    assert [c.get("name")[:61] for c in cases] == [f"{n:02d} {function}" for n, (function, _) in sorted(rows.items())]
    skipped = [c.get("name")[:2] for c in cases if c.find("skipped") is not None]
    assert skipped == ["15"] and cases[14].find("skipped").get("message").startswith("Open: ")
    # Each case's time is its item's wall clock; the suite's the run's, not their sum.
    times = [float(c.get("time")) for c in cases]
    assert max(times) <= float(suite.get("time")) < sum(times)
    # The JSON result, and the signed report.
    data = json.loads(result.read_text())
    assert data["exit_code"] == 0 and [i["number"] for i in data["items"]] == list(range(1, 19))
    assert [i["key"] for i in data["items"]] == [str(n) for n in range(1, 19)]
    assert all(i["evidence_seqs"] for i in data["items"] if i["number"] != 15)
    assert "tried: FTP: Uploaded" in data["items"][12]["reason"]  # --diagnostics auto: FTP first
    assert any("local authorization list" in note for note in data["items"][15]["notes"])
    verified = subprocess.run(
        [*MANAGE, "verify_report", str(report)], env=rig.env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0 and "VALID" in verified.stdout, verified.stdout + verified.stderr
    text = subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "automatic run" in text and "accepted offline from the local" in " ".join(text.split())
    status, sessions = rig.api("GET", "/sessions?charge_point_id=SIM-CI")
    assert status == 200 and [(x["state"], x["engineer_name"]) for x in sessions] == [("signed", "CI Bot")]


@pytest.mark.parametrize("profile, numbers", [("ignore-heartbeat-interval", "2,17"), ("no-voltage", "5,6,7,8,17")])
def test_a_misbehaving_charger_fails_exactly_its_items(rig, profile, numbers):
    broken = [c.number for c in failing(PROFILES[profile])]
    rig.simulate(f"SIM-{profile}", profile)
    done = rig.certify(f"SIM-{profile}", "--items", numbers)
    assert done.returncode == 1, done.stdout + done.stderr[-4000:]
    verdicts = {n: v for n, (_, v) in table_rows(done.stdout).items()}
    assert broken and verdicts == {int(n): ("Failed" if int(n) in broken else "Passed") for n in numbers.split(",")}


# The procedures of issue 20.1-3 and 20.7 through the hook: the items each profile touches,
# the exit status the specification gives, and what the item's reason must say.
PROCEDURES = {
    # A plugged cable may wait for a card: item 11 goes card first (§9.1.6, OCTT TC_004_2_CS).
    "no-plugged-timeout": ("11,17", 0, {11: "card first (§9.1.6, OCTT TC_004_2_CS)"}),
    # An identified driver may not wait forever (§9.1.6).
    "no-connection-timeout": ("11", 1, {11: "§9.1.6 asks the charger to cancel"}),
    # Statuses held MinimumStatusDuration: ConnectionTimeOut above it; Operative after every Unavailable.
    "min-status-duration": ("3,11", 0, {11: "card first"}),
    # Item 8 sets the measurands it judges (the default samples energy only).
    "energy-only-default": ("6,7,8", 0, {8: "with voltage, current and power"}),
    # One connector: the local start's transaction runs 2.5 intervals; card first on it.
    "one-connector": ("3,6,7,8,11", 0, {8: "periodic samples", 11: "card first"}),
    # --diagnostics auto: over what the charger speaks.
    "ftp-only": ("13", 0, {13: "tried: FTP: Uploaded"}),
    "http-only": ("13", 0, {13: "tried: HTTP: Uploaded"}),
}


def test_card_first_the_sampled_data_and_the_transfer_protocol_end_as_the_specification_says(rig):
    runs = {}
    for profile, (numbers, _, _) in PROCEDURES.items():
        port = rig.simulate(f"SIM-P-{profile}", profile)
        runs[profile] = rig.start_certify(f"SIM-P-{profile}", "--items", numbers, "--json", control_port=port)
    for profile, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=600)
        _, code, says = PROCEDURES[profile]
        assert proc.returncode == code, f"{profile}: {stdout[-3000:]}{stderr[-3000:]}"
        reasons = {i["number"]: i["reason"] for i in json.loads(stdout)["items"]}
        assert {n: reasons[n] for n, text in says.items() if text not in reasons[n]} == {}, profile


def test_a_charger_that_never_connects_exits_3(rig):
    done = rig.certify("SIM-NOBODY", "--wait-connect", "2")
    assert done.returncode == 3
    assert "SIM-NOBODY did not connect" in done.stderr


def test_a_step_the_hook_cannot_do_leaves_its_item_open_and_the_run_goes_on(rig):
    rig.simulate("SIM-NOFAULT")
    result = rig.tmp / "result.json"
    done = rig.certify("SIM-NOFAULT", "--items", "10,17", "--json", str(result), fails="fault")
    assert done.returncode == 2, done.stdout + done.stderr[-4000:]
    items = {i["number"]: i for i in json.loads(result.read_text())["items"]}
    assert items[10]["verdict"] == "open"
    assert "could not fault (exit status 4): the rig has no actuator for fault" in items[10]["reason"]
    assert items[17]["verdict"] == "passed"
    # The item's page says so too: its attempt ended without a verdict, with the reason.
    (attempt,) = items[10]["attempts"]
    assert attempt["verdict"] == "abandoned" and "the rig has no actuator for fault" in attempt["reason"]


def test_an_unknown_case_key_exits_3_at_once(rig):
    done = rig.certify("SIM-ANY", "--items", "1,TC_999_CS", "--wait-connect", "60")
    assert done.returncode == 3 and "no case TC_999_CS in catalog ocpp16-testscript" in done.stderr


def test_a_bad_token_exits_3_at_once(rig):
    rig.token = "oc_not-a-token"
    done = rig.certify("SIM-ANY", "--wait-connect", "60")
    assert done.returncode == 3 and "refused the API token" in done.stderr


def test_simulate_runs_the_builtin_simulator_and_json_alone_goes_to_stdout(rig):
    args = [*MANAGE, "certify", "--charger", "SIM-INPROC", "--url", rig.ws_url, "--api-token", rig.token]
    args += ["--simulate", "--items", "4,10,17", "--json", *FAST]
    done = subprocess.run(args, env=rig.env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    data = json.loads(done.stdout)
    assert [(i["number"], i["verdict"]) for i in data["items"]] == [(4, "passed"), (10, "passed"), (17, "passed")]
    assert "item 10: raise a fault" not in done.stderr  # the simulator did it, no person was asked


def test_without_a_hook_each_step_is_printed_and_its_evidence_awaited(rig):
    """A person at the bench (here: a reader of stderr posting to the control
    port) follows the printed steps; the run waits for what the charger reports."""
    rig.simulate("SIM-BENCH")
    args = [*MANAGE, "certify", "--charger", "SIM-BENCH", "--url", rig.ws_url, "--api-token", rig.token]
    args += ["--items", "10", *FAST]
    proc = subprocess.Popen(args, env=rig.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line.strip())
        for prompt, verb in (("raise a fault (GroundFailure)", "fault"), ("clear the fault", "clear-fault")):
            if line.strip().startswith(f"item 10: {prompt}"):
                url = f"http://127.0.0.1:{rig.control_port}/SIM-BENCH/{verb}?connector=0&code=GroundFailure"
                urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10).read()
    assert proc.wait(120) == 0, "\n".join(seen)
    assert "item 10: raise a fault (GroundFailure) on the station (connector 0)" in seen
    assert "item 10: clear the fault on the station (connector 0)" in seen
    assert "Passed" in proc.stdout.read()


def test_a_report_that_cannot_be_signed_exits_3_and_keeps_the_other_artifacts(rig):
    rig.simulate("SIM-NOSIGN")
    junit, report = rig.tmp / "junit.xml", rig.tmp / "report.pdf"
    done = rig.certify("SIM-NOSIGN", "--items", "17", "--engineer", " ", "--report", str(report), "--junit", str(junit))
    assert done.returncode == 3, done.stdout + done.stderr[-4000:]
    assert "no report: could not sign session" in done.stderr and "Name and role are needed" in done.stderr
    assert not report.exists() and ET.parse(junit).getroot()[0].get("tests") == "1"
    assert "Passed" in done.stdout


def test_what_the_rig_cannot_do_is_inconclusive_and_a_command_refused_offline_is_sent_again(rig):
    """Hook exit 3 is "the rig cannot do this step": item 10 inconclusive, not open
    nor failed; without --firmware item 12 is inconclusive, never judged on a dummy
    image. Item 16's unplug cannot be done now (exit 4): it stays open, its attempt
    abandoned while the server still keeps the charger offline, so ClearCache (item
    17) meets a 409 and is sent again once the charger is back. Exit 2; JUnit skips
    the inconclusive items, saying why."""
    rig.simulate("SIM-INCONC")
    junit, result = rig.tmp / "junit.xml", rig.tmp / "result.json"
    done = rig.certify(
        "SIM-INCONC",
        *("--items", "10,12,16,17", "--offline-seconds", "15", "--junit", str(junit), "--json", str(result)),
        cannot="fault",
        fails="unplug",
    )
    assert done.returncode == 2, done.stdout + done.stderr[-4000:]
    rows = {n: v for n, (_, v) in table_rows(done.stdout).items()}
    assert rows == {10: "Inconclusive", 12: "Inconclusive", 16: "Open", 17: "Passed"}
    items = {i["number"]: i for i in json.loads(result.read_text())["items"]}
    assert "this rig cannot fault" in items[10]["reason"]
    assert "No firmware image given" in items[12]["reason"]
    assert [a["verdict"] for a in items[16]["attempts"]] == ["abandoned"]
    assert "item 17: ClearCache refused: the charger is not connected" in done.stderr
    assert not any(c["CERTIFY_STEP"] == "clear-fault" for c in rig.hook_calls())
    skipped = {c.get("name")[:2]: c.find("skipped") for c in ET.parse(junit).getroot()[0].iter("testcase")}
    assert skipped["10"].get("message").startswith("Inconclusive: The rig cannot do step fault")
    assert skipped["12"].get("message").startswith("Inconclusive: No firmware image given")
    assert skipped["16"].get("message").startswith("Open: Step unplug (connector 1) could not be done")
    assert skipped["17"] is None
    status, frames = rig.api("GET", "/chargers/SIM-INCONC/frames?limit=1000")
    assert status == 200 and not [f for f in frames if f.get("action") == "UpdateFirmware"]


# Legal chargers the run once could not finish (issue 20), each through the hook at once.
LEGAL = {
    # A second card for the local start; the remote start's Authorize is no local start.
    "authorize-remote": ("6,7,17", ()),
    # Reboots slower than an item's --timeout, awaited with --reboot-timeout; item 1 on their boot.
    "slow-reboot": ("1,9,18", ("--slow-reboot-delay", "15")),
    # Item 1 on a power-cycle step, never TriggerMessage BootNotification after an accepted boot.
    "reject-boot-trigger": ("1,18", ()),
}


def test_legal_chargers_end_with_exit_0_through_the_hook(rig):
    runs = {}
    for profile, (numbers, extra) in LEGAL.items():
        port = rig.simulate(f"SIM-{profile}", profile, *extra)
        args = ("--items", numbers, "--timeout", "10", "--reboot-timeout", "60")
        runs[profile] = rig.start_certify(f"SIM-{profile}", *args, control_port=port)
    for profile, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{profile}: {stdout}{stderr[-4000:]}"
        status, frames = rig.api("GET", f"/chargers/SIM-{profile}/frames?limit=1000")
        boot = [f for f in frames if f.get("action") == "TriggerMessage" and "BootNotification" in f.get("raw", "")]
        assert status == 200 and boot == [], profile
        steps = [c["CERTIFY_STEP"] for c in rig.hook_calls() if c["CERTIFY_CHARGER"] == f"SIM-{profile}"]
        keys = LEGAL[profile][0].split(",")
        assert ("power-cycle" in steps) == ("9" not in keys and "1" in keys), profile
