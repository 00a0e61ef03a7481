"""The simulator panel on the charger page, in a real browser: an engineer plugs
the cable and swipes a card on a simulated charger, and the frames the charger
sends for it reach the evidence log; a bad value is refused beside its field."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

from chargers.simulator import SimulatedCharger, SimulatorOptions
from chargers.simulator.control import ControlServer
from tests import browser
from tests.browser import WAIT_MS, ChargerLoop
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.chromium
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


async def start_simulator(ws_url: str, cp_id: str) -> tuple[SimulatedCharger, asyncio.Task, asyncio.Server]:
    sim = SimulatedCharger(SimulatorOptions(url=ws_url, charge_point_id=cp_id))
    task = asyncio.create_task(sim.run())
    await sim.wait_booted(15)
    control = await ControlServer({cp_id: sim}).serve(urlsplit(settings.SIMULATOR_CONTROL_URL).port)
    return sim, task, control


async def stop_simulator(sim: SimulatedCharger, task: asyncio.Task, control: asyncio.Server) -> None:
    control.close()
    await sim.stop()
    task.cancel()


def test_the_panel_drives_a_simulated_charger(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    page, server = logged_in_page, live_server_ocpp
    sim, task, control = charger_loop.run(start_simulator(server.ws_url, "SIM-PANEL"))
    try:
        page.goto(f"{server.http_url}/chargers/SIM-PANEL/")
        panel = page.locator("#simulator-panel")
        expect(panel).to_contain_text("SIM-PANEL is a simulated charger")

        panel.locator("input[name=connector]").fill("1")
        panel.get_by_role("button", name="Plug in").click()
        expect(page.locator("#simulator-result")).to_contain_text("Plug in: done")
        expect(page.locator("#simulator-connectors tr[data-connector='1']")).to_contain_text("plugged")

        # A swipe without an id tag is refused beside the field; nothing is sent.
        page.locator("#simulator-panel input[name=tag]").fill("")
        page.locator("#simulator-panel").get_by_role("button", name="Swipe card").click()
        expect(page.locator("#simulator-panel .field-error[data-field=tag]")).to_contain_text("Give the id tag")
        assert sim.connectors[1].transaction_id is None

        page.locator("#simulator-panel input[name=tag]").fill("PANEL-TAG")
        page.locator("#simulator-panel").get_by_role("button", name="Swipe card").click()
        expect(page.locator("#simulator-result")).to_contain_text("Swipe card: done")

        # The charger's own frames for those events are in the evidence log.
        status, frames = server.api("GET", "/chargers/SIM-PANEL/frames?limit=200")
        assert status == 200, frames
        items = frames["items"] if isinstance(frames, dict) else frames
        actions = [f["action"] for f in items if f["direction"] == "in"]
        assert "Authorize" in actions and "StartTransaction" in actions, actions
        raws = " ".join(f["raw"] for f in items)
        assert '"PANEL-TAG"' in raws and '"Preparing"' in raws
        expect(page.locator("#facts tr[data-connector='1']")).to_contain_text("Charging", timeout=WAIT_MS)

        # A charger the simulator does not run gets no panel.
        plain = charger_loop.enter(connected(server.ws_url, "CP-NOT-SIMULATED"))
        charger_loop.run(boot(plain))
        page.goto(f"{server.http_url}/chargers/CP-NOT-SIMULATED/")
        expect(page.locator("#facts")).to_contain_text("Volt-22")
        browser.settled(page)
        expect(page.locator("#simulator-panel")).to_be_hidden()
    finally:
        charger_loop.run(stop_simulator(sim, task, control))
