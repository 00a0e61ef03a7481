"""`manage.py certify --catalog octt16` as a pipeline runs it: a real server
process, the built-in simulator (--simulate), the cases picked by TC id or by
profile, and the artifacts a lab reads: the table, JUnit with the TC ids as
test names and the profiles as class names, the JSON result with each case's
key, the signed report."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

from tests.certify.test_headless_run import FAST, lab, rig  # noqa: F401 - the rig fixture and its server
from tests.servers import MANAGE, ROOT

SLICE = "TC_001_CS,TC_003_CS,TC_012_CS,TC_040_1_CS"


def certify(rig, cp: str, *extra: str) -> subprocess.CompletedProcess:  # noqa: F811
    args = [*MANAGE, "certify", "--charger", cp, "--url", rig.ws_url, "--api-token", rig.token, "--simulate"]
    args += ["--catalog", "octt16", *FAST, "--test-data", "heartbeat_interval=5,rejected_interval=3", *extra]
    return subprocess.run(args, env=rig.env, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_cases_by_id_pass_with_their_artifacts(rig):  # noqa: F811
    junit, result, report = rig.tmp / "junit.xml", rig.tmp / "result.json", rig.tmp / "report.pdf"
    done = certify(
        rig, "SIM-OCTT-CI", "--items", SLICE, "--junit", str(junit), "--json", str(result), "--report", str(report)
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    data = json.loads(result.read_text())
    assert [(i["key"], i["verdict"]) for i in data["items"]] == [(k, "passed") for k in SLICE.split(",")]
    cases = list(ET.parse(junit).getroot()[0].iter("testcase"))  # [1]: the findings
    assert [c.get("name") for c in cases][1] == "TC_003_CS Charging at the charger: cable first, then the tag"
    assert {c.get("classname") for c in cases} == {"core"}
    assert "TC_012_CS" in done.stdout and report.read_bytes().startswith(b"%PDF")


def test_an_unknown_profile_exits_3_naming_the_known_ones(rig):  # noqa: F811
    done = certify(rig, "SIM-ANY", "--profiles", "core,teleportation", "--wait-connect", "60")
    assert done.returncode == 3 and "teleportation" in done.stderr and "remote-trigger" in done.stderr
