"""Item 16 by button, in a real browser: the engineer takes the charger offline
for N s from the item's panel; the socket closes, the panel counts down while
reconnects are refused, and offers the button again once the window is over."""

from __future__ import annotations

import asyncio

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import ChargerLoop
from tests.chargers.client import boot, connected

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


async def closed(charger) -> int | None:
    await asyncio.wait_for(charger._connection.wait_closed(), 10)
    return charger._connection.close_code


def test_take_offline_from_the_item_panel_closes_the_socket_and_counts_down(
    live_server_ocpp, logged_in_page, charger_loop: ChargerLoop
):
    server, page = live_server_ocpp, logged_in_page
    charger = charger_loop.enter(connected(server.ws_url, "CP-OFF-BROWSER"))
    charger_loop.run(boot(charger))
    _, session = server.api("POST", "/sessions", {"charge_point_id": "CP-OFF-BROWSER"})
    page.goto(f"{server.http_url}/sessions/{session['id']}/?item=16")
    panel = page.locator("#item-offline")
    panel.locator("input[name=seconds]").fill("3")
    panel.locator("button[type=submit]", has_text="Take offline").click()
    expect(page.locator("#item-offline")).to_contain_text("reconnects of CP-OFF-BROWSER are refused for")
    # Taking it offline is the item's action: its first attempt runs now.
    expect(page.locator("#item-status [data-attempt='1']")).to_contain_text("running")
    assert charger_loop.run(closed(charger)) == 4001
    expect(page.locator("#item-offline button[type=submit]")).to_have_text("Take offline", timeout=15_000)
