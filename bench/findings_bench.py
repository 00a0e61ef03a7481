"""Findings benchmark: the findings' cost per frame over a log of 100,000 frames,
beside the frame pipeline's own cost of reading that log (the one reader's parse
and link, chargers/frames/reader.py) measured in the same run.

`python -m bench.findings_bench [--frames N] [--chunk N]`. The log is a charger's
day as JSON Lines: boots, statuses, transactions with MeterValues of four
measurands every 10 s, idle heartbeats, commands and their answers, reconnects.
It is fed whole (a scan) and in chunks as frames arrive (a live charger's page);
both must find nothing on this legal log. The last line printed is JSON,
{"rows": [...]}, read by `python -m bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMES = 100_000
CHUNK = 50  # frames per feed when fed as they arrive
GOAL_RATIO = 1.0  # findings cost at most the reader's parse per frame


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def legal_log(n: int) -> list[str]:
    """About n frames of a legal two-connector charger, as JSON Lines."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    lines: list[str] = []
    clock = [0.0]
    uid = [0]

    def line(direction: str, body, dt: float = 0.05) -> None:
        clock[0] += dt
        lines.append(
            json.dumps({"ts": _utc(t0 + timedelta(seconds=clock[0])), "direction": direction, "raw": json.dumps(body)})
        )

    def now(ahead: float = 0.0) -> str:
        return _utc(t0 + timedelta(seconds=clock[0] + ahead))

    def pair(action: str, payload: dict, answer: dict, dt: float = 0.05, ours: bool = False) -> None:
        uid[0] += 1
        call, result = ("out", "in") if ours else ("in", "out")
        line(call, [2, f"u{uid[0]}", action, payload], dt)
        line(result, [3, f"u{uid[0]}", answer])

    def status(connector: int, state: str) -> None:
        payload = {"connectorId": connector, "status": state, "errorCode": "NoError", "timestamp": now(0.05)}
        pair("StatusNotification", payload, {})

    meter = {1: 1_000_000, 2: 2_000_000}
    tx = 0
    while len(lines) < n:
        line("event", {"event": "connected"}, 1.0)
        pair(
            "BootNotification",
            {"chargePointVendor": "Bench", "chargePointModel": "B1"},
            {"status": "Accepted", "currentTime": now(), "interval": 300},
        )
        for connector in (0, 1, 2):
            status(connector, "Available")
        pair(
            "GetConfiguration",
            {},
            {"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]},
            ours=True,
        )
        for _ in range(40):
            if len(lines) >= n:
                break
            for connector in (1, 2):
                tx += 1
                status(connector, "Preparing")
                pair("Authorize", {"idTag": "TAG"}, {"idTagInfo": {"status": "Accepted"}})
                pair(
                    "StartTransaction",
                    {"connectorId": connector, "idTag": "TAG", "meterStart": meter[connector], "timestamp": now(0.05)},
                    {"transactionId": tx, "idTagInfo": {"status": "Accepted"}},
                )
                status(connector, "Charging")
                for _ in range(30):
                    meter[connector] += 30
                    values = [
                        {"value": str(meter[connector]), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                        {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
                        {"value": "16.0", "measurand": "Current.Import", "unit": "A"},
                        {"value": "230.0", "measurand": "Voltage", "unit": "V"},
                    ]
                    pair(
                        "MeterValues",
                        {
                            "connectorId": connector,
                            "transactionId": tx,
                            "meterValue": [{"timestamp": now(10.0), "sampledValue": values}],
                        },
                        {},
                        dt=10.0,
                    )
                pair(
                    "StopTransaction",
                    {"transactionId": tx, "meterStop": meter[connector], "timestamp": now(0.05), "reason": "Local"},
                    {},
                )
                status(connector, "Finishing")
                status(connector, "Available")
            for _ in range(5):
                pair("Heartbeat", {}, {"currentTime": now(300.0)}, dt=300.0)
            pair(
                "ChangeConfiguration",
                {"key": "MeterValueSampleInterval", "value": "10"},
                {"status": "Accepted"},
                ours=True,
            )
        line("event", {"event": "disconnected", "code": 1006}, 5.0)
    return lines[:n]


def measure(frames: int, chunk: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certify.settings")
    import django

    django.setup()  # chargers.frames imports the models
    from chargers.frames.reader import Log
    from chargers.protocol.v16.findings import Findings

    lines = legal_log(frames)
    t = time.perf_counter()
    log = Log.from_lines(lines)
    parse = time.perf_counter() - t
    t = time.perf_counter()
    whole = Findings().feed(log.records)
    scan = time.perf_counter() - t
    live, fed = Findings(), []
    t = time.perf_counter()
    for start in range(0, len(log.records), chunk):
        fed += live.feed(log.records[start : start + chunk])
    incremental = time.perf_counter() - t
    n = len(log.records)
    return {
        "frames": n,
        "parse_us": parse / n * 1e6,
        "scan_us": scan / n * 1e6,
        "incremental_us": incremental / n * 1e6,
        "findings": len(whole),
        "findings_fed": len(fed),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.findings_bench", description=__doc__)
    p.add_argument("--frames", type=int, default=FRAMES)
    p.add_argument("--chunk", type=int, default=CHUNK, help="frames per feed, as they arrive")
    args = p.parse_args(argv)
    m = measure(args.frames, args.chunk)
    print(json.dumps(m))
    label = f"{m['frames']:,} frames"
    rows = [
        {
            "figure": f"findings, whole log ({label}), per frame",
            "ours": round(m["scan_us"], 2),
            "baseline": round(m["parse_us"], 2),
            "unit": "µs",
            "goal": f"<= {GOAL_RATIO:g}x reader parse",
            "ok": m["scan_us"] <= GOAL_RATIO * m["parse_us"],
        },
        {
            "figure": f"findings, fed {args.chunk} frames at a time, per frame",
            "ours": round(m["incremental_us"], 2),
            "baseline": round(m["parse_us"], 2),
            "unit": "µs",
            "goal": f"<= {GOAL_RATIO:g}x reader parse",
            "ok": m["incremental_us"] <= GOAL_RATIO * m["parse_us"],
        },
        {
            "figure": "findings on a legal log (whole / fed)",
            "ours": f"{m['findings']}/{m['findings_fed']}",
            "goal": "0/0",
            "ok": m["findings"] == 0 and m["findings_fed"] == 0,
        },
    ]
    print(json.dumps({"rows": rows}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
