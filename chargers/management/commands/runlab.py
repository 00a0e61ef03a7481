"""Start the whole lab: daphne serving the app (and, given a certificate, wss://
beside ws:// for chargers on security profile 2), the diagnostics FTP server
and, unless told not to, one simulated charger so a newcomer sees a charger talk.

Each service either runs or stops the start with a message naming its port and
the setting that moves it; start-up lines claim only what was checked. Children
are stopped together on Ctrl-C or SIGTERM, and all of them when one of them ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def asgi_application() -> str:
    """The project's ASGI application (settings.ASGI_APPLICATION) as servers name it: module:attribute."""
    module, _, attribute = settings.ASGI_APPLICATION.rpartition(".")
    return f"{module}:{attribute}"


@dataclass(frozen=True)
class Tls:
    """daphne's TLS endpoint beside the plain one: wss:// for chargers on security profile 2."""

    port: int
    cert: str  # PEM: the server certificate (and its chain)
    key: str  # PEM: its private key


def _escaped(value: str) -> str:
    """A value inside a Twisted endpoint string, where ':' and '=' separate fields."""
    return value.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


def tls_endpoint(host: str, tls: Tls) -> str:
    """The Twisted endpoint string daphne serves wss:// with (`daphne -e ...`)."""
    return f"ssl:port={tls.port}:interface={_escaped(host)}:privateKey={_escaped(tls.key)}:certKey={_escaped(tls.cert)}"


def daphne_args(host: str, port: int, tls: Tls | None = None) -> list[str]:
    """daphne as OCPP needs it: no 24-hour cut-off of WebSockets, pings to find
    half-open sockets, and the frame size limit (closed with 1009, see the
    project's daphne tuning); with `tls`, wss:// on its own port too."""
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        host,
        "-p",
        str(port),
        "--websocket_timeout",
        "-1",
        "--ping-interval",
        str(settings.OCPP_PING_INTERVAL),
        "--ping-timeout",
        str(settings.OCPP_PING_TIMEOUT),
        "--websocket-max-message-size",
        str(settings.OCPP_MAX_FRAME_BYTES),
        *(("-e", tls_endpoint(host, tls)) if tls else ()),
        asgi_application(),
    ]


