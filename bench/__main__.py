"""`python -m bench [--quick | --full] [--only SECTION ...] [--profile]`, or `python -m bench --soak`

`--soak` runs the memory soak instead (bench/memory_soak.py: one server judges and
reports 500 sessions, then 5,000 chargers come and go ten times; its RSS after each
phase beside the start; `python -m bench.memory_soak --help` scales it).

Runs the central system and its baselines side by side and prints one table
(figure, ours, baseline, ratio, goal, PASS/MISS); the details go to a JSON file
in bench/results/. Sections: ingest, scale, commands (part of scale), redis,
pair (two processes on PostgreSQL + Redis), report, dashboard, findings (their
cost per frame beside the reader's, bench/findings_bench.py). Every server is
a subprocess stopped in a `finally`; every loop is bounded by time and count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import procs
from bench.procs import percentile

RESULTS = procs.ROOT / "bench" / "results"
SECTIONS = ("ingest", "scale", "redis", "pair", "report", "dashboard", "findings")


@dataclass
class Plan:
    """How long and how big each section runs."""

    ingest_chargers: int = 10
    ingest_warmup: float = 2.0
    ingest_duration: float = 15.0
    scale_sizes: tuple[int, ...] = (100, 1000)
    period: float = 10.0
    hold: float = 40.0
    commands: int = 100
    dashboard_frames: int = 100_000
    dashboard_repeat: int = 10
    load_procs: int = 1
    postgres: bool = True
    bare_scale: bool = True

    @classmethod
    def make(cls, args: argparse.Namespace) -> Plan:
        plan = cls()
        if args.quick:
            plan = cls(
                ingest_warmup=1.0,
                ingest_duration=4.0,
                hold=12.0,
                commands=30,
                dashboard_repeat=5,
                bare_scale=True,
            )
        if args.full:
            plan.scale_sizes = (100, 1000, 5000)
        if args.sizes:
            plan.scale_sizes = tuple(int(x) for x in args.sizes.split(","))
        if args.period:
            plan.period = args.period
        if args.hold:
            plan.hold = args.hold
        if args.duration:
            plan.ingest_duration = args.duration
        if args.load_procs:
            plan.load_procs = args.load_procs
        if args.no_postgres:
            plan.postgres = False
        return plan


@dataclass
class Row:
    section: str
    figure: str
    ours: float | str | None
    baseline: float | str | None = None
    unit: str = ""
    goal: str = ""
    ok: bool | None = None
    ratio: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and isinstance(self.ours, (int, float)) and isinstance(self.baseline, (int, float)):
            self.ratio = self.ours / self.baseline if self.baseline else None


@dataclass
class Run:
    plan: Plan
    work: procs.Workdir
    rows: list[Row] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    profile: bool = False

    def add(self, *rows: Row) -> None:
        for row in rows:
            self.rows.append(row)
            print("  " + format_row(row), flush=True)


# -- helpers ------------------------------------------------------------------


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def format_row(r: Row) -> str:
    verdict = "" if r.ok is None else ("PASS" if r.ok else "MISS")
    ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
    return f"{r.figure:<52} {fmt(r.ours, r.unit):>14} {fmt(r.baseline, r.unit):>14} {ratio:>7} {r.goal:<22} {verdict}"


def load_stats(result: dict) -> dict:
    lat = result.get("latencies_ms", [])
    return {
        "rate": result["measured"] / result["measured_s"] if result.get("measured_s") else 0.0,
        "p50": percentile(lat, 50),
        "p99": percentile(lat, 99),
        "max": max(lat) if lat else None,
        "samples": len(lat),
        "load_cpu_frac": max(result.get("cpu_s") or [0]) / result["measured_s"] if result.get("measured_s") else 0,
    }


def summary(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "latencies_ms"}


def wait_counts(env: dict, prefix: str, want: dict, timeout: float = 20) -> dict:
    """Frames of these chargers in the database, once the expected number is
    there (disconnection events are written after the socket closes) or the
    time is up."""
    deadline = time.monotonic() + timeout
    while True:
        counts = procs.djtool(env, "count", prefix)
        if all(counts.get(k, 0) >= v for k, v in want.items()) or time.monotonic() > deadline:
            return counts
        time.sleep(1)


def expected_frames(result: dict) -> dict:
    """What the charger side sent and received, as evidence-log rows: each CALL
    it sent and each answer it sent (in), each answer and command it got (out),
    and a connected plus a disconnected event per connection."""
    return {
        "in": result["calls_sent"] + result["commands"],
        "out": result["results"] + result["errors"] + result["commands"],
        "event": 2 * result["connected"],
    }


def persisted_row(section: str, label: str, result: dict, counts: dict) -> Row:
    want = expected_frames(result)
    total_want, total_got = sum(want.values()), sum(counts[k] for k in want)
    ok = all(counts[k] == want[k] for k in want) and result["unanswered"] == 0
    return Row(
        section,
        f"{label}: frames persisted / sent",
        f"{total_got:,}/{total_want:,}",
        goal="equal",
        ok=ok,
        note=f"db={counts} expected={want} unanswered={result['unanswered']}",
    )


class Api:
    """Sequential API requests on one keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def command(self, cp_id: str, action: str = "ClearCache") -> tuple[float, int, dict]:
        body = b"{}"
        t0 = time.perf_counter()
        for attempt in range(2):
            try:
                self.conn.request(
                    "POST",
                    f"/api/chargers/{cp_id}/commands/{action}",
                    body=body,
                    headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
                )
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                t0 = time.perf_counter()
        elapsed = (time.perf_counter() - t0) * 1000
        try:
            parsed = json.loads(data or b"{}")
        except ValueError:
            parsed = {"status": "not-json", "message": data[:80].decode(errors="replace")}
        return elapsed, response.status, parsed if isinstance(parsed, dict) else {"status": "?"}

    def round_trips(self, ids: list[str], count: int, budget_s: float) -> dict:
        """`count` ClearCache commands in turn to these chargers, within a time budget."""
        times: list[float] = []
        failures: dict[str, int] = {}
        deadline = time.monotonic() + budget_s
        ids = list(ids)
        for i in range(count):
            if time.monotonic() > deadline or not ids:
                break
            cp_id = ids[i % len(ids)]
            ms, status, data = self.command(cp_id)
            if status == 200 and data.get("status") == "ok":
                times.append(ms)
            else:
                key = f"{status} {data.get('status', '')} {data.get('message', data.get('detail', ''))}"[:120]
                failures[key] = failures.get(key, 0) + 1
                if status == 409:  # that charger is gone: count it, ask the others
                    ids.remove(cp_id)
        return {
            "n": len(times),
            "p50": percentile(times, 50),
            "p99": percentile(times, 99),
            "max": max(times) if times else None,
            "slowest": sorted(((round(ms, 1), i) for i, ms in enumerate(times)), reverse=True)[:5],
            "failures": failures,
        }

    def close(self) -> None:
        self.conn.close()


