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


@pytest.fixture
def panel(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop):
    """A simulated charger's page with its panel; (page, simulated charger)."""
    sim, task, control = charger_loop.run(start_simulator(live_server_ocpp.ws_url, "SIM-PANEL"))
    try:
        logged_in_page.goto(f"{live_server_ocpp.http_url}/chargers/SIM-PANEL/")
        expect(logged_in_page.locator("#simulator-panel")).to_contain_text("SIM-PANEL is a simulated charger")
        yield logged_in_page, sim
    finally:
        charger_loop.run(stop_simulator(sim, task, control))


def click(page, button: str, **fields: str) -> None:
    for name, value in fields.items():
        page.locator(f"#simulator-panel input[name={name}]").fill(value)
    page.locator("#simulator-panel").get_by_role("button", name=button).click()


def test_the_panel_plugs_the_cable_in(panel):
    page, _ = panel
    click(page, "Plug in", connector="1")
    expect(page.locator("#simulator-result")).to_contain_text("Plug in: done")
    expect(page.locator("#simulator-connectors tr[data-connector='1']")).to_contain_text("plugged")


def test_a_swipe_without_an_id_tag_is_refused_beside_the_field(panel):
    page, sim = panel
    click(page, "Swipe card", tag="")
    expect(page.locator("#simulator-panel .field-error[data-field=tag]")).to_contain_text("Give the id tag")
    assert sim.connectors[1].transaction_id is None


def test_a_swipe_after_plugging_in_starts_charging(panel):
    page, _ = panel
    click(page, "Plug in", connector="1")
    expect(page.locator("#simulator-result")).to_contain_text("Plug in: done")
    click(page, "Swipe card", tag="PANEL-TAG")
    expect(page.locator("#simulator-result")).to_contain_text("Swipe card: done")
    expect(page.locator("#facts tr[data-connector='1']")).to_contain_text("Charging", timeout=WAIT_MS)


def test_the_chargers_frames_for_the_panels_events_reach_the_evidence_log(panel, live_server_ocpp):
    page, _ = panel
    click(page, "Plug in", connector="1")
    expect(page.locator("#simulator-result")).to_contain_text("Plug in: done")
    click(page, "Swipe card", tag="PANEL-TAG")
    expect(page.locator("#simulator-result")).to_contain_text("Swipe card: done")
    expect(page.locator("#facts tr[data-connector='1']")).to_contain_text("Charging", timeout=WAIT_MS)
    status, frames = live_server_ocpp.api("GET", "/chargers/SIM-PANEL/frames?limit=200")
    assert status == 200, frames
    items = frames["items"] if isinstance(frames, dict) else frames
    assert {"Authorize", "StartTransaction"} <= {f["action"] for f in items if f["direction"] == "in"}
    raws = " ".join(f["raw"] for f in items)
    assert '"PANEL-TAG"' in raws and '"Preparing"' in raws


def test_a_charger_the_running_simulator_does_not_run_gets_no_panel(panel, live_server_ocpp, charger_loop):
    page, server = panel[0], live_server_ocpp
    plain = charger_loop.enter(connected(server.ws_url, "CP-NOT-SIMULATED"))
    charger_loop.run(boot(plain))
    page.goto(f"{server.http_url}/chargers/CP-NOT-SIMULATED/")
    expect(page.locator("#facts")).to_contain_text("Volt-22")
    browser.settled(page)
    expect(page.locator("#simulator-panel")).to_be_hidden()