def uvicorn_args(host: str, port: int) -> list[str]:
    """uvicorn, the tested alternative to daphne (`--server uvicorn`): the same
    pings and frame limit (closed with 1009). Its WebSocket stack answers about
    1.5x the calls of daphne's (`make bench`, echo rows). No TLS endpoint here:
    serve wss:// through daphne (`runlab --tls-cert`) or a proxy (SECURITY.md)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        asgi_application(),
        "--host",
        host,
        "--port",
        str(port),
        "--ws",
        "websockets",
        "--ws-ping-interval",
        str(settings.OCPP_PING_INTERVAL),
        "--ws-ping-timeout",
        str(settings.OCPP_PING_TIMEOUT),
        "--ws-max-size",
        str(settings.OCPP_MAX_FRAME_BYTES),
        "--lifespan",
        "off",
        "--no-access-log",
    ]


SERVERS = {"daphne": daphne_args, "uvicorn": uvicorn_args}


def server_args(server: str, host: str, port: int, tls: Tls | None = None) -> list[str]:
    """The command line of the ASGI server `server` serving the app (wss:// too with `tls`: daphne only)."""
    if tls is None:
        return SERVERS[server](host, port)
    if server != "daphne":
        raise ValueError(f"the TLS endpoint is daphne's, not {server}'s: serve wss:// through a proxy (SECURITY.md)")
    return daphne_args(host, port, tls)


def tls_refusal(cert: str, key: str) -> str:
    """Why daphne could not serve TLS with these files, or '' when it can (said before it starts)."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        return f"Cannot serve wss://: {cert} and {key} are not a PEM certificate and its private key ({error})."
    return ""


@dataclass(frozen=True)
class Service:
    """One listener `make run` starts, and the setting that moves it."""

    name: str
    host: str
    port: int
    setting: str

    def busy(self) -> str:
        """Why this service cannot listen on its port, or '' when it can."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as error:
                return error.strerror or str(error)
        return ""

    def refusal(self, reason: str) -> str:
        return (
            f"Cannot start {self.name}: port {self.port} on {self.host} is not available ({reason}). "
            f"Stop what holds it, or move {self.name} with {self.setting}=<port>."
        )

    def answers(self) -> bool:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        try:
            with socket.create_connection((host, self.port), timeout=0.5):
                return True
        except OSError:
            return False


def wait_until_serving(child: subprocess.Popen, service: Service, timeout: float) -> bool:
    """True once the child's port answers; False if the child ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if service.answers():
            return child.poll() is None
        time.sleep(0.2)
    return False


def simulated_charger_online(control_port: int, cp_id: str, timeout: float) -> bool:
    """Whether the demo charger reports itself connected on its control port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{control_port}/", timeout=2) as response:
                if (json.loads(response.read() or b"{}").get(cp_id) or {}).get("online"):
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    return False


class Command(BaseCommand):
    help = "Run daphne, the diagnostics FTP server and a simulated charger together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.LAB_HOST, help="default $HOST, 127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.LAB_PORT, help="default $PORT, 8000")
        parser.add_argument("--ftp-port", type=int, default=settings.CERTIFY_FTP_PORT, help="default $CERTIFY_FTP_PORT")
        parser.add_argument(
            "--server",
            choices=sorted(SERVERS),
            default=settings.ASGI_SERVER,
            help="the ASGI server (default daphne, or $ASGI_SERVER)",
        )
        parser.add_argument(
            "--tls-cert",
            default="",
            metavar="PEM",
            help="serve wss:// too (security profile 2) with this server certificate; needs --tls-key",
        )
        parser.add_argument("--tls-key", default="", metavar="PEM", help="the private key of --tls-cert")
        parser.add_argument(
            "--tls-port",
            type=int,
            default=settings.OCPP_TLS_PORT or 8443,
            help="the wss:// port with --tls-cert (default $OCPP_TLS_PORT, else 8443)",
        )
        parser.add_argument("--no-simulator", action="store_true", help="do not start the demo charger")
        parser.add_argument("--simulator-id", default="SIM-0001")
        parser.add_argument(
            "--simulator-control-port",
            type=int,
            default=settings.SIMULATOR_CONTROL_PORT,
            help="the demo charger's local control port (default $SIMULATOR_CONTROL_PORT, 8001)",
        )

    def handle(self, host, port, ftp_port, server, no_simulator, simulator_id, simulator_control_port, **options):
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        tls = self.tls(server, options["tls_cert"], options["tls_key"], options["tls_port"])
        web = Service(server, host, port, "PORT")
        secure = Service("the TLS endpoint (wss://)", host, tls.port, "OCPP_TLS_PORT") if tls else None
        ftp = Service("the diagnostics FTP server", settings.CERTIFY_FTP_HOST, ftp_port, "CERTIFY_FTP_PORT")
        control = Service(
            "the demo charger's control port", "127.0.0.1", simulator_control_port, "SIMULATOR_CONTROL_PORT"
        )
        services = [web, *([secure] if secure else []), ftp, *([] if no_simulator else [control])]
        refusals = [service.refusal(reason) for service in services if (reason := service.busy())]
        if refusals:
            raise CommandError("\n".join(refusals))

        env = {**os.environ}
        if tls:  # daphne's scope does not say wss: the app tells TLS connections by their port
            env["OCPP_TLS_PORT"] = str(tls.port)
        if not no_simulator:
            env["SIMULATOR_CONTROL_URL"] = f"http://127.0.0.1:{simulator_control_port}"
        children: list[tuple[Service, subprocess.Popen]] = []

        def stop(code: int = 0, *_) -> None:
            for _service, child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            for _service, child in children:
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(code)

        signal.signal(signal.SIGTERM, lambda *_: stop(0))
        signal.signal(signal.SIGINT, lambda *_: stop(0))

        def start(service: Service, args: list[str]) -> None:
            child = subprocess.Popen(args, env=env)
            children.append((service, child))
            if not wait_until_serving(child, service, 30):
                ended = child.poll()
                why = f"it stopped with exit status {ended}" if ended is not None else "it did not listen within 30 s"
                self.stderr.write(service.refusal(f"{why}; see its output above"))
                stop(1)

        start(web, server_args(server, host, port, tls))
        self.stdout.write(
            self.style.SUCCESS(f"OCPP Certify at http://{host}:{port}/  (chargers: ws://{host}:{port}/ocpp/<id>)")
        )
        if secure:
            if not wait_until_serving(children[0][1], secure, 30):
                self.stderr.write(secure.refusal("it did not listen within 30 s; see daphne's output above"))
                stop(1)
            self.stdout.write(f"Chargers over TLS (security profile 2): wss://{host}:{secure.port}/ocpp/<id>")
        start(ftp, [sys.executable, manage, "ftpserver", "--host", ftp.host, "--port", str(ftp_port), "-v", "0"])
        self.stdout.write(f"Diagnostics FTP server on {ftp.host}:{ftp_port}")
        if not no_simulator:
            simulator = [
                sys.executable,
                manage,
                "simulate_charger",
                "--url",
                f"ws://127.0.0.1:{port}/ocpp/",
                "--id",
                simulator_id,
                "--control-port",
                str(simulator_control_port),
            ]
            start(control, simulator)
            if simulated_charger_online(simulator_control_port, simulator_id, 30):
                self.stdout.write(
                    f"Simulated charger {simulator_id} connected (control: 127.0.0.1:{simulator_control_port})"
                )
            else:
                self.stderr.write(
                    f"Simulated charger {simulator_id} runs but has not connected within 30 s "
                    f"(control: 127.0.0.1:{simulator_control_port}); see its output above"
                )
        while True:
            for service, child in children:
                if child.poll() is not None:
                    self.stderr.write(f"{service.name} stopped (exit status {child.returncode}); stopping the lab")
                    stop(1)
            time.sleep(1)

    def tls(self, server: str, cert: str, key: str, port: int) -> Tls | None:
        """The TLS endpoint asked for, checked before anything starts (a bad file is a message, not a traceback)."""
        if not cert and not key:
            return None
        if not (cert and key):
            raise CommandError("wss:// needs both --tls-cert and --tls-key")
        if server != "daphne":
            raise CommandError(
                f"The TLS endpoint is daphne's: run with --server daphne, or put a proxy before {server}"
            )
        if reason := tls_refusal(cert, key):
            raise CommandError(reason)
        return Tls(port, str(Path(cert).resolve()), str(Path(key).resolve()))
