"""The charger page's Findings panel in a real browser: a finding appears live, over
the page's socket, when the charger sends the frame that shows it (no reload), its
frame a click away in the log."""

from __future__ import annotations

import pytest
from ocpp.v16 import call
from playwright.sync_api import expect

from tests import browser
from tests.chargers.client import boot, connected

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

charger_loop = browser.charger_loop


def test_a_finding_shows_live_on_the_charger_page(live_server_ocpp, chromium_path, charger_loop):
    server = live_server_ocpp
    charger = charger_loop.enter(connected(server.ws_url, "CP-LIVE-FINDING"))
    charger_loop.run(boot(charger))
    with browser.logged_in(server, chromium_path) as page:
        page.goto(f"{server.http_url}/chargers/CP-LIVE-FINDING/?severity=violation")
        expect(page.locator("#live")).to_have_attribute("data-live", "open")
        naive = page.locator("#findings tr.finding[data-check='timestamp-no-zone']")
        expect(naive).to_have_count(0)
        page.evaluate("window.sameDocument = true")  # gone if anything reloads the page
        # §3.14: a time without a zone (UTC meant, not said).
        status = call.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        status.timestamp = "2026-01-01T12:00:00"
        charger_loop.run(charger.call(status))
        expect(naive).to_have_count(1)
        expect(page.locator("#findings [data-findings=violation]")).to_contain_text("1 violation")
        assert page.evaluate("window.sameDocument === true")
        # The filter in the URL stayed applied through the live refresh.
        assert page.locator("#findings-filter select[name=severity]").input_value() == "violation"
        link = naive.locator("a[data-frame-link]").first
        seq = link.text_content().strip("#")
        link.click()
        expect(page.locator(f"#frames tr.marked[data-seq='{seq}']")).to_have_count(1)
