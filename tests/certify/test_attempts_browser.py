"""Attempts in a real browser: an item fails, the engineer retries it, the
second attempt passes, and the page shows both attempts and the verdict's
history."""

from __future__ import annotations

import re

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
    expect(page.locator("#item-status [data-role=status-line]")).to_contain_text("Not started")

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
    expect(status.locator("[data-role=status-line]")).to_have_text(re.compile(r"^Passed on attempt 2 \("))
    expect(status.locator("[data-role=history]")).to_contain_text("failed → passed")
    assert [a for a, _ in charger.received if a == "ClearCache"] == ["ClearCache", "ClearCache"]
    page.screenshot(path="/tmp/ocpp-attempts.png", full_page=True)


class CacheThatClears(TestCharger):
    """Has an authorization cache and clears it every time."""

    @on(Action.get_configuration)
    def on_get_configuration(self, **kw):
        self._note("GetConfiguration", **kw)
        keys = [{"key": "AuthorizationCacheEnabled", "readonly": False, "value": "true"}]
        return call_result.GetConfiguration(configuration_key=keys)


def test_a_command_after_a_final_verdict_asks_first(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    """Outside an attempt the verdict stays and no attempt opens; as a new attempt,
    the attempt closes itself once its evidence is complete."""
    page, server = logged_in_page, live_server_ocpp
    charger = charger_loop.enter(connected(server.ws_url, "CP-ASK-1", charger_class=CacheThatClears))
    charger_loop.run(boot(charger))
    _, session = server.api("POST", "/sessions", {"charge_point_id": "CP-ASK-1"})
    page.goto(f"{server.http_url}/sessions/{session['id']}/?item=17")
    clear = page.locator("#item-panel form.item-command button[type=submit]", has_text="Clear cache")
    clear.click()
    row = page.locator("tr[data-item='17']")
    expect(row).to_have_attribute("data-verdict", "passed", timeout=WAIT_MS)
    status = page.locator("#item-status")
    expect(status.locator("[data-attempt='1']")).to_have_attribute("data-verdict", "passed")

    # Again, now that the item is Passed: the panel asks, nothing is sent yet.
    clear.click()
    ask = page.locator("#item-panel [data-role=ask-attempt]")
    expect(ask).to_contain_text("already Passed")
    assert [a for a, _ in charger.received].count("ClearCache") == 1
    ask.locator("[data-role=outside-attempt]").click()
    expect(page.locator("#item-panel .item-command .result")).to_contain_text("Accepted")
    assert [a for a, _ in charger.received].count("ClearCache") == 2
    expect(status.locator("[data-attempt]")).to_have_count(1)
    expect(row).to_have_attribute("data-verdict", "passed")
    expect(page.locator("#frames tbody tr", has_text="(outside an attempt)").first).to_be_visible(timeout=WAIT_MS)

    # As a new attempt: attempt 2 opens, its evidence is complete at once, and it closes itself.
    clear.click()
    page.locator("#item-panel [data-role=ask-attempt] [data-role=as-new-attempt]").click()
    expect(status.locator("[data-attempt='2']")).to_have_attribute("data-verdict", "passed", timeout=WAIT_MS)
    expect(status.locator("[data-role=status-line]")).to_have_text(re.compile(r"^Passed on attempt 2 \("))
    assert [a for a, _ in charger.received].count("ClearCache") == 3
