"""The OCTT security cases that need TLS, played headless against the built-in
simulator and a real daphne serving wss:// beside ws:// (runlab's TLS endpoint, a
throwaway CA): a charger on security profile 1 takes SecurityProfile 2 from us and
reconnects over wss:// (TC_083_CS); a charger on profile 2 connects over wss:// after a
reset (TC_086_CS) and refuses a downgrade (TC_084_CS); and plain ws:// is refused to a
profile-2 charger, with the reason logged. The runs go side by side, once per module."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from dataclasses import dataclass, field

import pytest
import websockets.sync.client

from chargers.management.commands.runlab import Tls, tls_endpoint
from tests.certify.test_headless_run import FAST
from tests.certify.test_octt16_profiles import TEST_DATA
from tests.servers import MANAGE, ROOT, Daphne, base_env, free_port, make_ca_and_server_cert, manage, prepare

KEY = "0123456789abcdef0123"
CASES = {"SIM-SP1": "TC_083_CS", "SIM-SP2": "TC_086_CS,TC_084_CS"}


@dataclass
class Played:
    """What the runs judged, and what the server kept and said."""

    verdicts: dict = field(default_factory=dict)  # charger -> {case: verdict}
    profile: str = ""  # SIM-SP1's security profile after its run
    plain_ws: int = 0  # the HTTP status of SIM-SP1's handshake on plain ws:// afterwards
    log: str = ""


def refused_status(url: str, cp_id: str) -> int:
    """The HTTP status a handshake with the charger's own Basic credentials gets (0: admitted)."""
    token = base64.b64encode(f"{cp_id}:{KEY}".encode()).decode()
    try:
        with websockets.sync.client.connect(
            url + cp_id,
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
            open_timeout=10,
        ):
            return 0
    except websockets.InvalidStatus as refused:
        return refused.response.status_code


@pytest.fixture(scope="module")
def played(tmp_path_factory) -> Played:
    tmp = tmp_path_factory.mktemp("octt16-tls")
    make_ca_and_server_cert(tmp)
    tls = Tls(free_port(), str(tmp / "server.pem"), str(tmp / "server.key"))
    env = base_env(tmp, OCPP_HEARTBEAT_INTERVAL="60", OCPP_TLS_PORT=str(tls.port))
    token = prepare(env)
    manage(
        env,
        "shell",
        "-c",
        "from chargers.models import Charger\n"
        "for cp_id, profile in (('SIM-SP1', 1), ('SIM-SP2', 2)):\n"
        f"    c = Charger(charge_point_id=cp_id, security_profile=profile); c.set_authorization_key('{KEY}'); c.save()",
    )
    server = Daphne(env, token, extra_args=("-e", tls_endpoint("127.0.0.1", tls)))
    ws_url, wss_url = server.server.ws_url, f"wss://127.0.0.1:{tls.port}/ocpp/"
    trusting = ("--password", KEY, "--ca", str(tmp / "ca.pem"))
    simulators = {
        "SIM-SP1": [*MANAGE, "simulate_charger", "--url", ws_url, "--id", "SIM-SP1", *trusting, "--tls-url", wss_url],
        "SIM-SP2": [*MANAGE, "simulate_charger", "--url", wss_url, "--id", "SIM-SP2", *trusting],
    }
    started, runs, seen = [], {}, Played()
    try:
        for args in simulators.values():
            started.append(
                subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        for cp_id, cases in CASES.items():
            args = [*MANAGE, "certify", "--charger", cp_id, "--url", ws_url, "--api-token", token]
            args += ["--catalog", "octt16", *FAST, "--test-data", f"{TEST_DATA},reboot_timeout=30"]
            runs[cp_id] = subprocess.Popen(
                [*args, "--items", cases, "--json"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        deadline = time.monotonic() + 240
        for cp_id, run in runs.items():
            out, err = run.communicate(timeout=max(1, deadline - time.monotonic()))
            try:
                seen.verdicts[cp_id] = {i["key"]: i["verdict"] for i in json.loads(out)["items"]}
            except ValueError:
                seen.verdicts[cp_id] = {"exit": run.returncode, "stderr": err.decode()[-3000:]}
        seen.profile = manage(
            env,
            "shell",
            "-c",
            "from chargers.models import Charger; print(Charger.objects.get(charge_point_id='SIM-SP1').security_profile)",
        ).splitlines()[-1]
        seen.plain_ws = refused_status(ws_url, "SIM-SP1")
    finally:
        for process in [*started, *runs.values()]:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        seen.log = server.stop()
    return seen


def test_a_charger_on_profile_1_takes_profile_2_and_reconnects_over_tls(played):
    assert played.verdicts["SIM-SP1"] == {"TC_083_CS": "passed"}, played.log[-3000:]


def test_a_charger_on_profile_2_connects_over_tls_and_refuses_a_downgrade(played):
    assert played.verdicts["SIM-SP2"] == {"TC_086_CS": "passed", "TC_084_CS": "passed"}, played.log[-3000:]


def test_the_upgrade_is_recorded_as_the_profile_we_admit_the_charger_with(played):
    assert played.profile == "2"
    assert "SIM-SP1 accepted SecurityProfile 2: admitted with it from now on" in played.log


def test_plain_ws_is_refused_to_a_charger_on_profile_2_with_the_reason_logged(played):
    assert played.plain_ws == 403
    assert "Refused OCPP connection of 'SIM-SP1'" in played.log
    assert "security profile 2 requires TLS" in played.log
