"""`make run` (manage.py runlab) tells the truth at start-up: every service it
starts either runs, or the start stops with a message naming the port and the
setting that moves it. And the lab it starts runs with DEBUG off, its login page
and static files served by daphne itself."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets
import websockets.sync.client

from tests.conftest import free_port
from tests.servers import MANAGE, ROOT, base_env, make_ca_and_server_cert, manage

STARTED = "Simulated charger SIM-0001 connected"


def lab_env(var_dir: Path, **ports: int) -> dict:
    """A fresh checkout's environment: no SECRET_KEY, no DEBUG, ports of our own."""
    env = base_env(var_dir, **{name: str(port) for name, port in ports.items()})
    for name in ("SECRET_KEY", "DEBUG", "SECURE_COOKIES", "SIMULATOR_CONTROL_URL"):
        env.pop(name, None)
    return env


def ports() -> dict[str, int]:
    return {"PORT": free_port(), "CERTIFY_FTP_PORT": free_port(), "SIMULATOR_CONTROL_PORT": free_port()}


@contextlib.contextmanager
def occupied(port: int):
    """Something else listening on 127.0.0.1:port."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield


def runlab(env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*MANAGE, "runlab"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


SETTINGS = ("PORT", "CERTIFY_FTP_PORT", "SIMULATOR_CONTROL_PORT")


@pytest.fixture(scope="module")
def taken(tmp_path_factory) -> dict:
    """runlab started once with each of its ports taken by something else (a start
    costs seconds): setting -> (the ports chosen, what runlab did, which of the
    other ports listened once it had ended)."""
    found = {}
    for setting in SETTINGS:
        chosen = ports()
        with occupied(chosen[setting]):
            done = runlab(lab_env(tmp_path_factory.mktemp(setting.lower()), **chosen))
        found[setting] = (chosen, done, [name for name, port in chosen.items() if name != setting and listening(port)])
    return found


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_taken_port_stops_the_start_naming_the_port_and_its_setting(taken, setting):
    chosen, done, _ = taken[setting]
    assert done.returncode == 1
    assert f"port {chosen[setting]} on 127.0.0.1 is not available" in done.stderr
    assert f"{setting}=<port>" in done.stderr


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_taken_port_starts_no_service(taken, setting):
    _, _, listened = taken[setting]
    assert listened == []


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_taken_port_prints_no_start_up_line(taken, setting):
    _, done, _ = taken[setting]
    assert "OCPP Certify at" not in done.stdout
    assert "Diagnostics FTP server on" not in done.stdout


class Lab:
    def __init__(self, var_dir: Path, *args: str, ready: str = STARTED, before: str = "") -> None:
        """runlab with `args`, once it printed `ready`; `before`: Python run in its environment first."""
        self.ports = ports()
        self.env = lab_env(var_dir, **self.ports)
        manage(
            self.env,
            "shell",
            "-c",
            f"from django.core.management import call_command\n"
            f"call_command('migrate', interactive=False, verbosity=0)\n{before}",
        )
        self.out = var_dir / "runlab.out"
        with self.out.open("w") as out:
            self.proc = subprocess.Popen(
                [*MANAGE, "runlab", *args], env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True
            )
        deadline = time.monotonic() + 90
        while ready not in self.output() and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)

    def output(self) -> str:
        return self.out.read_text()

    def get(self, path: str) -> tuple[int, str, str]:
        url = f"http://127.0.0.1:{self.ports['PORT']}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    started = Lab(tmp_path_factory.mktemp("lab"))
    yield started
    started.stop()


def test_the_lab_says_each_service_runs_once_it_does(lab):
    out = lab.output()
    assert f"OCPP Certify at http://127.0.0.1:{lab.ports['PORT']}/" in out
    assert f"Diagnostics FTP server on 127.0.0.1:{lab.ports['CERTIFY_FTP_PORT']}" in out
    assert f"{STARTED} (control: 127.0.0.1:{lab.ports['SIMULATOR_CONTROL_PORT']})" in out


def test_the_lab_says_each_start_up_line_once(lab):
    assert lab.output().count("Diagnostics FTP server on") == 1


def test_a_refused_charger_is_logged_once(lab):
    """daphne's own log handler on the root logger must not print our lines again."""
    import websockets.sync.client

    with contextlib.suppress(Exception):
        websockets.sync.client.connect(f"ws://127.0.0.1:{lab.ports['PORT']}/ocpp/CP-NO-SUBPROTOCOL", open_timeout=5)
    line = "Refused OCPP connection of 'CP-NO-SUBPROTOCOL'"
    deadline = time.monotonic() + 10
    while line not in lab.output() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lab.output().count(line) == 1