def fresh_app(run: Run, name: str, db: str = "sqlite", **extra: str) -> tuple[dict, str, str]:
    """An environment with its own new database, migrated; (env, token, pg name)."""
    var = run.work.sub(f"{name}-{uuid.uuid4().hex[:6]}")
    pg_name = ""
    database_url = ""
    if db == "postgres":
        pg_name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        database_url = procs.create_pg_database(pg_name)
    env = procs.app_env(var, database_url=database_url, **extra)
    prepared = procs.djtool(env, "prepare")
    env["BENCH_DAPHNE_ARGS"] = json.dumps(prepared["daphne_args"])
    env["BENCH_UVICORN_ARGS"] = json.dumps(prepared["uvicorn_args"])
    return env, prepared["token"], pg_name


# -- ingest -------------------------------------------------------------------


def flood(server: procs.Server, prefix: str, plan: Plan) -> tuple[dict, float]:
    """10 chargers (by default) flooding MeterValues; (load result, server CPU s per s)."""
    ids = [f"{prefix}{i:03d}" for i in range(plan.ingest_chargers)]
    args = [
        "--mode",
        "flood",
        "--boot",
        "--warmup",
        str(plan.ingest_warmup),
        "--duration",
        str(plan.ingest_duration),
        "--wait-go",
        "60",
    ]
    load = procs.Load(f"ws://127.0.0.1:{server.port}/ocpp/", ids, args, procs=plan.load_procs)
    try:
        load.wait_ready(60)
        load.go()
        time.sleep(plan.ingest_warmup)
        c0, t0 = procs.cpu_seconds(server.pid), time.monotonic()
        time.sleep(plan.ingest_duration)
        cpu = (procs.cpu_seconds(server.pid) - c0) / (time.monotonic() - t0)
        return load.finish(), cpu
    finally:
        load.stop()


