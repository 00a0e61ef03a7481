"""Subprocesses of a benchmark: servers, load generators and Django helpers,
each with its own environment, always stopped; plus /proc readings."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# A settings variant (bench.variants.*) to measure a proposed fix; "" = ours as is.
SETTINGS_MODULE = ""
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Settings our server is started with: daphne as `make run` starts it
# (chargers.management.commands.runlab.daphne_args), same defaults.
PING_INTERVAL, PING_TIMEOUT, MAX_FRAME = "20", "30", "65536"


def raise_fd_limit() -> None:
    """Thousands of sockets need thousands of descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout:g} s")


def stop(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- /proc ------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def loadavg() -> float:
    return os.getloadavg()[0]


# -- environments -----------------------------------------------------------


class Workdir:
    """A scratch directory for one benchmark run (SQLite files, logs)."""

    def __init__(self, keep: bool = False) -> None:
        self.path = ROOT / "bench" / "results" / f"tmp-{os.getpid()}"
        self.path.mkdir(parents=True, exist_ok=True)
        self.keep = keep

    def sub(self, name: str) -> Path:
        p = self.path / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def app_env(var_dir: Path, *, database_url: str = "", redis_prefix: str = "", **extra: str) -> dict:
    """Our app's environment: production-like (DEBUG off), its own database."""
    env = {
        **os.environ,
        "SECRET_KEY": "bench-secret-key",
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "VAR_DIR": str(var_dir),
        "SQLITE_PATH": str(var_dir / "bench.sqlite3"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "REDIS_PREFIX"):
        env.pop(key, None)
    if SETTINGS_MODULE:
        env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_prefix:
        env["REDIS_URL"] = REDIS_URL
        env["REDIS_PREFIX"] = redis_prefix
    return env


def new_redis_prefix() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"


def djtool(env: dict, *args: str, timeout: float = 300) -> dict:
    """Run a bench.djtool command in the app's environment; return its JSON."""
    done = subprocess.run(
        [PY, "-m", "bench.djtool", *args], env=env, cwd=ROOT, timeout=timeout, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"djtool {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- servers ----------------------------------------------------------------


def _preexec() -> None:
    raise_fd_limit()


class Server:
    """A server subprocess listening on 127.0.0.1:port; stderr kept in a file."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log_dir: Path) -> None:
        self.name = name
        self.port = port
        self.log_path = log_dir / f"{name}-{port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=_preexec
        )
        try:
            wait_for_port(port, 60, self.proc)
        except Exception:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        stop(self.proc)
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def daphne_argv(port: int, app: str) -> list[str]:
    """daphne with the flags `make run` uses (runlab.daphne_args)."""
    return [
        PY,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "--websocket_timeout",
        "-1",
        "--ping-interval",
        PING_INTERVAL,
        "--ping-timeout",
        PING_TIMEOUT,
        "--websocket-max-message-size",
        MAX_FRAME,
        app,
    ]


def on_port(argv: list[str], port: int) -> list[str]:
    """A server command line moved to another port (daphne's -p, uvicorn's --port)."""
    argv = list(argv)
    flag = "--port" if "--port" in argv else "-p"
    argv[argv.index(flag) + 1] = str(port)
    return argv


def our_server(env: dict, log_dir: Path, name: str = "ours", server: str = "daphne") -> Server:
    """daphne (or uvicorn) started exactly as `make run` starts it
    (runlab.daphne_args / uvicorn_args, read by `djtool prepare` into
    BENCH_DAPHNE_ARGS / BENCH_UVICORN_ARGS), on a free port."""
    port = free_port()
    if server == "uvicorn":
        return Server(name, on_port(json.loads(env["BENCH_UVICORN_ARGS"]), port), env, port, log_dir)
    argv = daphne_argv(port, "certify.asgi:application")
    if env.get("BENCH_DAPHNE_ARGS"):
        argv = on_port(json.loads(env["BENCH_DAPHNE_ARGS"]), port)
    return Server(name, argv, env, port, log_dir)


def echo_server(log_dir: Path, app_argv: list[str] | None = None) -> Server:
    """The echo consumer under daphne; or under the server of `app_argv`, our
    app's command line (runlab's), with the echo app in its place."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if app_argv is None:
        return Server("echo", daphne_argv(port, "bench.echo_app:application"), env, port, log_dir)
    argv = [a if a != "certify.asgi:application" else "bench.echo_app:application" for a in on_port(app_argv, port)]
    return Server(f"echo-{argv[2]}", argv, env, port, log_dir)


def bare_ocpp_server(log_dir: Path) -> Server:
    port = free_port()
    return Server("bare-ocpp", [PY, "-m", "bench.bare_ocpp", "--port", str(port)], dict(os.environ), port, log_dir)


# -- load generators --------------------------------------------------------


class Load:
    """One or more bench.loadgen processes splitting the chargers between them.

    Each prints `READY <seconds to connect>` once its chargers are connected
    and a JSON line of results when done."""

    def __init__(self, url: str, ids: list[str], args: list[str], procs: int = 1, timeout: float = 600) -> None:
        self.timeout = timeout
        self.procs: list[subprocess.Popen] = []
        self.ready: list[float] = []
        self.results: list[dict] = []
        self._lock = threading.Lock()
        self._ready_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []
        chunks = [ids[i::procs] for i in range(procs)]
        for chunk in chunks:
            if not chunk:
                continue
            argv = [PY, "-m", "bench.loadgen", "--url", url, "--ids", ",".join(chunk), *args]
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=_preexec,
            )
            self.procs.append(proc)
            t = threading.Thread(target=self._read, args=(proc,), daemon=True)
            t.start()
            self._threads.append(t)
            threading.Thread(target=self._read_err, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("READY"):
                with self._lock:
                    self.ready.append(float(line.split()[1]))
                    if len(self.ready) == len(self.procs):
                        self._ready_event.set()
            elif line.startswith("{"):
                with self._lock:
                    self.results.append(json.loads(line))
        self._ready_event.set() if proc.poll() is not None and not self.ready else None

    def _read_err(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            with self._lock:
                if len(self.errors) < 50:
                    self.errors.append(line.rstrip())

    def wait_ready(self, timeout: float) -> float:
        """Seconds until every process had connected all its chargers."""
        if not self._ready_event.wait(timeout) or len(self.ready) < len(self.procs):
            raise RuntimeError("load generator did not connect its chargers: " + "\n".join(self.errors[-10:]))
        return max(self.ready)

    def go(self) -> None:
        """Start the measured phase in every process (they wait for this line)."""
        for proc in self.procs:
            try:
                proc.stdin.write("GO\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

    def finish(self) -> dict:
        """Wait for every process and merge their results."""
        deadline = time.monotonic() + self.timeout
        for proc in self.procs:
            try:
                proc.wait(max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stop(proc)
        for t in self._threads:
            t.join(5)
        if len(self.results) < len(self.procs):
            raise RuntimeError("load generator failed: " + "\n".join(self.errors[-15:]))
        return merge_results(self.results)

    def stop(self) -> None:
        for proc in self.procs:
            stop(proc, 5)


def merge_results(results: list[dict]) -> dict:
    merged: dict = {"latencies_ms": [], "cpu_s": [], "wall_s": 0.0}
    for r in results:
        for key, value in r.items():
            if key == "latencies_ms":
                merged["latencies_ms"].extend(value)
            elif key == "cpu_s":
                merged["cpu_s"].append(value)
            elif key == "wall_s":
                merged["wall_s"] = max(merged["wall_s"], value)
            elif isinstance(value, (int, float)):
                merged[key] = merged.get(key, 0) + value
            elif isinstance(value, dict):
                into = merged.setdefault(key, {})
                for k, v in value.items():
                    into[k] = into.get(k, 0) + v
    return merged


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def create_pg_database(name: str) -> str:
    """A throwaway database next to `postgres`; returns its URL."""
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # leave it; report it
        print(f"could not drop database {name}: {exc}", file=sys.stderr)


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False
