"""Django-side steps of a benchmark, run in the environment of the server under
test (its database): `python -m bench.djtool <step> [args]`; prints one JSON line.

Steps: prepare (migrate, user, API token), count (frames per direction of the
chargers whose id starts with a prefix), seed (bulk-insert frames), sessions
(certification sessions of new chargers, their frames bulk-inserted), dashboard
(server time of the charger and session pages, through Django's test client).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certify.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from chargers.models import ApiToken, Charger, Frame  # noqa: E402

USER = "bench"


def prepare() -> dict:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    user = User.objects.filter(username=USER).first() or User.objects.create_superuser(USER, "", "bench-pw-pw-pw")
    _, key = ApiToken.issue(user, name="bench")
    from chargers.management.commands.runlab import daphne_args, uvicorn_args

    return {"token": key, "daphne_args": daphne_args("127.0.0.1", 0), "uvicorn_args": uvicorn_args("127.0.0.1", 0)}


def count(prefix: str) -> dict:
    rows = (
        Frame.objects.filter(charger__charge_point_id__startswith=prefix)
        .values("direction")
        .annotate(n=Count("id"))
        .order_by()
    )
    by = {r["direction"]: r["n"] for r in rows}
    notes = Frame.objects.filter(charger__charge_point_id__startswith=prefix, error_code__gt="").count()
    return {"in": by.get("in", 0), "out": by.get("out", 0), "event": by.get("event", 0), "errors": notes}


def seed(cp_id: str, n: int) -> dict:
    """n frames for one charger, a realistic mix (MeterValues mostly), inserted
    directly: what months of a busy charger leave in the log."""
    from bench.loadgen import METER_VALUES

    charger, _ = Charger.objects.get_or_create(charge_point_id=cp_id)
    mv = json.dumps(METER_VALUES, separators=(",", ":"))
    t0 = time.perf_counter()
    now = timezone.now()
    start = Frame.objects.filter(charger=charger).count()
    batch: list[Frame] = []
    for i in range(start, start + n):
        seq = i + 1
        uid = f"seed.{seq}"
        if i % 20 == 0:
            action, raw_in, raw_out = (
                "Heartbeat",
                f'[2,"{uid}","Heartbeat",{{}}]',
                f'[3,"{uid}",{{"currentTime":"2025-01-01T00:00:00Z"}}]',
            )
        else:
            action, raw_in, raw_out = "MeterValues", f'[2,"{uid}","MeterValues",{mv}]', f'[3,"{uid}",{{}}]'
        ts = now - timezone.timedelta(seconds=n - i)
        if i % 2 == 0:
            batch.append(
                Frame(
                    charger=charger,
                    seq=seq,
                    ts=ts,
                    direction="in",
                    message_type=2,
                    action=action,
                    unique_id=uid,
                    raw=raw_in,
                )
            )
        else:
            batch.append(
                Frame(
                    charger=charger,
                    seq=seq,
                    ts=ts,
                    direction="out",
                    message_type=3,
                    action=action,
                    unique_id=uid,
                    raw=raw_out,
                )
            )
        if len(batch) >= 5000:
            Frame.objects.bulk_create(batch)
            batch = []
    if batch:
        Frame.objects.bulk_create(batch)
    Charger.objects.filter(pk=charger.pk).update(last_frame_at=now, last_action="MeterValues")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE chargers_frame")
    return {"seeded": n, "total": Frame.objects.filter(charger=charger).count(), "seconds": time.perf_counter() - t0}


def sessions(prefix: str, count: int, frames: int) -> dict:
    """`count` sessions, each of a new charger `<prefix><n>` with `frames` frames
    of a certification (bench.report_bench.seed_session); no pre-flight read."""
    from bench.report_bench import seed_session

    t0 = time.perf_counter()
    pks = [seed_session(frames, f"{prefix}{n:04d}", {"preflight": False}) for n in range(count)]
    return {"pks": pks, "ids": [f"{prefix}{n:04d}" for n in range(count)], "seconds": time.perf_counter() - t0}


def _session_over_all_frames(cp_id: str):
    """A certification session whose log is every seeded frame of the charger."""
    from certify import sessions
    from certify.models import CertSession

    session = CertSession.objects.filter(charge_point_id=cp_id).first() or sessions.create_session(cp_id)
    CertSession.objects.filter(pk=session.pk).update(start_seq=0)
    return session


def _until(charger: Charger, seq: int) -> str:
    """The time of a frame, as the log's To (UTC) field takes it."""
    ts = Frame.objects.get(charger=charger, seq=seq).ts
    return ts.strftime("%Y-%m-%dT%H:%M:%S")


def dashboard(cp_id: str, repeat: int) -> dict:
    """Server time (ms) of the charger and session pages: Django handling the request in
    this process, no network; first call and then p50/max of `repeat`."""
    from django.db import reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username=USER))
    charger = Charger.objects.get(charge_point_id=cp_id)
    seqs = Frame.objects.filter(charger=charger).order_by("seq").values_list("seq", flat=True)
    deep = seqs[min(100, seqs.count() - 1)]
    pages = {
        "detail": f"/chargers/{cp_id}/",
        "frames": f"/chargers/{cp_id}/frames/",
        "frames?action=Heartbeat": f"/chargers/{cp_id}/frames/?action=Heartbeat",
        "frames?before=deep": f"/chargers/{cp_id}/frames/?before={deep}",
        # The frame log's filters (each MeterValues names connector 1 and transaction 1):
        # many matches, one in twenty, none (every frame read), a time window.
        "frames?connector=1": f"/chargers/{cp_id}/frames/?connector=1",
        "frames?transaction=1": f"/chargers/{cp_id}/frames/?transaction=1",
        "frames?q=Heartbeat": f"/chargers/{cp_id}/frames/?q=Heartbeat",
        "frames?q=absent": f"/chargers/{cp_id}/frames/?q=no-such-text",
        "frames?connector=2": f"/chargers/{cp_id}/frames/?connector=2",
        "frames?until=deep": f"/chargers/{cp_id}/frames/?until={_until(charger, deep)}",
        "api frames?after_seq=deep": f"/api/chargers/{cp_id}/frames?after_seq={deep}&limit=100",
    }
    session = _session_over_all_frames(cp_id)
    pages["session"] = f"/sessions/{session.pk}/"
    pages["session frames"] = f"/sessions/{session.pk}/frames/"
    pages["history"] = f"/history/{session.pk}/"
    token = ApiToken.issue(User.objects.get(username=USER), name="bench-dash")[1]
    out: dict = {}
    for name, url in pages.items():
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if name.startswith("api") else {}
        times = []
        queries = 0
        for i in range(repeat + 1):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url, **extra)
                times.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if i == 0:
                queries = len(ctx.captured_queries)
        rest = sorted(times[1:])
        out[name] = {
            "first_ms": times[0],
            "p50_ms": rest[len(rest) // 2],
            "max_ms": rest[-1],
            "queries": queries,
            "bytes": len(response.content),
        }
    return out


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    if step == "prepare":
        result = prepare()
    elif step == "count":
        result = count(args[0])
    elif step == "seed":
        result = seed(args[0], int(args[1]))
    elif step == "sessions":
        result = sessions(args[0], int(args[1]), int(args[2]))
    elif step == "dashboard":
        result = dashboard(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(result))
