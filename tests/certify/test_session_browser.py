"""A certification session in a real browser: the engineer creates it, sends
item commands from their buttons, sees verdicts change live without a reload,
and overrides one with a remark while the automatic verdict stays beside it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import WAIT_MS, ChargerLoop
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.chromium
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


def open_item(page, number: int) -> None:
    page.locator(f"tr[data-item='{number}'] a.item-open").click()
    expect(page.locator("#item-panel")).to_have_attribute("data-item", str(number))
    browser.settled(page)


def send(page, label: str) -> None:
    page.locator("#item-panel form.item-command button[type=submit]", has_text=label).click()


def test_an_engineer_runs_items_and_overrides_a_verdict(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    page, server = logged_in_page, live_server_ocpp
    charger = charger_loop.enter(connected(server.ws_url, "CP-SESSION-1"))
    charger_loop.run(boot(charger))

    page.goto(f"{server.http_url}/sessions/new/")
    page.fill("input[name=charge_point_id]", "CP-SESSION-1")
    page.fill("input[name=engineer_name]", "Ada Tester")
    page.fill("input[name=lab]", "Lab <b>North</b>")
    page.click("#session-new button[type=submit]")
    page.wait_for_url("**/sessions/*/")
    expect(page.locator("#session-header")).to_contain_text("Volt-22")
    expect(page.locator("#session-header")).to_contain_text("Lab <b>North</b>")  # shown, not interpreted
    expect(page.locator("#live")).to_have_attribute("data-live", "open")
    page.evaluate("window.sameDocument = true")  # gone if anything reloads the page

    # Item 4: the button sends GetConfiguration; the answer shows inline and the
    # verdict moves on from Open through the live socket.
    open_item(page, 4)
    send(page, "Get all keys")
    expect(page.locator("#item-panel .result")).to_contain_text("HeartbeatInterval")
    expect(page.locator("tr[data-item='4']")).not_to_have_attribute("data-verdict", "open", timeout=WAIT_MS)

    # Item 17: ClearCache answered Accepted passes the item, live.
    open_item(page, 17)
    send(page, "Clear cache")
    expect(page.locator("#item-panel .result")).to_contain_text("Accepted")
    expect(page.locator("tr[data-item='17']")).to_have_attribute("data-verdict", "passed", timeout=WAIT_MS)
    expect(page.locator("#item-status [data-role=auto]")).to_contain_text("Passed")
    expect(page.locator("#item-status .evidence li").first).to_be_visible()
    # The clicked commands, besides the pre-flight probe's GetConfiguration.
    assert [a for a, _ in charger.received if a != "GetConfiguration"] == ["ClearCache"]
    assert 1 <= [a for a, _ in charger.received].count("GetConfiguration") <= 2

    # Override: a verdict without a remark is refused beside the field.
    page.select_option("#item-override select[name=verdict]", "failed")
    page.click("#item-override button[name=set]")
    expect(page.locator("#item-override .field-error")).to_contain_text("Say why")
    page.fill("#item-override input[name=remark]", "Cache kept entries after Accepted")
    page.click("#item-override button[name=set]")
    row = page.locator("tr[data-item='17']")
    expect(row.locator("[data-role=override]")).to_contain_text("Failed")
    expect(row.locator("[data-role=auto]")).to_contain_text("Passed")
    expect(row).to_contain_text("Cache kept entries after Accepted")
    expect(page.locator("#item-status .override-note")).to_contain_text("by engineer")
    expect(page.locator("#session-summary [data-count=failed]")).to_contain_text("1")

    assert page.evaluate("window.sameDocument") is True
    page.locator("#item-panel").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path="/tmp/ocpp-session-page.png")