def test_a_failed_ftp_login_is_logged_once(lab):
    import ftplib

    with contextlib.suppress(ftplib.error_perm), ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", lab.ports["CERTIFY_FTP_PORT"], timeout=10)
        ftp.login("s999", "not-the-password")
    deadline = time.monotonic() + 10
    while "FTP login failed for 's999'" not in lab.output() and time.monotonic() < deadline:
        time.sleep(0.2)
    lines = [line for line in lab.output().splitlines() if "certify.ftp" in line and "'s999'" in line]
    assert len(lines) == 1, lines


def test_the_lab_serves_the_login_page(lab):
    status, _, body = lab.get("/login/")
    assert status == 200
    assert 'href="/static/app.css"' in body


def test_the_lab_serves_static_files_with_debug_off(lab):
    status, content_type, body = lab.get("/static/app.css")
    assert status == 200
    assert content_type.startswith("text/css")
    assert body


def test_the_lab_shows_no_debug_page(lab):
    status, _, body = lab.get("/no-such-page/")
    assert status == 404
    assert "DEBUG = True" not in body
    assert "URLconf" not in body


def test_the_lab_made_its_secret_key_in_var(lab):
    assert (Path(lab.env["VAR_DIR"]) / "secret_key").is_file()


def test_the_lab_stops_every_service_on_sigterm(tmp_path_factory):
    started = Lab(tmp_path_factory.mktemp("lab-stop"))
    assert STARTED in started.output()
    assert started.stop() == 0
    assert not any(listening(port) for port in started.ports.values())


def test_the_lab_stops_when_one_of_its_services_ends(tmp_path_factory):
    started = Lab(tmp_path_factory.mktemp("lab-ends"))
    ftp = subprocess.run(
        ["pgrep", "-P", str(started.proc.pid), "-f", "ftpserver"], capture_output=True, text=True
    ).stdout.split()
    assert len(ftp) == 1
    os.kill(int(ftp[0]), 15)
    code = started.proc.wait(30)
    assert code == 1
    assert "the diagnostics FTP server stopped" in started.output()


def test_the_lab_serves_wss_beside_ws_for_chargers_on_security_profile_2(tmp_path):
    """`runlab --tls-cert --tls-key --tls-port`: daphne's TLS endpoint, which the app
    knows for TLS (a profile-2 charger is admitted on it, refused on plain ws://)."""
    make_ca_and_server_cert(tmp_path)
    tls_port = free_port()
    tls = ("--tls-cert", str(tmp_path / "server.pem"), "--tls-key", str(tmp_path / "server.key"))
    key = "a-secret-of-16-bytes-or-more"
    before = (
        "from chargers.models import Charger\n"
        f"c = Charger(charge_point_id='TLS-1', security_profile=2); c.set_authorization_key({key!r}); c.save()"
    )
    started = Lab(
        tmp_path, "--no-simulator", *tls, "--tls-port", str(tls_port), ready="Chargers over TLS", before=before
    )
    auth = {"Authorization": "Basic " + base64.b64encode(f"TLS-1:{key}".encode()).decode()}
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    try:
        assert f"Chargers over TLS (security profile 2): wss://127.0.0.1:{tls_port}/ocpp/<id>" in started.output()
        with websockets.sync.client.connect(
            f"wss://127.0.0.1:{tls_port}/ocpp/TLS-1", subprotocols=["ocpp1.6"], ssl=context, additional_headers=auth
        ) as ws:
            ws.send('[2,"1","Heartbeat",{}]')
            assert json.loads(ws.recv(timeout=10))[0] == 3
        with pytest.raises(websockets.InvalidStatus) as refused:
            websockets.sync.client.connect(
                f"ws://127.0.0.1:{started.ports['PORT']}/ocpp/TLS-1", subprotocols=["ocpp1.6"], additional_headers=auth
            )
        assert refused.value.response.status_code == 403
    finally:
        started.stop()


def test_a_certificate_that_cannot_serve_tls_stops_the_start_with_a_message(tmp_path):
    env = lab_env(tmp_path, **ports())
    args = [*MANAGE, "runlab", "--tls-cert", str(tmp_path / "none.pem"), "--tls-key", str(tmp_path / "none.key")]
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"Cannot serve wss://: {tmp_path / 'none.pem'}" in done.stderr
    assert "OCPP Certify at" not in done.stdout
