"""The dashboard in a real browser: a charger appears on the chargers page when
it connects, without a reload, and its console sends a command and shows the
charger's answer inline."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import WAIT_MS, ChargerLoop
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.chromium
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


def test_a_charger_appears_live_and_answers_the_console(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    page = logged_in_page
    server = live_server_ocpp
    page.goto(f"{server.http_url}/")
    expect(page.locator("h1")).to_have_text("Chargers")
    # The page's live socket is open before the charger connects.
    expect(page.locator("#live")).to_have_attribute("data-live", "open")

    charger = charger_loop.enter(connected(server.ws_url, "CP-BROWSER-1"))
    charger_loop.run(boot(charger))

    row = page.locator("tr[data-charger='CP-BROWSER-1']")
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row).to_contain_text("Acme")
    expect(row).to_contain_text("Volt-22")
    expect(row).to_contain_text("1.2.3")
    expect(row).to_contain_text("connected")
    page.screenshot(path="/tmp/ocpp-chargers-page.png", full_page=True)

    row.get_by_role("link", name="CP-BROWSER-1").click()
    expect(page.locator("h1")).to_contain_text("CP-BROWSER-1")
    # The console loads GetConfiguration's form; the test charger answers it.
    form = page.locator("form#command")
    expect(form.locator("button[type=submit]")).to_have_text("Send GetConfiguration")
    form.locator("button[type=submit]").click()
    result = page.locator("#command-result")
    expect(result).to_contain_text("HeartbeatInterval", timeout=WAIT_MS)
    assert charger.received[-1][0] == "GetConfiguration"

    # Bad JSON is refused next to the field; nothing is sent.
    page.select_option("select[name=action]", "ClearCache")
    expect(form.locator("button[type=submit]")).to_have_text("Send ClearCache")
    page.fill("form#command textarea[name=payload]", "{not json")
    page.click("form#command button[type=submit]")
    expect(page.locator("form#command .field-error")).to_contain_text("Not valid JSON")

    page.fill("form#command textarea[name=payload]", json.dumps({}))
    page.click("form#command button[type=submit]")
    expect(page.locator("#command-result")).to_contain_text("Accepted")

    # The frame log shows the ClearCache exchange live, newest first.
    first = page.locator("#frames tbody tr").first
    expect(first).to_contain_text("ClearCache", timeout=WAIT_MS)
    page.screenshot(path="/tmp/ocpp-charger-page.png", full_page=True)
