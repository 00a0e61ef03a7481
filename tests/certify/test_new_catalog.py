"""A new catalog is a package and one registry line (issue 19): a test-only
catalog of two cases with keys that are not numbers (tests/certify/tiny_catalog,
registered by tests/certify/tiny_settings) works through `manage.py certify
--catalog`, the sessions API and the browser session page, with nothing of
the app changed for it. A real server and simulator process, as a lab runs them."""

from __future__ import annotations

import json
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import WAIT_MS
from tests.conftest import chromium_binary, free_port
from tests.servers import MANAGE, ROOT, Daphne, base_env, prepare, wait_for_port

pytestmark = pytest.mark.chromium

KEYS = ["TINY_CLEAR", "TINY_BEAT"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A server and a simulated charger, both started with the test catalog registered."""
    tmp = tmp_path_factory.mktemp("tiny-catalog")
    env = {**base_env(tmp, OCPP_HEARTBEAT_INTERVAL="600"), "DJANGO_SETTINGS_MODULE": "tests.certify.tiny_settings"}
    token = prepare(env)
    server = Daphne(env, token)
    server.server.username, server.server.password = "ops", "pw-pw-pw-pw"
    control = free_port()
    args = [*MANAGE, "simulate_charger", "--url", server.server.ws_url, "--id", "SIM-TINY"]
    simulator = subprocess.Popen(
        [*args, "--control-port", str(control)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(control, time.monotonic() + 30)
        yield {"env": env, "token": token, "server": server.server, "tmp": tmp}
    finally:
        simulator.terminate()
        try:
            simulator.wait(10)
        except subprocess.TimeoutExpired:
            simulator.kill()
        server.stop()


@pytest.fixture(scope="module")
def certified(lab) -> dict:
    """`manage.py certify --catalog tiny-two --items TINY_CLEAR,TINY_BEAT` with its artifacts."""
    server, tmp = lab["server"], lab["tmp"]
    report, junit = tmp / "report.pdf", tmp / "junit.xml"
    args = [*MANAGE, "certify", "--catalog", "tiny-two", "--items", ",".join(KEYS), "--charger", "SIM-TINY"]
    args += ["--url", server.ws_url, "--api-token", lab["token"], "--json", "--report", str(report)]
    args += ["--junit", str(junit), "--timeout", "30", "--wait-connect", "60"]
    done = subprocess.run(args, env=lab["env"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return {"done": done, "report": report, "junit": junit}


def test_the_command_runs_the_catalogs_cases_by_key_and_passes(certified):
    done = certified["done"]
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    items = json.loads(done.stdout)["items"]
    assert [(i["key"], i["number"], i["verdict"]) for i in items] == [
        ("TINY_CLEAR", 1, "passed"),
        ("TINY_BEAT", 2, "passed"),
    ]
    assert "item TINY_BEAT: TriggerMessage -> Accepted" in done.stderr


def test_the_commands_artifacts_name_the_catalogs_cases(certified):
    cases = [c.get("name") for c in ET.parse(certified["junit"]).getroot()[0].iter("testcase")]
    assert cases == ["01 Clear the cache once", "02 Heartbeat on request"]
    text = subprocess.run(["pdftotext", str(certified["report"]), "-"], capture_output=True, text=True).stdout
    assert "Clear the cache once" in text and "Heartbeat on request" in text


def test_the_api_shows_the_session_in_its_catalog(lab, certified):
    server = lab["server"]
    status, session = server.api("GET", f"/sessions/{json.loads(certified['done'].stdout)['session']}")
    assert status == 200 and session["catalog"] == "tiny-two"
    assert [(i["key"], i["verdict"], i["function"]) for i in session["items"]] == [
        ("TINY_CLEAR", "passed", "Clear the cache once"),
        ("TINY_BEAT", "passed", "Heartbeat on request"),
    ]
    status, body = server.api("POST", "/sessions", {"charge_point_id": "SIM-TINY", "catalog": "no-such-catalog"})
    assert status == 400 and "no-such-catalog" in body["detail"]


def test_the_session_page_works_the_catalogs_case_by_its_button(lab, certified):
    server = lab["server"]
    with browser.logged_in(server, chromium_binary()) as page:
        page.goto(f"{server.http_url}/sessions/new/")
        page.fill("input[name=charge_point_id]", "SIM-TINY")
        page.select_option("select[name=catalog]", "tiny-two")
        page.click("#session-new button[type=submit]")
        page.wait_for_url("**/sessions/*/")
        pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
        rows = page.locator("tr.item-row")
        expect(rows).to_have_count(2)
        assert [rows.nth(i).get_attribute("data-item") for i in range(2)] == KEYS
        page.locator("tr[data-item='TINY_CLEAR'] a.item-open").click()
        expect(page.locator("#item-panel")).to_have_attribute("data-item", "TINY_CLEAR")
        browser.settled(page)
        page.locator("#item-panel form.item-command button[type=submit]", has_text="Clear cache").click()
        expect(page.locator("tr[data-item='TINY_CLEAR']")).to_have_attribute("data-verdict", "passed", timeout=WAIT_MS)
        expect(page.locator("tr[data-item='TINY_BEAT']")).to_have_attribute("data-verdict", "open")
        assert page.url.endswith(f"/sessions/{pk}/?item=TINY_CLEAR")
        page.goto(f"{server.http_url}/sessions/{pk}/?item=TINY_BEAT")  # ?item= takes a key
        expect(page.locator("#item-panel")).to_have_attribute("data-item", "TINY_BEAT")
        expect(page.locator("#item-panel")).to_contain_text("Heartbeat on request")
    _, session = server.api("GET", f"/sessions/{pk}")
    assert session["catalog"] == "tiny-two"
    assert [(i["key"], i["verdict"]) for i in session["items"]] == [("TINY_CLEAR", "passed"), ("TINY_BEAT", "open")]
