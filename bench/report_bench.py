"""Report benchmark: render and sign the PDF of a session of 1,000, 20,000 and
100,000 frames; seconds, peak memory and the report's page count.

`python -m bench.report_bench [--quick] [--sizes 1000,20000]`. Each size runs in
a fresh child process with its own SQLite database and VAR_DIR, so its peak
resident memory (ru_maxrss) is that report's alone. The 1,000-frame session is
the baseline: it shows what the frames add to the fixed cost of a report. The
last line printed is JSON, {"rows": [...]}, read by `python -m bench`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 20_000, 100_000)
QUICK_SIZES = (1_000, 20_000)
GOAL_FRAMES, GOAL_SECONDS, GOAL_MB, GOAL_PAGES = 20_000, 10.0, 500.0, 25
CHILD_TIMEOUT = 900  # seconds; 100,000 frames take well under a minute here


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _utc(moment) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seed_session(n: int, charge_point_id: str = "BENCH-REPORT", options: dict | None = None) -> int:
    """A session of n frames of a new charger, shaped like a real certification:
    boot, statuses, configuration, a long transaction with MeterValues of seven
    measurands every few seconds and heartbeats between, then the stop and a few
    commands."""
    from datetime import UTC, datetime, timedelta

    from certify import sessions
    from chargers.models import Frame

    session = sessions.create_session(charge_point_id, engineer_name="Bench", options=options)
    charger = session.charger
    t0 = datetime.now(UTC) - timedelta(seconds=n * 2 + 60)
    rows: list[Frame] = []
    seq = 0

    def add(direction: str, mtype: int, action: str, uid: str, raw: str) -> None:
        nonlocal seq
        seq += 1
        rows.append(
            Frame(
                charger=charger,
                seq=seq,
                ts=t0 + timedelta(seconds=seq * 2),
                direction=direction,
                message_type=mtype,
                action=action,
                unique_id=uid,
                raw=raw,
            )
        )
        if len(rows) >= 5000:
            Frame.objects.bulk_create(rows)
            rows.clear()

    def pair(action: str, request: dict, answer: dict, *, ours: bool = False) -> None:
        uid = f"b{seq + 1}"
        call, result = ("out", "in") if ours else ("in", "out")
        add(call, 2, action, uid, json.dumps([2, uid, action, request], separators=(",", ":")))
        add(result, 3, action, uid, json.dumps([3, uid, answer], separators=(",", ":")))

    boot = {
        "chargePointVendor": "Bench",
        "chargePointModel": "Report-22",
        "chargePointSerialNumber": "SN-BENCH",
        "firmwareVersion": "4.2.0",
        "iccid": "8931000000000000001",
    }
    pair("BootNotification", boot, {"status": "Accepted", "currentTime": _utc(t0), "interval": 60})
    for connector in (0, 1, 2):
        pair("StatusNotification", {"connectorId": connector, "errorCode": "NoError", "status": "Available"}, {})
    keys = [{"key": f"Key{i}", "readonly": False, "value": str(i)} for i in range(109)]
    pair("GetConfiguration", {}, {"configurationKey": keys}, ours=True)
    pair("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "2"}, {"status": "Accepted"}, ours=True)
    pair("ClearCache", {}, {"status": "Accepted"}, ours=True)
    pair("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}, {})
    start = {"connectorId": 1, "idTag": "BENCH-TAG", "meterStart": 0, "timestamp": _utc(t0)}
    pair("StartTransaction", start, {"transactionId": 1, "idTagInfo": {"status": "Accepted"}})
    energy = 0.0
    reading = 0
    while seq < n - 4:
        reading += 1
        if reading % 20 == 0:
            pair("Heartbeat", {}, {"currentTime": _utc(t0 + timedelta(seconds=seq * 2))})
            continue
        energy += 6.1
        power = 11000 + (reading % 37) * 10
        sampled = [
            {"value": f"{energy:.1f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": str(power), "measurand": "Power.Active.Import", "unit": "W"},
            *({"value": "16.0", "measurand": "Current.Import", "unit": "A", "phase": p} for p in ("L1", "L2", "L3")),
            {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
            {"value": "40", "measurand": "SoC", "unit": "Percent"},
        ]
        for value in sampled:
            value["context"] = "Sample.Periodic"
        stamp = _utc(t0 + timedelta(seconds=seq * 2))
        meter = {"connectorId": 1, "transactionId": 1, "meterValue": [{"timestamp": stamp, "sampledValue": sampled}]}
        pair("MeterValues", meter, {})
    stop = {"transactionId": 1, "meterStop": int(energy), "timestamp": _utc(t0 + timedelta(seconds=seq * 2))}
    pair("StopTransaction", {**stop, "reason": "Local"}, {"idTagInfo": {"status": "Accepted"}})
    pair("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}, {})
    if rows:
        Frame.objects.bulk_create(rows)
    return session.pk


def one(n: int, save: str = "") -> dict:
    """Seed a session of n frames, then sign it off; figures of this process."""
    import django

    django.setup()
    from django.core.management import call_command
    from pypdf import PdfReader

    from certify import report, signing
    from certify.models import CertSession

    call_command("migrate", "--noinput", verbosity=0)
    signing.fingerprint()  # the lab certificate is made once per lab, not per report
    t = time.perf_counter()
    pk = seed_session(n)
    seeded = time.perf_counter() - t
    session = CertSession.objects.get(pk=pk)
    rss_before = _peak_mb()
    t = time.perf_counter()
    session = report.sign_off(session, None, "Bench Engineer", "Benchmark", "Timing the report.")
    seconds = time.perf_counter() - t
    pdf = session.report.read()
    if save:
        Path(save, f"report-{n}.pdf").write_bytes(pdf)
    t = time.perf_counter()
    checked = signing.verify(pdf)
    verify_s = time.perf_counter() - t
    return {
        "frames": session.frames().count(),
        "seed_s": round(seeded, 2),
        "sign_off_s": round(seconds, 2),
        "verify_s": round(verify_s, 2),
        "peak_mb": round(_peak_mb(), 1),
        "peak_before_mb": round(rss_before, 1),
        "pdf_kb": round(len(pdf) / 1024, 1),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "valid": checked.ok,
    }


def run_child(n: int, save: str = "") -> dict:
    with tempfile.TemporaryDirectory(prefix="report-bench-") as var:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "certify.settings",
            "VAR_DIR": var,
            "SQLITE_PATH": str(Path(var) / "bench.sqlite3"),
            "SECRET_KEY": "bench-secret-key",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "bench.report_bench", "--one", str(n), *(["--save", save] if save else [])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{n} frames: exit {done.returncode}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 20,000 frames only")
    parser.add_argument("--sizes", help="comma-separated frame counts")
    parser.add_argument("--save", default="", help="keep each report as DIR/report-N.pdf")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.save)))
        return 0
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    save = str(Path(args.save).resolve()) if args.save else ""
    results = {n: run_child(n, save) for n in sizes}
    base = results.get(min(sizes))
    rows = []
    print(f"{'frames':>8} {'sign-off s':>10} {'peak MB':>8} {'PDF KB':>8} {'pages':>6} {'verify s':>8}  valid")
    for n, r in results.items():
        print(
            f"{n:>8,} {r['sign_off_s']:>10.2f} {r['peak_mb']:>8.1f} {r['pdf_kb']:>8.1f} {r['pages']:>6}"
            f" {r['verify_s']:>8.2f}  {r['valid']}"
        )
        graded = n == GOAL_FRAMES
        for figure, key, unit, limit in (
            ("render + sign", "sign_off_s", "s", GOAL_SECONDS),
            ("peak RSS", "peak_mb", "MB", GOAL_MB),
            ("pages", "pages", "pages", GOAL_PAGES + 1),
        ):
            rows.append(
                {
                    "figure": f"{n:,} frames: {figure}",
                    "ours": r[key],
                    "baseline": base[key] if base and n != min(sizes) else None,
                    "unit": unit,
                    "goal": (f"<= {GOAL_PAGES} pages" if key == "pages" else f"< {limit:g} {unit}") if graded else "",
                    "ok": (r[key] < limit and r["valid"]) if graded else None,
                }
            )
    print(json.dumps({"rows": rows, "results": {str(n): r for n, r in results.items()}}))
    return 0 if all(r["valid"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
