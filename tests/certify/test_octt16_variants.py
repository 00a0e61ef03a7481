"""Every legal simulator variant against the OCTT 1.6 cases its behaviour touches (issue 23):
no case fails, the cases it cannot do are Not supported. Opt-in (`make octt`, OCTT_VARIANTS=1):
some 30 runs of up to 20 cases each.

Which cases a variant touches is derived, not listed: a legal profile's description cites the
clauses whose freedom it uses (`§4.9 C1`, `§9.1.6`); the cases resting on those clauses are its
cases, with those of a feature it lacks (tests/certify/profile_cases.lacking) and a control case.
A variant citing no clause an OCTT case rests on runs the control case only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import pytest

from certify.catalogs import get
from chargers.simulator import PROFILES
from tests.certify.profile_cases import clause_numbers, lacking
from tests.certify.test_headless_run import Rig
from tests.certify.test_octt16_profiles import CONTROL, TEST_DATA, Started
from tests.conftest import free_port
from tests.servers import MANAGE, ROOT, Daphne, base_env, prepare, wait_for_port

pytestmark = pytest.mark.skipif(
    not os.environ.get("OCTT_VARIANTS"), reason="every legal variant's OCTT cases take minutes: set OCTT_VARIANTS=1"
)

AT_ONCE = 6  # runs going on side by side (each a simulator and a headless run)


def cited(description: str) -> set[str]:
    """The clause numbers a profile's description cites: '§4.9 C1' -> '4.9'."""
    return set(re.findall(r"§(\d+(?:\.\d+)*)", description))


def variant_cases() -> dict[str, tuple[list[str], list[str]]]:
    """Each legal variant -> (the cases it must pass, the cases it cannot do)."""
    catalog = get("octt16")
    found = {}
    for name, profile in PROFILES.items():
        if not profile.legal:
            continue
        cannot = [c.key for c in lacking(profile, "octt16")]
        touched = cited(profile.description)
        must = [
            c.key
            for c in catalog.cases
            if touched & clause_numbers(c.clauses) and c.key not in cannot and c.group != "security"
        ]
        found[name] = (sorted({*must, CONTROL}), cannot)
    return found


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("octt16-variants")
    env = base_env(tmp, OCPP_HEARTBEAT_INTERVAL="60", CERTIFY_FTP_PORT=str(free_port()))
    token = prepare(env)
    server = Daphne(env, token)
    # The diagnostics FTP server as runlab starts it: an FTP-only charger uploads there.
    ftp = subprocess.Popen(
        [*MANAGE, "ftpserver", "-v", "0"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(int(env["CERTIFY_FTP_PORT"]), time.monotonic() + 30)
    yield Rig(env, token, server.server.ws_url, tmp, tmp / "no-hook.py"), server
    ftp.terminate()
    ftp.wait(10)
    server.stop()


def test_each_legal_variant_passes_the_cases_it_touches(bench):
    rig, server = bench
    variants = variant_cases()
    assert {"finishing-first", "no-finishing", "authorize-remote", "reboot-required"} <= {
        name for name, (must, _) in variants.items() if len(must) > 1
    }
    pending = list(variants.items())
    running: dict[str, Started] = {}
    wrong = {}
    deadline = time.monotonic() + 3600
    while (pending or running) and time.monotonic() < deadline:
        while pending and len(running) < AT_ONCE:
            name, (must, cannot) = pending.pop(0)
            args = (
                "--profile",
                name,
                "--test-data",
                f"{TEST_DATA},reboot_timeout=120",
                "--timeout",  # a case's time: a slow reboot takes 90 s
                "240",
                "--items",
                ",".join(must + cannot),
            )
            running[name] = Started(rig, f"SIM-VAR-{name}"[:40], *args)
            time.sleep(0.5)
        for name, run in list(running.items()):
            if run.proc.poll() is None:
                continue
            del running[name]
            code, out, err = run.result()
            must, cannot = variants[name]
            try:
                verdicts = {i["key"]: (i["verdict"], i.get("reason", "")) for i in json.loads(out)["items"]}
            except ValueError:
                log = server.log()
                wrong[name] = f"{err[-2000:]}\nserver log:\n{log[log.find('Traceback') :][:3000]}"
                continue
            expected = {**dict.fromkeys(must, "passed"), **dict.fromkeys(cannot, "not_supported")}
            off = {k: v for k, v in verdicts.items() if v[0] != expected.get(k) and v[0] != "not_applicable"}
            if code != 0 or off:
                wrong[name] = off or f"exit {code}: {err[-1000:]}"
        time.sleep(1)
    for run in running.values():
        run.proc.kill()
    assert not pending and not running, "the variants did not all end within an hour"
    if wrong:
        pytest.fail("\n\n".join(f"{name}: {what}" for name, what in wrong.items()), pytrace=False)
