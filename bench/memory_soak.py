"""Memory soak: one server process judges, reports and serves chargers for a
long while, and its resident memory stays bounded (a lab server runs for months).

`python -m bench --soak` runs it as below; `python -m bench.memory_soak` takes
options to scale it (--sessions 500 --frames 2000 --open 20 --open-calls 500
--chargers 5000 --rounds 10 --postgres).

0. Seeded by a helper process (not the server): `--sessions` finished sessions
   of `--frames` frames each, and `--open` open ones as long, each of a charger
   of its own. The server starts; its RSS is read (the start).
1. The server judges each finished session (GET /api/sessions/{id}?evaluate=true)
   and reports it (POST .../sign renders and signs the PDF and finalises the
   session; GET .../report.pdf), one after another.
2. The open sessions' chargers connect and take frames: each sends
   `--open-calls` CALLs (MeterValues and Heartbeat) while the server judges its
   session twice a second; RSS is read while they are connected, and again
   after they disconnect.
3. `--chargers` chargers connect (with a BootNotification) and disconnect,
   `--rounds` times.
The RSS after each phase is printed beside the RSS at start, with the phase's
seconds; every loop is bounded in count and time, all on 127.0.0.1; the last
line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import sys
import time
import uuid

from bench import procs
from bench.loadgen import Charger, Stats, open_all

SETTLE = 5.0  # seconds the server is left alone before its RSS is read


class Api:
    """Sequential requests to the server's JSON API on one keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        for attempt in range(2):
            try:
                self.conn.request(method, f"/api{path}", body=data, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


class Readings:
    """The server's RSS after each phase, beside the start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.rows: list[dict] = []
        self.started = time.monotonic()

    def read(self, phase: str, seconds: float | None = None, settle: float = SETTLE, **figures) -> dict:
        time.sleep(settle)
        rss = procs.rss_bytes(self.pid) / 2**20
        start = self.rows[0]["rss_mb"] if self.rows else rss
        row = {"phase": phase, "rss_mb": round(rss, 1), "vs_start": round(rss / start, 2), **figures}
        if seconds is not None:
            row["seconds"] = round(seconds, 1)
        self.rows.append(row)
        extra = " ".join(f"{k}={v}" for k, v in figures.items())
        took = f"{seconds:7.0f} s" if seconds is not None else " " * 9
        print(f"  {phase:<58} {rss:8.1f} MB {row['vs_start']:5.2f}x {took}  {extra}", flush=True)
        return row


def judge_and_report(api: Api, pks: list[int], readings: Readings, budget_s: float) -> dict:
    """Phase 1, one session after another; RSS read at a fifth, half and all."""
    checkpoints = {max(1, len(pks) // 5), max(1, len(pks) // 2)}
    failures: dict[str, int] = {}
    done = 0
    t0 = time.monotonic()
    for n, pk in enumerate(pks, 1):
        if time.monotonic() - t0 > budget_s:
            break
        for method, path, body, want in (
            ("GET", f"/sessions/{pk}?evaluate=true", None, 200),
            ("POST", f"/sessions/{pk}/sign", {"name": "Soak Engineer", "role": "Benchmark"}, 200),
            ("GET", f"/sessions/{pk}/report.pdf", None, 200),
        ):
            status, data = api.request(method, path, body)
            if status != want:
                key = f"{method} {path.split('/')[-1]}: {status} {data[:80]!r}"
                failures[key] = failures.get(key, 0) + 1
        done = n
        if n in checkpoints and n != len(pks):
            readings.read(f"1. judged and reported {n:,} sessions", time.monotonic() - t0, settle=0)
    return {"done": done, "failures": failures, "seconds": time.monotonic() - t0}


async def take_frames(url: str, ids: list[str], calls: int, period: float) -> dict:
    """Phase 2: the open sessions' chargers connect and send `calls` CALLs each,
    one every `period` seconds; they stay connected (closed by the caller)."""
    stats = Stats()
    chargers = await open_all(url, ids, stats, 20, boot=True)

    async def one(charger: Charger) -> None:
        for k in range(calls):
            await charger.call("MeterValues" if k % 2 else "Heartbeat", timeout=60)
            await asyncio.sleep(period)

    t0 = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(one(c) for c in chargers)), timeout=calls * (period + 2) + 120)
    return {
        "chargers": chargers,
        "sent": sum(stats.sent.values()),
        "answered": stats.results + stats.errors,
        "seconds": time.monotonic() - t0,
    }


async def close_all(chargers: list[Charger]) -> None:
    closing = [asyncio.create_task(c.ws.close()) for c in chargers if c.ws]
    if closing:
        await asyncio.wait(closing, timeout=60)


async def come_and_go(url: str, ids: list[str], concurrency: int) -> dict:
    """One round of phase 3: every charger connects and boots, then all disconnect."""
    stats = Stats()
    t0 = time.monotonic()
    chargers = await asyncio.wait_for(open_all(url, ids, stats, concurrency, boot=True), timeout=1800)
    connected = sum(1 for c in chargers if c.ws is not None)
    await close_all(chargers)
    return {"connected": connected, "booted": stats.results, "seconds": time.monotonic() - t0}


def soak(args: argparse.Namespace) -> dict:
    work = procs.Workdir(keep=args.keep)
    pg_name = ""
    try:
        database_url = ""
        if args.postgres:
            pg_name = f"bench_soak_{uuid.uuid4().hex[:6]}"
            database_url = procs.create_pg_database(pg_name)
        env = procs.app_env(work.sub("memory-soak"), database_url=database_url)
        prepared = procs.djtool(env, "prepare")
        env["BENCH_DAPHNE_ARGS"] = json.dumps(prepared["daphne_args"])
        t0 = time.monotonic()
        finished = procs.djtool(env, "sessions", "SOAK-DONE-", str(args.sessions), str(args.frames), timeout=3600)
        still_open = procs.djtool(env, "sessions", "SOAK-OPEN-", str(args.open), str(args.frames), timeout=600)
        print(
            f"  seeded {args.sessions:,} finished and {args.open} open sessions of {args.frames:,} frames"
            f" in {time.monotonic() - t0:.0f} s",
            flush=True,
        )
        with procs.our_server(env, work.path, "memory-soak") as server:
            api = Api(server.port, prepared["token"])
            api.request("GET", "/sessions?limit=1")  # Django and the API loaded: the start
            readings = Readings(server.pid)
            readings.read("0. start (server up, one API request)")

            phase1 = judge_and_report(api, finished["pks"], readings, args.budget)
            readings.read(
                f"1. judged and reported {phase1['done']:,} sessions",
                phase1["seconds"],
                failures=sum(phase1["failures"].values()),
            )

            url = f"ws://127.0.0.1:{server.port}/ocpp/"

            async def phase2() -> None:
                taken = await take_frames(url, still_open["ids"], args.open_calls, args.period)
                await asyncio.to_thread(
                    readings.read,
                    f"2. {args.open} open sessions took {taken['sent']:,} CALLs (connected)",
                    taken["seconds"],
                    unanswered=taken["sent"] - taken["answered"],
                )
                await close_all(taken["chargers"])

            asyncio.run(phase2())
            readings.read(f"2. the {args.open} open sessions' chargers disconnected")

            ids = [f"SOAK-FLEET-{n:05d}" for n in range(args.chargers)]
            rounds = []
            for n in range(1, args.rounds + 1):
                rounds.append(asyncio.run(come_and_go(url, ids, args.concurrency)))
                if n in (1, args.rounds) or n == args.rounds // 2:
                    readings.read(
                        f"3. {args.chargers:,} chargers connected and left, {n} time{'s' if n > 1 else ''}",
                        sum(r["seconds"] for r in rounds),
                        connected=rounds[-1]["connected"],
                    )
            api.close()
            counts = procs.djtool(env, "count", "SOAK-")
        return {
            "rows": readings.rows,
            "failures": phase1["failures"],
            "frames_persisted": counts,
            "plan": {k: v for k, v in vars(args).items() if k != "keep"},
        }
    finally:
        work.cleanup()
        if pg_name:
            procs.drop_pg_database(pg_name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.memory_soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sessions", type=int, default=500, help="finished sessions judged and reported")
    p.add_argument("--frames", type=int, default=2000, help="frames of each seeded session")
    p.add_argument("--open", type=int, default=20, help="open sessions whose chargers take frames")
    p.add_argument("--open-calls", type=int, default=500, help="CALLs each open session's charger sends")
    p.add_argument("--period", type=float, default=0.2, help="seconds between two of those CALLs")
    p.add_argument("--chargers", type=int, default=5000, help="chargers that connect and disconnect")
    p.add_argument("--rounds", type=int, default=10, help="times they connect and disconnect")
    p.add_argument("--concurrency", type=int, default=100, help="handshakes under way at once")
    p.add_argument("--budget", type=float, default=3600, help="seconds phase 1 may take at most")
    p.add_argument("--postgres", action="store_true", help="PostgreSQL on 127.0.0.1 instead of SQLite")
    p.add_argument("--keep", action="store_true", help="keep the scratch directory (database, server log)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    procs.raise_fd_limit()
    print(
        f"memory soak: {args.sessions:,} finished sessions of {args.frames:,} frames, {args.open} open,"
        f" {args.chargers:,} chargers x {args.rounds}; load average {procs.loadavg():.2f}",
        flush=True,
    )
    print(f"  {'phase':<58} {'RSS':>11} {'start':>6} {'took':>9}", flush=True)
    result = soak(args)
    result["date"] = time.strftime("%Y-%m-%d")
    print(json.dumps(result))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
