"""A lean OCPP 1.6-J load generator: many raw `websockets` client connections
in one process, one CALL in flight per connection, frames pre-serialized with
a fresh unique id each. Talks to any of the servers under test.

    python -m bench.loadgen --url ws://127.0.0.1:PORT/ocpp/ --ids CP1,CP2 --mode flood ...

Prints `READY <seconds to connect all>`, waits for `GO` on stdin (so the caller
can read the server's memory first), runs, then prints one JSON line of results.
Every CALL the server sends (a command) is answered at once with Accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from array import array

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

from bench.procs import raise_fd_limit

TS = "2025-01-01T12:00:00.000Z"


def _sampled(value: str, measurand: str, unit: str, phase: str = "") -> dict:
    sv = {"value": value, "context": "Sample.Periodic", "measurand": measurand, "location": "Outlet", "unit": unit}
    if phase:
        sv["phase"] = phase
    return sv


# MeterValues with 7 sampled values, as a busy AC charger sends them.
METER_VALUES = {
    "connectorId": 1,
    "transactionId": 1,
    "meterValue": [
        {
            "timestamp": TS,
            "sampledValue": [
                _sampled("12345.6", "Energy.Active.Import.Register", "Wh"),
                _sampled("11040.0", "Power.Active.Import", "W"),
                _sampled("16.0", "Current.Import", "A", "L1"),
                _sampled("16.1", "Current.Import", "A", "L2"),
                _sampled("15.9", "Current.Import", "A", "L3"),
                _sampled("230.1", "Voltage", "V", "L1-N"),
                _sampled("16.0", "Current.Offered", "A"),
            ],
        }
    ],
}
BOOT = {"chargePointVendor": "Bench", "chargePointModel": "LoadGen", "firmwareVersion": "1.0"}
PAYLOADS = {"MeterValues": METER_VALUES, "Heartbeat": {}, "BootNotification": BOOT}
SEP = (",", ":")


def template(action: str) -> tuple[str, str]:
    """(prefix, suffix) of a CALL frame; the unique id goes between them."""
    return '[2,"', '","' + action + '",' + json.dumps(PAYLOADS[action], separators=SEP) + "]"


TEMPLATES = {action: template(action) for action in PAYLOADS}


class Stats:
    def __init__(self) -> None:
        self.sent: dict[str, int] = {}
        self.results = 0  # CALLRESULTs to our CALLs
        self.errors = 0  # CALLERRORs to our CALLs
        self.commands = 0  # server CALLs we answered
        self.unexpected = 0
        self.latencies = array("d")  # ms, measured window only
        self.measuring = False
        self.measured = 0
        self.closed_early = 0
        self.error_samples: list[str] = []


class Charger:
    """One connection. A reader task receives everything; `call` sends one CALL
    and waits for its answer."""

    __slots__ = ("cid", "counter", "flood_action", "future", "pending", "running", "stats", "t0", "ws")

    def __init__(self, cid: str, stats: Stats) -> None:
        self.cid = cid
        self.counter = 0
        self.pending = ""
        self.future: asyncio.Future | None = None
        self.t0 = 0.0
        self.stats = stats
        self.ws = None
        self.flood_action = ""
        self.running = False

    async def send_call(self, action: str) -> None:
        self.counter += 1
        uid = f"{self.cid}.{self.counter}"
        prefix, suffix = TEMPLATES[action]
        self.pending = uid
        self.stats.sent[action] = self.stats.sent.get(action, 0) + 1
        self.t0 = time.perf_counter()
        await self.ws.send(prefix + uid + suffix)

    async def call(self, action: str, timeout: float = 60) -> None:
        self.future = asyncio.get_running_loop().create_future()
        await self.send_call(action)
        await asyncio.wait_for(self.future, timeout)

    async def read(self) -> None:
        stats = self.stats
        try:
            async for msg in self.ws:
                t1 = time.perf_counter()
                data = json.loads(msg)
                kind = data[0]
                if kind == 2:
                    stats.commands += 1
                    await self.ws.send(json.dumps([3, data[1], {"status": "Accepted"}], separators=SEP))
                    continue
                if data[1] != self.pending:
                    stats.unexpected += 1
                    continue
                self.pending = ""
                if kind == 3:
                    stats.results += 1
                else:
                    stats.errors += 1
                    if len(stats.error_samples) < 5:
                        stats.error_samples.append(msg[:300])
                if stats.measuring:
                    stats.latencies.append((t1 - self.t0) * 1000)
                    stats.measured += 1
                if self.flood_action and self.running:
                    await self.send_call(self.flood_action)
                elif self.future is not None and not self.future.done():
                    self.future.set_result(None)
        except ConnectionClosed:
            pass
        finally:
            if self.running:
                stats.closed_early += 1
            if self.future is not None and not self.future.done():
                self.future.set_exception(ConnectionError(f"{self.cid} closed"))


async def open_all(url: str, ids: list[str], stats: Stats, concurrency: int, boot: bool) -> list[Charger]:
    sem = asyncio.Semaphore(concurrency)
    chargers = [Charger(cid, stats) for cid in ids]
    readers: list[asyncio.Task] = []

    async def one(ch: Charger) -> None:
        async with sem:
            for attempt in range(5):
                try:
                    ch.ws = await connect(
                        url + ch.cid,
                        subprotocols=[Subprotocol("ocpp1.6")],
                        compression=None,
                        ping_interval=None,
                        open_timeout=60,
                        close_timeout=5,
                        max_queue=64,
                    )
                    break
                except (OSError, TimeoutError, InvalidHandshake) as exc:  # e.g. closed mid-handshake
                    if attempt == 4:
                        raise
                    print(f"retry connect {ch.cid}: {exc!r}", file=sys.stderr)
                    await asyncio.sleep(0.5 * (attempt + 1))
            readers.append(asyncio.create_task(ch.read()))
            if boot:
                await ch.call("BootNotification")

    await asyncio.gather(*(one(ch) for ch in chargers))
    return chargers


async def flood(chargers: list[Charger], stats: Stats, action: str, warmup: float, duration: float) -> float:
    """Every connection sends its next CALL as soon as the previous is answered."""
    for ch in chargers:
        ch.flood_action = action
        ch.running = True
        ch.future = None
        await ch.send_call(action)
    await asyncio.sleep(warmup)
    stats.measuring = True
    t0 = time.perf_counter()
    await asyncio.sleep(duration)
    stats.measuring = False
    measured_s = time.perf_counter() - t0
    for ch in chargers:
        ch.running = False
    return measured_s


async def periodic(chargers: list[Charger], stats: Stats, period: float, warmup: float, duration: float) -> float:
    """Heartbeat and MeterValues, each every `period` seconds per charger, spread
    evenly: 2 * N / period calls per second in all."""
    rng = random.Random(8)
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + warmup + duration

    async def one(ch: Charger, offset: float) -> None:
        k = 0
        while True:
            due = start + offset + k * period / 2
            if due >= end:
                return
            await asyncio.sleep(max(0, due - loop.time()))
            try:
                await ch.call("Heartbeat" if k % 2 == 0 else "MeterValues")
            except (ConnectionError, ConnectionClosed, TimeoutError):
                return
            k += 1

    for ch in chargers:
        ch.running = True
    tasks = [asyncio.create_task(one(ch, rng.uniform(0, period / 2))) for ch in chargers]
    await asyncio.sleep(warmup)
    stats.measuring = True
    t0 = time.perf_counter()
    await asyncio.wait(tasks, timeout=duration + 60)
    stats.measuring = False
    for ch in chargers:
        ch.running = False
    return time.perf_counter() - t0


async def idle(chargers: list[Charger], stats: Stats, duration: float) -> float:
    """Connected, sending nothing; commands are still answered."""
    for ch in chargers:
        ch.running = True
    t0 = time.perf_counter()
    await asyncio.sleep(duration)
    for ch in chargers:
        ch.running = False
    return time.perf_counter() - t0


async def wait_go(timeout: float) -> None:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), timeout)
    except TimeoutError:
        pass


async def main(args: argparse.Namespace) -> dict:
    stats = Stats()
    ids = [i for i in args.ids.split(",") if i]
    wall0 = time.perf_counter()
    t0 = time.perf_counter()
    chargers = await open_all(args.url, ids, stats, args.concurrency, args.boot)
    connect_s = time.perf_counter() - t0
    print(f"READY {connect_s:.3f}", flush=True)
    if args.wait_go:
        await wait_go(args.wait_go)
    cpu0 = time.process_time()
    if args.mode == "flood":
        measured_s = await flood(chargers, stats, args.action, args.warmup, args.duration)
    elif args.mode == "periodic":
        measured_s = await periodic(chargers, stats, args.period, args.warmup, args.duration)
    else:
        measured_s = await idle(chargers, stats, args.duration)
    cpu_s = time.process_time() - cpu0
    # Let the last answers arrive (bounded), then close every connection.
    deadline = time.perf_counter() + 15
    while any(ch.pending for ch in chargers) and time.perf_counter() < deadline:  # noqa: ASYNC110 - bounded poll
        await asyncio.sleep(0.05)
    unanswered = sum(1 for ch in chargers if ch.pending)
    await asyncio.wait([asyncio.create_task(ch.ws.close()) for ch in chargers if ch.ws], timeout=30)
    return {
        "chargers": len(ids),
        "connected": sum(1 for ch in chargers if ch.ws is not None),
        "connect_s": connect_s,
        "sent": stats.sent,
        "calls_sent": sum(stats.sent.values()),
        "results": stats.results,
        "errors": stats.errors,
        "unanswered": unanswered,
        "unexpected": stats.unexpected,
        "commands": stats.commands,
        "closed_early": stats.closed_early,
        "measured": stats.measured,
        "measured_s": measured_s,
        "cpu_s": cpu_s,
        "wall_s": time.perf_counter() - wall0,
        "error_samples": stats.error_samples,
        "latencies_ms": [round(x, 3) for x in stats.latencies],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="ws://host:port/ocpp/ (the id is appended)")
    p.add_argument("--ids", required=True, help="comma-separated charge point ids")
    p.add_argument("--mode", choices=["flood", "periodic", "idle"], default="flood")
    p.add_argument("--action", default="MeterValues", choices=sorted(PAYLOADS))
    p.add_argument("--period", type=float, default=10.0, help="periodic: seconds between two Heartbeats")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--concurrency", type=int, default=100, help="handshakes under way at once")
    p.add_argument("--boot", action="store_true", help="send a BootNotification after connecting")
    p.add_argument("--wait-go", type=float, default=0, help="wait up to this long for GO on stdin")
    return p.parse_args(argv)


if __name__ == "__main__":
    raise_fd_limit()
    result = asyncio.run(main(parse_args()))
    print(json.dumps(result, separators=SEP), flush=True)
