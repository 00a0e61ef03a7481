"""Soak: a reconnect storm, then steady traffic, against one server process.

`python -m bench.soak [--reconnects 500] [--window 10] [--chargers 100] [--steady 30]`

1. `--chargers` chargers connect, boot and heartbeat; the server's resident memory
   is read once they are settled (the start).
2. The storm: `--reconnects` reconnections within `--window` seconds (chargers drop
   their socket and come back, each time with a BootNotification).
3. Steady traffic for `--steady` seconds: every charger sends Heartbeat and
   MeterValues every second.
Figures: reconnects done, CALLs sent and answered (every one must be), and the
memory at the end against the start (goal: within 10 %). Bounded in time and
count; all on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench import procs
from bench.loadgen import Charger, Stats, open_all


async def storm(url: str, ids: list[str], reconnects: int, window: float, stats: Stats) -> tuple[int, float]:
    """Reconnect chargers one after another until `reconnects` are done or the window closes."""
    done = 0
    t0 = time.perf_counter()
    pace = window / max(1, reconnects)
    sem = asyncio.Semaphore(50)

    async def once(cid: str) -> None:
        nonlocal done
        async with sem:
            [charger] = await open_all(url, [cid], stats, 1, boot=True)
            await charger.call("Heartbeat", timeout=30)
            await charger.ws.close()
            done += 1

    tasks = []
    for n in range(reconnects):
        tasks.append(asyncio.create_task(once(ids[n % len(ids)] + "-storm")))
        await asyncio.sleep(pace)
        if time.perf_counter() - t0 > window * 3:
            break
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=window * 6)
    return done, time.perf_counter() - t0


async def steady(chargers: list[Charger], seconds: float) -> None:
    end = time.perf_counter() + seconds

    async def one(charger: Charger) -> None:
        while time.perf_counter() < end:
            await charger.call("Heartbeat", timeout=30)
            await charger.call("MeterValues", timeout=30)
            await asyncio.sleep(1)

    await asyncio.wait_for(asyncio.gather(*(one(c) for c in chargers)), timeout=seconds + 60)


async def soak(url: str, pid: int, args: argparse.Namespace) -> dict:
    stats = Stats()
    ids = [f"SOAK-{n:04d}" for n in range(args.chargers)]
    chargers = await open_all(url, ids, stats, 50, boot=True)
    await steady(chargers, 5)
    await asyncio.sleep(1)
    start_rss = procs.rss_bytes(pid)
    reconnects, took = await storm(url, ids, args.reconnects, args.window, stats)
    await steady(chargers, args.steady)
    await asyncio.sleep(2)
    end_rss = procs.rss_bytes(pid)
    for charger in chargers:
        await charger.ws.close()
    sent = sum(stats.sent.values())
    answered = stats.results + stats.errors
    return {
        "reconnects": reconnects,
        "storm_seconds": round(took, 2),
        "calls_sent": sent,
        "calls_answered": answered,
        "callerrors": stats.errors,
        "start_rss_mb": round(start_rss / 2**20, 1),
        "end_rss_mb": round(end_rss / 2**20, 1),
        "rss_growth": round(end_rss / start_rss - 1, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reconnects", type=int, default=500)
    parser.add_argument("--window", type=float, default=10)
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--steady", type=float, default=30)
    args = parser.parse_args()
    procs.raise_fd_limit()
    work = procs.Workdir()
    env = procs.app_env(work.sub("soak"), OCPP_RATE_LIMIT="0")
    try:
        procs.djtool(env, "prepare")
        with procs.our_server(env, work.path, "soak") as server:
            result = asyncio.run(soak(f"ws://127.0.0.1:{server.port}/ocpp/", server.pid, args))
            counts = procs.djtool(env, "count", "SOAK-")
    finally:
        work.cleanup()
    result["frames_persisted"] = counts
    ok = result["calls_answered"] == result["calls_sent"] and result["rss_growth"] <= 0.10
    print(f"{'figure':<40} value")
    for key, value in result.items():
        print(f"{key:<40} {value}")
    print(f"{'goal: every CALL answered, memory within 10 %':<40} {'PASS' if ok else 'MISS'}")
    print(json.dumps({"soak": result, "ok": ok}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
