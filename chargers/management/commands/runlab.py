"""Start the whole lab: daphne serving the app, the diagnostics FTP server and,
unless told not to, one simulated charger so a newcomer sees a charger talk.

Children are stopped together on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand


def daphne_args(host: str, port: int) -> list[str]:
    """daphne as OCPP needs it: no 24-hour cut-off of WebSockets, pings to find
    half-open sockets, and the frame size limit (closed with 1009, see
    certify.daphne_tuning)."""
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
        "certify.asgi:application",
    ]


def uvicorn_args(host: str, port: int) -> list[str]:
    """uvicorn, the tested alternative to daphne (`--server uvicorn`): the same
    pings and frame limit (closed with 1009). Its WebSocket stack answers about
    1.5x the calls of daphne's (`make bench`, echo rows). No TLS endpoint here:
    serve wss:// through daphne or a proxy (SECURITY.md)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "certify.asgi:application",
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


def server_args(server: str, host: str, port: int) -> list[str]:
    """The command line of the ASGI server `server` serving the app."""
    return SERVERS[server](host, port)


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Run daphne, the diagnostics FTP server and a simulated charger together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--ftp-port", type=int, default=getattr(settings, "CERTIFY_FTP_PORT", 2121))
        parser.add_argument(
            "--server",
            choices=sorted(SERVERS),
            default=os.environ.get("ASGI_SERVER", "daphne"),
            help="the ASGI server (default daphne, or $ASGI_SERVER)",
        )
        parser.add_argument("--no-simulator", action="store_true", help="do not start the demo charger")
        parser.add_argument("--simulator-id", default="SIM-0001")
        parser.add_argument(
            "--simulator-control-port", type=int, default=8001, help="the demo charger's local control port"
        )

    def handle(self, host, port, ftp_port, server, no_simulator, simulator_id, simulator_control_port, **options):
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        env = {**os.environ, "SIMULATOR_CONTROL_URL": f"http://127.0.0.1:{simulator_control_port}"}
        children: list[subprocess.Popen] = []

        def stop(*_):
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        children.append(subprocess.Popen(server_args(server, host, port), env=env))
        if not wait_for_port(host, port, 30):
            self.stderr.write(f"{server} did not start within 30 s")
            stop()
        self.stdout.write(
            self.style.SUCCESS(f"OCPP Certify at http://{host}:{port}/  (chargers: ws://{host}:{port}/ocpp/<id>)")
        )
        commands = get_commands()
        if "ftpserver" in commands:
            children.append(subprocess.Popen([sys.executable, manage, "ftpserver", "--port", str(ftp_port)], env=env))
            self.stdout.write(f"Diagnostics FTP server on port {ftp_port}")
        if not no_simulator and "simulate_charger" in commands:
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        manage,
                        "simulate_charger",
                        "--url",
                        f"ws://127.0.0.1:{port}/ocpp/",
                        "--id",
                        simulator_id,
                        "--control-port",
                        str(simulator_control_port),
                    ],
                    env=env,
                )
            )
            self.stdout.write(
                f"Simulated charger {simulator_id} connected (control: 127.0.0.1:{simulator_control_port})"
            )
        while True:
            for child in children:
                if child.poll() is not None and child is children[0]:
                    self.stderr.write(f"{server} stopped")
                    stop()
            time.sleep(1)
