"""Each misbehaviour the items never ask about shows as exactly its finding in the three
places a lab reads (issue 22): the session page (headless Chromium, live), the
signed report (pdftotext of the real PDF) and the JSON result and JUnit file of
`manage.py certify --simulate`. Findings change no verdict: every run exits 0.
(Legal profiles showing no violation: tests/certify/test_full_session.py.)"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from chargers.protocol.v16.findings import CHECKS
from tests import browser
from tests.certify.test_full_session import RUN_WITH_THEIR_FINDINGS, TOUCHES
from tests.conftest import chromium_binary

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

FAST = ["--interval", "2", "--offline-seconds", "4", "--timeout", "60", "--step-timeout", "15", "--max-minutes", "4"]
FAST += ["--effect-timeout", "10"]
# profile: (the items a run works, the one check it breaks). The items are those its
# behaviour touches (test_full_session.TOUCHES, whose run this one is, with item 17 as a
# control): each passes, since a finding changes no verdict.
PROFILES = {
    "meter-backwards": ("6,7,8,17", "meter-backwards"),  # transactions sampled
    "double-call": ("1,17", "call-before-answer"),  # item 1's boot, after which the two CALLs go
    "naive-timestamps": ("6,7,8,16,17", "timestamp-no-zone"),
    "bad-transition": ("6,7,11,17", "state-table"),  # a stop that is not an unplug
}


def test_each_run_works_the_items_its_profile_touches():
    """The profiles test_full_session leaves to this module get their items worked here."""
    for name in RUN_WITH_THEIR_FINDINGS:
        assert set(PROFILES[name][0].split(",")) >= {str(n) for n in TOUCHES[name]} | {"17"}, name


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_misbehaviour_shows_as_exactly_its_finding(live_server_ocpp, tmp_path, profile):
    items, check_id = PROFILES[profile]
    check = CHECKS[check_id]
    cp_id = f"SIM-F-{profile}"
    result, junit, report = tmp_path / "result.json", tmp_path / "junit.xml", tmp_path / "report.pdf"
    args = ["--charger", cp_id, "--url", live_server_ocpp.ws_url, "--api-token", live_server_ocpp.token]
    args += ["--simulate", "--profile", profile, "--items", items, *FAST]
    args += ["--json", str(result), "--junit", str(junit), "--report", str(report), "--engineer", "CI"]
    out = StringIO()
    with pytest.raises(SystemExit) as done:
        call_command("certify", *args, stdout=out, stderr=StringIO())
    data = json.loads(result.read_text())
    # Findings never change a verdict: the items pass, the run exits 0.
    assert done.value.code == 0, (out.getvalue(), data["items"])
    assert {i["key"]: i["verdict"] for i in data["items"]} == dict.fromkeys(items.split(","), "passed")
    assert {f["check"] for f in data["findings"]} == {check_id}, data["findings"]
    assert all(f["clause"] == check.clause and f["seqs"] for f in data["findings"])
    violations = data["findings_counts"]["violation"]
    assert violations == (len(data["findings"]) if check.severity == "violation" else 0)
    assert f"protocol findings: {violations or 'no'} violation" in out.getvalue().splitlines()[0]

    # JUnit: the "findings" suite fails the check only when it is a violation.
    suite = ET.parse(junit).getroot()[1]
    cases = {c.get("name").split()[0]: c for c in suite.iter("testcase")}
    assert set(cases) == set(CHECKS)
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == ({check_id} if check.severity == "violation" else set())
    assert check_id in cases and "not seen" not in cases[check_id].find("system-out").text

    # The signed report: the section after the items names the check, its clause and frames.
    text = subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True, timeout=60).stdout
    words = " ".join(text.split())
    section = words.split("Protocol findings", 1)[1].split("Sign-off", 1)[0]
    first = data["findings"][0]
    # (a table cell's lines may come apart in the text: each word of the check's title is there)
    assert all(word in section for word in check.title.split()) and check.clause in section, section
    assert f"seq {first['seqs'][0]}" in section, section
    for other in set(CHECKS) - {check_id}:
        assert CHECKS[other].title not in section
    assert f"; protocol findings: {violations or 'no'} violation" in words  # the outcome line

    # The session page: its Findings panel lists just this check, its frames linked to the log.
    with browser.logged_in(live_server_ocpp, chromium_binary()) as page:
        page.goto(f"{live_server_ocpp.http_url}/sessions/{data['session']}/")
        rows = page.locator("#findings tr.finding")
        expect(rows).to_have_count(len(data["findings"]))
        assert {r.get_attribute("data-check") for r in rows.all()} == {check_id}
        expect(page.locator("#session-summary [data-count=violations] strong")).to_have_text(str(violations))
        link = rows.first.locator("a[data-frame-link]").first
        seq = link.text_content().strip("#")
        link.click()
        expect(page.locator(f"#frames tr.marked[data-seq='{seq}']")).to_have_count(1)
        # The filter narrows the list and stays in the URL.
        other = "note" if check.severity != "note" else "violation"
        page.select_option("#findings-filter select[name=severity]", other)
        expect(page.locator("#findings tr.finding")).to_have_count(0)
        expect(page).to_have_url(f"{live_server_ocpp.http_url}/sessions/{data['session']}/?severity={other}")
