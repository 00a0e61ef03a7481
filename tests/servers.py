"""Real daphne subprocesses with an environment of their own (database, Redis,
settings), for tests that need settings the shared live server does not have."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import LiveServer, free_port

ROOT = Path(__file__).resolve().parents[1]
MANAGE = [sys.executable, str(ROOT / "manage.py")]


@contextlib.contextmanager
def scratch_database(base_url: str, prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own for a test's server processes (its URL),
    dropped afterwards even while they still hold connections."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def base_env(var_dir: Path, **extra: str) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": "test-server-secret",
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "VAR_DIR": str(var_dir),
        "SQLITE_PATH": str(var_dir / "server.sqlite3"),
        "OCPP_CALL_TIMEOUT": "5",
        "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if "DATABASE_URL" not in extra:
        env.pop("DATABASE_URL", None)
    if "REDIS_URL" not in extra:
        env.pop("REDIS_URL", None)
    return env


def manage(env: dict, *args: str) -> str:
    """Run a management command in the server's environment; return its output."""
    done = subprocess.run([*MANAGE, *args], env=env, check=True, cwd=ROOT, timeout=120, capture_output=True, text=True)
    return done.stdout.strip()


PREPARE = """
from django.contrib.auth.models import User
from django.core.management import call_command

call_command("migrate", interactive=False, verbosity=0)
User.objects.create_superuser("ops", "", "pw-pw-pw-pw")
call_command("create_api_token", "ops")
"""


def prepare(env: dict) -> str:
    """Migrate the database, create a superuser and return an API token: one
    process, since each Django start costs seconds on a loaded machine."""
    return manage(env, "shell", "-c", PREPARE).splitlines()[-1]


class Daphne:
    """A daphne (or uvicorn) subprocess serving the app as `make run` does."""

    def __init__(
        self,
        env: dict,
        token: str = "",
        extra_args: tuple[str, ...] = (),
        port: int | None = None,
        server: str = "daphne",
    ):
        from chargers.management.commands.runlab import server_args

        self.port = port or free_port()
        args = server_args(server, "127.0.0.1", self.port)
        if server == "daphne":  # daphne takes the application last
            args = [*args[:-1], *extra_args, args[-1]]
        else:
            args = [*args, *extra_args]
        # Its log goes to a file, not a pipe: a pipe read only at stop would block
        # the server once 64 KB of log filled it; a file can be read mid-test (`log`).
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._log)
        self.server = LiveServer(self.port, token=token)
        try:
            wait_for_port(self.port, time.monotonic() + 30)
        except RuntimeError:
            self.stop()
            raise

    def log(self) -> str:
        """What it has written to stderr (its log) so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> str:
        """Stop it and return what it wrote to stderr (its log)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.log()


def make_ca_and_server_cert(directory: Path) -> None:
    """A throwaway CA (ca.pem) and a server certificate for 127.0.0.1 and localhost
    signed by it (server.pem, server.key), for daphne's TLS endpoint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Lab CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
