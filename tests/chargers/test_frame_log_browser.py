"""The charger page's frame log in a real browser: its filters are the page's URL
(a reload shows the same frames), a line opens to the whole frame and stays open
while new frames arrive live."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from ocpp.v16 import call
from playwright.sync_api import expect

from tests import browser
from tests.browser import WAIT_MS, ChargerLoop
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.chromium
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


@pytest.fixture
def charger_page(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    charger = charger_loop.enter(connected(live_server_ocpp.ws_url, "CP-LOG-1"))
    charger_loop.run(boot(charger))
    charger_loop.run(charger.call(call.Heartbeat()))
    logged_in_page.goto(f"{live_server_ocpp.http_url}/chargers/CP-LOG-1/")
    expect(logged_in_page.locator("#live")).to_have_attribute("data-live", "open")
    return logged_in_page, charger


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_the_filters_are_kept_in_the_url_and_a_reload_shows_the_same_frames(charger_page):
    page, _ = charger_page
    page.select_option("#frame-filter select[name=direction]", "in")
    page.fill("#frame-filter input[name=q]", "Volt-22")
    expect(page.locator("#frames tbody tr")).to_have_count(1)
    expect(page.locator("#frames tbody tr")).to_contain_text("BootNotification")
    page.wait_for_function("location.search.includes('q=Volt-22')")
    assert query(page) == {"direction": "in", "q": "Volt-22"}
    page.reload()
    expect(page.locator("#frame-filter input[name=q]")).to_have_value("Volt-22")
    expect(page.locator("#frame-filter select[name=direction]")).to_have_value("in")
    expect(page.locator("#frames tbody tr")).to_have_count(1)


def test_clear_shows_every_frame_again_and_empties_the_url(charger_page):
    page, _ = charger_page
    page.fill("#frame-filter input[name=q]", "Volt-22")
    expect(page.locator("#frames tbody tr")).to_have_count(1)
    page.click("#frame-filter [data-clear-filters]")
    expect(page.locator("#frames tbody tr").nth(1)).to_be_visible()
    page.wait_for_function("!location.search.includes('q=')")
    assert query(page) == {}


def test_an_opened_line_stays_open_while_new_frames_arrive(charger_page, charger_loop):
    page, charger = charger_page
    boot_line = page.locator("#frames tr", has_text="Volt-22").first
    boot_line.locator("summary").click()
    expect(boot_line.locator("pre")).to_contain_text('"chargePointModel": "Volt-22"')
    seq = boot_line.get_attribute("data-seq")
    newest = int(page.locator("#frames tbody tr").first.get_attribute("data-seq"))
    charger_loop.run(charger.call(call.Heartbeat()))
    expect(page.locator("#frames tbody tr").first).to_have_attribute("data-seq", str(newest + 2), timeout=WAIT_MS)
    browser.settled(page)
    expect(page.locator(f"#frames tr[data-seq='{seq}'] details")).to_have_attribute("open", "")


def test_opening_an_item_keeps_the_session_pages_filters(live_server_ocpp, charger_page):
    page, _ = charger_page
    status, body = live_server_ocpp.api("POST", "/sessions", {"charge_point_id": "CP-LOG-1"})
    assert status == 201, body
    page.goto(f"{live_server_ocpp.http_url}/sessions/{body['id']}/?direction=out")
    expect(page.locator("#frame-filter select[name=direction]")).to_have_value("out")
    page.locator("tr[data-item='4'] a.item-open").click()
    expect(page.locator("#item-panel")).to_have_attribute("data-item", "4")
    page.wait_for_function("location.search.includes('item=4')")
    assert query(page) == {"item": "4", "direction": "out"}
