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


@pytest.fixture
def charger_page(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    """A booted test charger's page, its console ready; (page, charger)."""
    charger = charger_loop.enter(connected(live_server_ocpp.ws_url, "CP-BROWSER-2"))
    charger_loop.run(boot(charger))
    logged_in_page.goto(f"{live_server_ocpp.http_url}/chargers/CP-BROWSER-2/")
    expect(logged_in_page.locator("h1")).to_contain_text("CP-BROWSER-2")
    return logged_in_page, charger


def test_a_charger_appears_on_the_chargers_page_as_it_connects(
    live_server_ocpp, logged_in_page, charger_loop: ChargerLoop
):
    page, server = logged_in_page, live_server_ocpp
    page.goto(f"{server.http_url}/")
    expect(page.locator("h1")).to_have_text("Chargers")
    # The page's live socket is open before the charger connects.
    expect(page.locator("#live")).to_have_attribute("data-live", "open")
    charger = charger_loop.enter(connected(server.ws_url, "CP-BROWSER-1"))
    charger_loop.run(boot(charger))
    row = page.locator("tr[data-charger='CP-BROWSER-1']")
    expect(row).to_be_visible(timeout=WAIT_MS)
    for fact in ("Acme", "Volt-22", "1.2.3", "connected"):
        expect(row).to_contain_text(fact)
    page.screenshot(path="/tmp/ocpp-chargers-page.png", full_page=True)


def test_a_chargers_row_links_to_its_page(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    page, server = logged_in_page, live_server_ocpp
    charger_loop.run(boot(charger_loop.enter(connected(server.ws_url, "CP-BROWSER-3"))))
    page.goto(f"{server.http_url}/")
    page.locator("tr[data-charger='CP-BROWSER-3']").get_by_role("link", name="CP-BROWSER-3").click()
    expect(page.locator("h1")).to_contain_text("CP-BROWSER-3")


def test_the_console_sends_its_prefilled_command_and_shows_the_answer(charger_page):
    page, charger = charger_page
    form = page.locator("form#command")
    expect(form.locator("button[type=submit]")).to_have_text("Send GetConfiguration")
    form.locator("button[type=submit]").click()
    expect(page.locator("#command-result")).to_contain_text("HeartbeatInterval", timeout=WAIT_MS)
    assert charger.received[-1][0] == "GetConfiguration"


def test_the_console_refuses_bad_json_beside_the_field_and_sends_nothing(charger_page):
    page, charger = charger_page
    page.select_option("#command-action", "ClearCache")
    expect(page.locator("form#command button[type=submit]")).to_have_text("Send ClearCache")
    page.fill("form#command textarea[name=payload]", "{not json")
    page.click("form#command button[type=submit]")
    expect(page.locator("form#command .field-error")).to_contain_text("Not valid JSON")
    assert charger.received == []


def test_the_frame_log_shows_a_command_live_newest_first(charger_page):
    page, _ = charger_page
    page.select_option("#command-action", "ClearCache")
    expect(page.locator("form#command button[type=submit]")).to_have_text("Send ClearCache")
    page.fill("form#command textarea[name=payload]", json.dumps({}))
    page.click("form#command button[type=submit]")
    expect(page.locator("#command-result")).to_contain_text("Accepted")
    expect(page.locator("#frames tbody tr").first).to_contain_text("ClearCache", timeout=WAIT_MS)
    page.screenshot(path="/tmp/ocpp-charger-page.png", full_page=True)