def profile_server(pid: int, seconds: float, out: Path) -> subprocess.Popen | None:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        print("  (py-spy not installed in the venv: no profile)")
        return None
    return subprocess.Popen(
        [
            str(spy),
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-r",
            "250",
            "-f",
            "raw",
            "-o",
            str(out),
            "--threads",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def section_ingest(run: Run) -> None:
    plan = run.plan
    print(
        f"\n== ingest: {plan.ingest_chargers} chargers flooding MeterValues (7 sampled values), one CALL in flight each"
    )
    base: dict = {}
    for name, start in (("echo", procs.echo_server), ("bare-ocpp", procs.bare_ocpp_server)):
        server = start(run.work.path)
        try:
            result, cpu = flood(server, "B", plan)
            base[name] = {**load_stats(result), "server_cpu": cpu}
            run.details[f"ingest.{name}"] = {**base[name], "load": summary(result)}
        finally:
            server.stop()
        print(
            f"  {name}: {base[name]['rate']:,.0f}/s p50 {base[name]['p50']} ms, server CPU {cpu:.0%}, "
            f"load CPU {base[name]['load_cpu_frac']:.0%}",
            flush=True,
        )
    dbs = ["sqlite"] + (["postgres"] if plan.postgres and procs.postgres_available() else [])
    if plan.postgres and "postgres" not in dbs:
        run.add(Row("ingest", "PostgreSQL ingest", "skipped", note="PostgreSQL not reachable on 127.0.0.1:5432"))
    for db in dbs:
        # A flood is throttled by the per-charger rate limit (50 frames/s by
        # default): the roof is measured without it.
        env, _, pg_name = fresh_app(run, f"ingest-{db}", db, OCPP_RATE_LIMIT="0")
        server = procs.our_server(env, run.work.path, f"ours-{db}")
        spy = None
        try:
            if run.profile and db == "sqlite":
                spy_out = RESULTS / "profile-ingest-sqlite.raw"
                spy = profile_server(server.pid, plan.ingest_warmup + plan.ingest_duration + 2, spy_out)
            result, cpu = flood(server, "I", plan)
            counts = wait_counts(env, "I", expected_frames(result))
        finally:
            server.stop()
            if spy is not None:
                spy.wait(30)
            if pg_name:
                procs.drop_pg_database(pg_name)
        ours = {**load_stats(result), "server_cpu": cpu}
        run.details[f"ingest.ours.{db}"] = {**ours, "load": summary(result), "counts": counts}
        label = "SQLite" if db == "sqlite" else "PostgreSQL"
        echo, bare = base["echo"], base["bare-ocpp"]
        run.add(
            Row(
                "ingest",
                f"{label} MeterValues/s vs echo consumer",
                ours["rate"],
                echo["rate"],
                "/s",
                "≥ 0.6x",
                ours["rate"] >= 0.6 * echo["rate"],
            ),
            Row(
                "ingest",
                f"{label} MeterValues/s vs bare ocpp lib",
                ours["rate"],
                bare["rate"],
                "/s",
                "≥ 2.5x",
                ours["rate"] >= 2.5 * bare["rate"],
            ),
            Row("ingest", f"{label} p50 CALL→CALLRESULT vs echo", ours["p50"], echo["p50"], "ms"),
            Row("ingest", f"{label} p99 CALL→CALLRESULT vs echo", ours["p99"], echo["p99"], "ms"),
            Row("ingest", f"{label} p50 CALL→CALLRESULT vs bare ocpp", ours["p50"], bare["p50"], "ms"),
            Row("ingest", f"{label} p99 CALL→CALLRESULT vs bare ocpp", ours["p99"], bare["p99"], "ms"),
            Row(
                "ingest",
                f"{label} server CPU ms/message vs echo",
                1000 * cpu / ours["rate"] if ours["rate"] else None,
                1000 * echo["server_cpu"] / echo["rate"] if echo["rate"] else None,
                "ms",
            ),
            persisted_row("ingest", label, result, counts),
        )
        if max(ours["load_cpu_frac"], echo["load_cpu_frac"]) > 0.85:
            print("  warning: the load generator used >85% of a core; try --load-procs 2")
    ingest_uvicorn(run, base["echo"])


def ingest_uvicorn(run: Run, echo_daphne: dict) -> None:
    """The same flood with uvicorn, offered beside daphne (runlab --server
    uvicorn): its echo consumer (the roof) and our server on SQLite."""
    plan = run.plan
    env, _, _ = fresh_app(run, "ingest-uvicorn", "sqlite", OCPP_RATE_LIMIT="0")
    # The echo consumer under uvicorn exactly as runlab starts our app.
    server = procs.echo_server(run.work.path, json.loads(env["BENCH_UVICORN_ARGS"]))
    try:
        result, cpu = flood(server, "V", plan)
    finally:
        server.stop()
    echo = {**load_stats(result), "server_cpu": cpu}
    server = procs.our_server(env, run.work.path, "ours-uvicorn", "uvicorn")
    try:
        result, cpu = flood(server, "W", plan)
        counts = wait_counts(env, "W", expected_frames(result))
    finally:
        server.stop()
    ours = {**load_stats(result), "server_cpu": cpu}
    run.details["ingest.uvicorn"] = {"echo": echo, "ours": {**ours, "counts": counts}}
    run.add(
        Row("ingest", "uvicorn: echo consumer MeterValues/s vs daphne's", echo["rate"], echo_daphne["rate"], "/s"),
        Row("ingest", "uvicorn: ours, SQLite, MeterValues/s vs its echo", ours["rate"], echo["rate"], "/s"),
        Row(
            "ingest",
            "uvicorn: ours vs ours under daphne",
            ours["rate"],
            run.details["ingest.ours.sqlite"]["rate"],
            "/s",
        ),
        persisted_row("ingest", "uvicorn, SQLite", result, counts),
    )


# -- connections held, command round trips -----------------------------------


def hold_load(server: procs.Server, ids: list[str], plan: Plan, *, mode: str = "periodic") -> procs.Load:
    duration = plan.hold if mode == "periodic" else 0
    args = [
        "--mode",
        mode,
        "--boot",
        "--period",
        str(plan.period),
        "--warmup",
        "2",
        "--duration",
        str(duration),
        "--wait-go",
        "300",
        "--concurrency",
        "100",
    ]
    return procs.Load(
        f"ws://127.0.0.1:{server.port}/ocpp/",
        ids,
        args,
        procs=plan.load_procs if len(ids) > 10 else 1,
        timeout=plan.hold + 300,
    )


def idle_round_trips(server: procs.Server, api: Api, prefix: str, plan: Plan) -> dict:
    """Commands to 5 idle chargers on an otherwise idle server."""
    ids = [f"{prefix}{i}" for i in range(5)]
    load = hold_load(server, ids, plan, mode="idle")
    try:
        load.wait_ready(60)
        api.round_trips(ids, 3, 30)  # warm up: URLconf, first queries
        rtt = api.round_trips(ids, plan.commands, 60)
        load.go()
        load.finish()
        return rtt
    finally:
        load.stop()


def held(run: Run, server: procs.Server, n: int, prefix: str, api_ports: dict[str, Api] | None) -> dict:
    """N chargers connected and talking every period; optionally commands sent
    through each of `api_ports` while they do."""
    plan = run.plan
    ids = [f"{prefix}{i:05d}" for i in range(n)]
    rss0 = procs.rss_bytes(server.pid)
    load = hold_load(server, ids, plan)
    out: dict = {"n": n, "rss_before": rss0}
    try:
        out["connect_s"] = load.wait_ready(max(120, n / 10))
        out["rss_connected"] = procs.rss_bytes(server.pid)
        load.go()
        t_go = time.monotonic()
        time.sleep(2)  # the load's warm-up
        c0, t0 = procs.cpu_seconds(server.pid), time.monotonic()
        if api_ports:
            targets = ids[:: max(1, n // 20)][:20]
            out["rtt"] = {}
            for name, api in api_ports.items():
                # A charger the server dropped costs the 5 s ack timeout once.
                out["rtt"][name] = api.round_trips(targets, plan.commands, max(5, plan.hold - 8) / len(api_ports))
        time.sleep(max(0, t_go + 2 + plan.hold - 1 - time.monotonic()))
        out["cpu"] = (procs.cpu_seconds(server.pid) - c0) / (time.monotonic() - t0)
        out["rss_after"] = procs.rss_bytes(server.pid)
        result = load.finish()
    finally:
        load.stop()
    out["load"] = result
    out["rss_per_charger_kb"] = (max(out["rss_after"], out["rss_connected"]) - rss0) / n / 1024
    return out


def section_scale(run: Run) -> None:
    plan = run.plan
    print(
        f"\n== scale: chargers held on one process, Heartbeat + MeterValues every {plan.period:g} s each "
        f"({2 / plan.period:.2f} calls/s per charger), hold {plan.hold:g} s; commands: ClearCache over the API"
    )
    bare: dict[int, dict] = {}
    if plan.bare_scale:
        for n in plan.scale_sizes:
            server = procs.bare_ocpp_server(run.work.path)
            try:
                bare[n] = held(run, server, n, "S", None)
            finally:
                server.stop()
            run.details[f"scale.bare.{n}"] = {
                **{k: v for k, v in bare[n].items() if k != "load"},
                "load": summary(bare[n]["load"]),
            }
            print(
                f"  bare ocpp N={n}: connect {bare[n]['connect_s']:.1f}s, "
                f"{bare[n]['rss_per_charger_kb']:.0f} KB/charger, p99 {load_stats(bare[n]['load'])['p99']} ms"
            )
    idle_rtt: dict | None = None
    for n in plan.scale_sizes:
        env, token, _ = fresh_app(run, f"scale-{n}")
        server = procs.our_server(env, run.work.path, f"ours-{n}")
        api = Api(server.port, token)
        try:
            if idle_rtt is None:
                idle_rtt = idle_round_trips(server, api, "Q", plan)
                run.details["commands.idle"] = idle_rtt
                run.add(
                    Row(
                        "commands",
                        "command round trip idle, p50",
                        idle_rtt["p50"],
                        unit="ms",
                        note=f"n={idle_rtt['n']} failures={idle_rtt['failures']}",
                    ),
                    Row("commands", "command round trip idle, p99", idle_rtt["p99"], unit="ms"),
                )
            out = held(run, server, n, "S", {"same": api})
            result = out["load"]
            counts = wait_counts(env, "S", expected_frames(result), timeout=30 + n / 100)
        finally:
            api.close()
            server.stop()
        stats = load_stats(result)
        run.details[f"scale.ours.{n}"] = {
            **{k: v for k, v in out.items() if k != "load"},
            "load": summary(result),
            "counts": counts,
            "stats": stats,
        }
        b = bare.get(n)
        bstats = load_stats(b["load"]) if b else {}
        rtt = out["rtt"]["same"]
        offered = 2 * n / plan.period
        rows = [
            Row("scale", f"N={n}: time to connect + boot all", out["connect_s"], b and b["connect_s"], "s"),
            Row(
                "scale",
                f"N={n}: RSS per charger",
                out["rss_per_charger_kb"],
                b and b["rss_per_charger_kb"],
                "KB",
                "< 150 KB" if n == 1000 else "",
                out["rss_per_charger_kb"] < 150 if n == 1000 else None,
            ),
            Row("scale", f"N={n}: server CPU (one core = 100%)", 100 * out["cpu"], b and 100 * b["cpu"], "%"),
            Row("scale", f"N={n}: calls/s served (offered {offered:.0f}/s)", stats["rate"], bstats.get("rate"), "/s"),
            Row("scale", f"N={n}: charger CALL p99", stats["p99"], bstats.get("p99"), "ms"),
            persisted_row("scale", f"N={n}", result, counts),
            dropped_row("scale", f"N={n}", result),
        ]
        goal = {1000: 100, 5000: 500}.get(n)
        rows.append(
            Row(
                "commands",
                f"N={n}: command round trip under load, p50",
                rtt["p50"],
                idle_rtt and idle_rtt["p50"],
                "ms",
                note=f"baseline: idle; n={rtt['n']} failures={rtt['failures']}",
            )
        )
        rows.append(
            Row(
                "commands",
                f"N={n}: command round trip under load, p99",
                rtt["p99"],
                idle_rtt and idle_rtt["p99"],
                "ms",
                f"< {goal} ms" if goal else "",
                (rtt["p99"] is not None and rtt["p99"] < goal) if goal else None,
            )
        )
        run.add(*rows)


def dropped_row(section: str, label: str, result: dict) -> Row:
    """Connections the server closed while the charger was still talking."""
    return Row(
        section,
        f"{label}: connections dropped by the server",
        result["closed_early"],
        None,
        "",
        "0",
        result["closed_early"] == 0,
        note=f"unanswered={result['unanswered']}",
    )


def section_redis(run: Run) -> None:
    plan = Plan(**{**run.plan.__dict__, "hold": max(run.plan.hold, 30)})
    n = 1000 if 1000 in plan.scale_sizes else max(plan.scale_sizes)
    print(f"\n== commands over Redis: chargers on process A, API requests to process B (and to A), N={n}")
    if not procs.redis_available():
        run.add(Row("redis", "commands over Redis", "skipped", note="Redis not reachable on 127.0.0.1:6379"))
        return
    prefix = procs.new_redis_prefix()
    env, token, _ = fresh_app(run, "redis", redis_prefix=prefix)
    a = procs.our_server(env, run.work.path, "ours-A")
    b = None
    apis: dict[str, Api] = {}
    try:
        b = procs.our_server(env, run.work.path, "ours-B")
        apis = {"other": Api(b.port, token), "same": Api(a.port, token)}
        idle = idle_round_trips(a, apis["other"], "R", plan)
        out = held(replace(run, plan=plan), a, n, "T", apis)
    finally:
        for api in apis.values():
            api.close()
        if b is not None:
            b.stop()
        a.stop()
    same_idle = run.details.get("commands.idle", {})
    same_loaded = run.details.get(f"scale.ours.{n}", {}).get("rtt", {}).get("same", {})
    run.details["redis"] = {
        "prefix": prefix,
        "idle": idle,
        **{k: v for k, v in out.items() if k != "load"},
        "load": summary(out["load"]),
    }
    other, same = out["rtt"]["other"], out["rtt"]["same"]
    run.add(
        Row(
            "redis",
            "2nd process via Redis, idle, p50",
            idle["p50"],
            same_idle.get("p50"),
            "ms",
            note=f"baseline: same process, in-memory layer; failures={idle['failures']}",
        ),
        Row("redis", "2nd process via Redis, idle, p99", idle["p99"], same_idle.get("p99"), "ms"),
        Row(
            "redis",
            f"2nd process via Redis, N={n}, p50",
            other["p50"],
            same_loaded.get("p50"),
            "ms",
            note=f"failures={other['failures']}",
        ),
        Row(
            "redis",
            f"2nd process via Redis, N={n}, p99",
            other["p99"],
            same_loaded.get("p99"),
            "ms",
            "< 100 ms" if n == 1000 else "",
            other["p99"] is not None and other["p99"] < 100 if n == 1000 else None,
        ),
        Row(
            "redis",
            f"same process via Redis, N={n}, p99",
            same["p99"],
            same_loaded.get("p99"),
            "ms",
            note=f"failures={same['failures']}",
        ),
        dropped_row("redis", f"N={n} on Redis layer", out["load"]),
        Row(
            "redis",
            f"N={n} on Redis layer: RSS per charger",
            out["rss_per_charger_kb"],
            run.details.get(f"scale.ours.{n}", {}).get("rss_per_charger_kb"),
            "KB",
        ),
    )


# -- two processes: PostgreSQL + Redis, twice the chargers --------------------


def section_pair(run: Run) -> None:
    """Two server processes sharing PostgreSQL and the Redis layer, N chargers on
    each (twice what one process held in `scale`); commands sent through each
    process to chargers held by the other."""
    plan = run.plan
    n = 1000 if 1000 in plan.scale_sizes else max(plan.scale_sizes)
    print(f"\n== two processes (PostgreSQL + Redis): {n} chargers on each, commands across")
    if not (procs.redis_available() and procs.postgres_available()):
        run.add(Row("pair", "two processes", "skipped", note="needs Redis and PostgreSQL on 127.0.0.1"))
        return
    env, token, pg_name = fresh_app(run, "pair", "postgres", redis_prefix=procs.new_redis_prefix())
    servers: list[procs.Server] = []
    loads: list[procs.Load] = []
    apis: list[Api] = []
    try:
        servers = [procs.our_server(env, run.work.path, f"pair-{side}") for side in "AB"]
        ids = {side: [f"P{side}{i:05d}" for i in range(n)] for side in "AB"}
        loads = [hold_load(server, ids[side], plan) for server, side in zip(servers, "AB", strict=True)]
        connect_s = max(load.wait_ready(max(120, n / 10)) for load in loads)
        rss0 = [procs.rss_bytes(server.pid) for server in servers]
        for load in loads:
            load.go()
        t_go = time.monotonic()
        time.sleep(2)  # the loads' warm-up
        c0, t0 = sum(procs.cpu_seconds(server.pid) for server in servers), time.monotonic()
        apis = [Api(server.port, token) for server in servers]
        budget = max(5, plan.hold - 8) / 2
        # The first command of each process pays its start-up (connection pool,
        # Redis receive loop, URL and API set-up): reported on its own row.
        cold = {
            "A→B": apis[0].command(ids["B"][0])[0],
            "B→A": apis[1].command(ids["A"][0])[0],
        }
        # Through A to chargers on B, and through B to chargers on A.
        across = {
            "A→B": apis[0].round_trips(ids["B"][:: max(1, n // 20)][:20], plan.commands // 2, budget),
            "B→A": apis[1].round_trips(ids["A"][:: max(1, n // 20)][:20], plan.commands // 2, budget),
        }
        time.sleep(max(0, t_go + 2 + plan.hold - 1 - time.monotonic()))
        cpu = (sum(procs.cpu_seconds(server.pid) for server in servers) - c0) / (time.monotonic() - t0)
        rss = [procs.rss_bytes(server.pid) for server in servers]
        for load in loads:
            load.finish()
        # Both loads ran the same window: one merge of every generator process,
        # with the window counted once.
        raw = [r for load in loads for r in load.results]
        result = procs.merge_results(raw)
        result["measured_s"] = max(r.get("measured_s", 0) for r in raw)
        # Counted while the servers still run: disconnections are written after
        # the sockets close.
        counts = wait_counts(env, "P", expected_frames(result), timeout=30 + n / 50)
    finally:
        for api in apis:
            api.close()
        for load in loads:
            load.stop()
        for server in servers:
            server.stop()
        procs.drop_pg_database(pg_name)
    stats = load_stats(result)
    one = run.details.get(f"scale.ours.{n}", {})
    offered = 2 * 2 * n / plan.period
    run.details["pair"] = {
        "connect_s": connect_s,
        "cpu": cpu,
        "rss0": rss0,
        "rss": rss,
        "across": across,
        "cold": cold,
        "load": summary(result),
        "counts": counts,
        "stats": stats,
    }
    held_all = stats["rate"] >= 0.98 * offered and result["closed_early"] == 0
    run.add(
        Row("pair", f"2 x {n}: time to connect + boot all", connect_s, one.get("connect_s"), "s"),
        Row(
            "pair", f"2 x {n}: server CPU, both (one core = 100%)", 100 * cpu, one.get("cpu") and 100 * one["cpu"], "%"
        ),
        Row(
            "pair",
            f"2 x {n}: calls/s served (offered {offered:.0f}/s)",
            stats["rate"],
            one.get("stats", {}).get("rate"),
            "/s",
            "all offered, 0 dropped",
            held_all,
        ),
        Row("pair", f"2 x {n}: charger CALL p99", stats["p99"], one.get("stats", {}).get("p99"), "ms"),
        persisted_row("pair", f"2 x {n}", result, counts),
        dropped_row("pair", f"2 x {n}", result),
    )
    for direction, rtt in across.items():
        run.add(
            Row("pair", f"command {direction}, first after start", cold[direction], unit="ms"),
            Row("pair", f"command {direction} under load, p50", rtt["p50"], unit="ms", note=f"n={rtt['n']}"),
            Row(
                "pair",
                f"command {direction} under load, p99",
                rtt["p99"],
                None,
                "ms",
                "reaches; p99 < 100 ms",
                rtt["n"] > 0 and not rtt["failures"] and rtt["p99"] is not None and rtt["p99"] < 100,
                note=f"failures={rtt['failures']}",
            ),
        )


# -- report (another engineer's benchmark) ------------------------------------


def section_report(run: Run, quick: bool) -> None:
    script = procs.ROOT / "bench" / "report_bench.py"
    print("\n== report")
    if not script.exists():
        run.add(Row("report", "report benchmark", "absent", note="bench/report_bench.py does not exist yet"))
        return
    argv = [sys.executable, "-m", "bench.report_bench", *(["--quick"] if quick else [])]
    try:
        done = subprocess.run(argv, cwd=procs.ROOT, capture_output=True, text=True, timeout=120 if quick else 900)
    except subprocess.TimeoutExpired:
        run.add(Row("report", "report benchmark", "timed out", ok=False))
        return
    run.details["report"] = {
        "returncode": done.returncode,
        "stdout": done.stdout[-20000:],
        "stderr": done.stderr[-5000:],
    }
    rows = _report_rows(done.stdout)
    if rows:
        run.add(*rows)
    else:
        run.add(
            Row(
                "report",
                "report benchmark",
                "ran" if done.returncode == 0 else f"failed ({done.returncode})",
                ok=done.returncode == 0 if done.returncode else None,
                note="see details.report.stdout",
            )
        )
        print("  " + "\n  ".join(done.stdout.strip().splitlines()[-15:]))


def _report_rows(stdout: str, section: str = "report") -> list[Row]:
    """report_bench may print, as its last line, JSON: {"rows": [{"figure", "ours",
    "baseline", "unit", "goal", "ok"}]} (or the bare list)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith(("{", "[")):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            return []
        items = data.get("rows", []) if isinstance(data, dict) else data
        return [
            Row(
                section,
                str(i.get("figure", "?")),
                i.get("ours"),
                i.get("baseline"),
                i.get("unit", ""),
                i.get("goal", ""),
                i.get("ok", i.get("pass")),
            )
            for i in items
            if isinstance(i, dict)
        ]
    return []


# -- findings ---------------------------------------------------------------------


def section_findings(run: Run, quick: bool) -> None:
    """The findings' cost per frame beside the reader's parse, in one child process."""
    print("\n== findings: cost per frame over a log of 100,000 frames (baseline: the reader's parse)")
    argv = [sys.executable, "-m", "bench.findings_bench", *(["--frames", "20000"] if quick else [])]
    done = subprocess.run(argv, cwd=procs.ROOT, capture_output=True, text=True, timeout=600)
    run.details["findings"] = {
        "returncode": done.returncode,
        "stdout": done.stdout[-5000:],
        "stderr": done.stderr[-5000:],
    }
    rows = _report_rows(done.stdout, "findings")
    if not rows:
        rows = [Row("findings", "findings benchmark", f"failed ({done.returncode})", ok=False)]
    run.add(*rows)


# -- dashboard ------------------------------------------------------------------


def section_dashboard(run: Run) -> None:
    plan = run.plan
    dbs = ["sqlite"] + (["postgres"] if plan.postgres and procs.postgres_available() else [])
    print(
        f"\n== dashboard: server time of the charger pages at {plan.dashboard_frames:,} frames (baseline: 100 frames)"
    )
    for db in dbs:
        env, _, pg_name = fresh_app(run, f"dash-{db}", db)
        try:
            seeded = procs.djtool(env, "seed", "DASH-BIG", str(plan.dashboard_frames), timeout=600)
            procs.djtool(env, "seed", "DASH-SMALL", "100")
            big = procs.djtool(env, "dashboard", "DASH-BIG", str(plan.dashboard_repeat))
            small = procs.djtool(env, "dashboard", "DASH-SMALL", str(plan.dashboard_repeat))
        finally:
            if pg_name:
                procs.drop_pg_database(pg_name)
        run.details[f"dashboard.{db}"] = {"seed": seeded, "big": big, "small": small}
        label = "SQLite" if db == "sqlite" else "PostgreSQL"
        for page, t in big.items():
            # Every charger and session page, the frame log with each of its filters.
            graded = page == "detail" or page.startswith(("frames", "session"))
            run.add(
                Row(
                    "dashboard",
                    f"{label} {page}: p50 server time",
                    t["p50_ms"],
                    small[page]["p50_ms"],
                    "ms",
                    "< 200 ms" if graded else "",
                    t["p50_ms"] < 200 if graded else None,
                    note=f"max {t['max_ms']:.1f} ms, first {t['first_ms']:.1f} ms, {t['queries']} queries",
                )
            )
            if graded:
                run.add(
                    Row(
                        "dashboard",
                        f"{label} {page}: max server time",
                        t["max_ms"],
                        small[page]["max_ms"],
                        "ms",
                        "< 200 ms",
                        t["max_ms"] < 200,
                    )
                )


# -- main -----------------------------------------------------------------------


def print_table(run: Run) -> None:
    head = f"{'figure':<52} {'ours':>14} {'baseline':>14} {'ratio':>7} {'goal':<22} verdict"
    print("\n" + head + "\n" + "-" * len(head))
    section = ""
    for r in run.rows:
        if r.section != section:
            section = r.section
            print(f"[{section}]")
        print(format_row(r))
    graded = [r for r in run.rows if r.ok is not None]
    print(f"\n{sum(r.ok for r in graded)}/{len(graded)} goals met.")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="short runs (< ~3 minutes), for checking the harness")
    p.add_argument("--full", action="store_true", help="also hold 5,000 chargers")
    p.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    p.add_argument("--sizes", help="charger counts to hold, e.g. 100,1000")
    p.add_argument("--period", type=float, help="seconds between a charger's Heartbeats (and MeterValues); default 10")
    p.add_argument("--hold", type=float, help="seconds the chargers are held and measured")
    p.add_argument("--duration", type=float, help="seconds of each ingest flood")
    p.add_argument("--load-procs", type=int, help="load generator processes (default 1)")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--profile", action="store_true", help="py-spy the SQLite ingest run (bench/results/profile-*)")
    p.add_argument(
        "--settings", help="run our server with this settings module (e.g. bench.variants.persistent_sqlite)"
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (databases, server logs)")
    p.add_argument(
        "--soak", action="store_true", help="run the memory soak instead (bench/memory_soak.py, default sizes)"
    )
    args = p.parse_args(argv)
    if args.soak:
        from bench.memory_soak import main as memory_soak

        return memory_soak(["--keep"] if args.keep else [])
    procs.raise_fd_limit()
    if args.settings:
        procs.SETTINGS_MODULE = args.settings
    plan = Plan.make(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    run = Run(plan, procs.Workdir(keep=args.keep), profile=args.profile)
    sections = args.only or SECTIONS
    started = time.time()
    load_before = procs.loadavg()
    print(
        f"bench: {', '.join(sections)}; settings {args.settings or 'certify.settings'}; plan {plan}; load average {load_before:.2f} on {os.cpu_count()} cores"
    )
    failed: list[str] = []
    try:
        for name in sections:
            try:
                if name == "ingest":
                    section_ingest(run)
                elif name == "scale":
                    section_scale(run)
                elif name == "redis":
                    section_redis(run)
                elif name == "pair":
                    section_pair(run)
                elif name == "report":
                    section_report(run, args.quick)
                elif name == "dashboard":
                    section_dashboard(run)
                elif name == "findings":
                    section_findings(run, args.quick)
            except Exception as exc:  # one broken section must not hide the others
                failed.append(name)
                run.add(Row(name, f"{name} section", "error", ok=False, note=f"{type(exc).__name__}: {exc}"[:2000]))
                print(f"  {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        run.work.cleanup()
    elapsed = time.time() - started
    print_table(run)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "started": started,
                "seconds": elapsed,
                "argv": sys.argv[1:],
                "settings": args.settings or "certify.settings",
                "plan": plan.__dict__,
                "machine": {
                    "cores": os.cpu_count(),
                    "loadavg_before": load_before,
                    "loadavg_after": procs.loadavg(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "rows": [r.__dict__ for r in run.rows],
                "details": run.details,
            },
            indent=1,
            default=str,
        )
    )
    print(f"{elapsed:.0f} s; load average {load_before:.2f} → {procs.loadavg():.2f}; details in {out}")
    if args.profile and (RESULTS / "profile-ingest-sqlite.raw").exists():
        from bench.profile import summarize

        print(summarize(RESULTS / "profile-ingest-sqlite.raw", run.details.get("ingest.ours.sqlite", {})))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
