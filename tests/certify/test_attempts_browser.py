"""Attempts in a real browser: an item fails, the engineer retries it, the
second attempt passes, and the page shows both attempts and the verdict's
history."""

from __future__ import annotations

import pytest
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from playwright.sync_api import expect

from tests import browser
from tests.browser import WAIT_MS, ChargerLoop
from tests.chargers.client import TestCharger, boot, connected

pytestmark = pytest.mark.chromium
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


class CacheThatFailsOnce(TestCharger):
    """Has an authorization cache, refuses the first ClearCache, clears the next."""

    clears = 0

    @on(Action.get_configuration)
    def on_get_configuration(self, **kw):
        self._note("GetConfiguration", **kw)
        keys = [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "AuthorizationCacheEnabled", "readonly": False, "value": "true"},
        ]
        return call_result.GetConfiguration(configuration_key=keys)

    @on(Action.clear_cache)
    def on_clear_cache(self, **kw):
        self._note("ClearCache", **kw)
        self.clears += 1
        return call_result.ClearCache(status="Rejected" if self.clears == 1 else "Accepted")


def test_a_failed_item_passes_on_its_second_attempt(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    page, server = logged_in_page, live_server_ocpp
    charger = charger_loop.enter(connected(server.ws_url, "CP-RETRY-1", charger_class=CacheThatFailsOnce))
    charger_loop.run(boot(charger))

    page.goto(f"{server.http_url}/sessions/new/")
    page.fill("input[name=charge_point_id]", "CP-RETRY-1")
    page.click("#session-new button[type=submit]")
    page.wait_for_url("**/sessions/*/")

    page.locator("tr[data-item='17'] a.item-open").click()
    expect(page.locator("#item-panel")).to_have_attribute("data-item", "17")
    browser.settled(page)
    expect(page.locator("#item-status [data-role=attempts]")).to_contain_text("No attempt yet")

    # Attempt 1: the charger has a cache and refuses to clear it: Failed (§5.4).
    page.locator("#item-panel form.item-command button[type=submit]", has_text="Clear cache").click()
    row = page.locator("tr[data-item='17']")
    expect(row).to_have_attribute("data-verdict", "failed", timeout=WAIT_MS)
    status = page.locator("#item-status")
    expect(status.locator("[data-attempt='1']")).to_have_attribute("data-verdict", "failed")
    expect(status).to_contain_text("§5.4")

    # Retry: attempt 2 starts, the command is sent again and passes.
    status.locator("[data-role=start-attempt]").click()
    expect(status.locator("[data-attempt='2']")).to_contain_text("running")
    page.locator("#item-panel form.item-command button[type=submit]", has_text="Clear cache").click()
    expect(row).to_have_attribute("data-verdict", "passed", timeout=WAIT_MS)
    expect(status.locator("[data-attempt='1']")).to_have_attribute("data-verdict", "failed")
    expect(status.locator("[data-attempt='2']")).to_have_attribute("data-verdict", "passed")
    expect(status).to_contain_text("passed on attempt 2; attempt 1 failed")
    expect(status.locator("[data-role=history]")).to_contain_text("failed → passed")
    assert [a for a, _ in charger.received if a == "ClearCache"] == ["ClearCache", "ClearCache"]
    page.screenshot(path="/tmp/ocpp-attempts.png", full_page=True)
