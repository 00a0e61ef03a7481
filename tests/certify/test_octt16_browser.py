"""An OCTT session in a real browser against the built-in simulator: the
engineer picks the octt16 catalog at /sessions/new/, sees the cases by TC id
under their feature profile, runs TC_040_1_CS from its button, and works
TC_003_CS by hand (the page says what to do; the simulator is the hand), each
verdict arriving live.

The browser walks once per module; each test checks one thing it saw."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chargers.simulator.control import act
from tests import browser
from tests.browser import WAIT_MS, ChargerLoop, seen_attribute, seen_text
from tests.conftest import chromium_binary
from tests.simulator.live import running

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]
CP = "SIM-OCTT-PAGE"


def open_case(page, key: str) -> None:
    page.locator(f"tr[data-item='{key}'] a.item-open").click()
    expect(page.locator("#item-panel")).to_have_attribute("data-item", key)
    browser.settled(page)


@pytest.fixture(scope="module")
def walk(module_server) -> dict:
    executable = chromium_binary()
    server = module_server()
    seen: dict = {}
    loop = ChargerLoop()
    try:
        sim = loop.enter(running(server, CP))
        with browser.logged_in(server, executable) as page:
            page.goto(f"{server.http_url}/sessions/new/")
            page.fill("input[name=charge_point_id]", CP)
            page.select_option("select[name=catalog]", "octt16")
            page.click("#session-new button[type=submit]")
            page.wait_for_url("**/sessions/*/")
            seen["core heading"] = seen_text(page.locator("tr.group-heading[data-group=core]"), "Core")
            seen["first case id"] = seen_text(page.locator("tr[data-item='TC_001_CS'] td").first, "TC_001_CS")
            seen["rows"] = page.locator("tr.item-row").count()

            # TC_040_1_CS from its button: ChangeConfiguration of an unknown key, NotSupported.
            open_case(page, "TC_040_1_CS")
            seen["credit"] = seen_text(page.locator("#item-panel .manual"), "OCA OCTT test case document")
            page.locator("#item-panel form.item-command button[type=submit]").first.click()
            seen["TC_040_1_CS verdict"] = seen_attribute(
                page.locator("tr[data-item='TC_040_1_CS']"), "data-verdict", "passed", timeout=WAIT_MS
            )

            # TC_003_CS by hand: the page says what to do, the simulator does it.
            open_case(page, "TC_003_CS")
            page.locator("#item-status [data-role=start-attempt]").click()
            seen["prompt"] = seen_text(page.locator("#item-status [data-role=waiting]"), "Plug the EV in")
            loop.run(act(sim, "plug", {"connector": 1}))
            seen["second prompt"] = seen_text(page.locator("#item-status [data-role=waiting]"), "Present the valid tag")
            loop.run(act(sim, "swipe", {"connector": 1, "tag": "CERTIFY-OK"}))
            seen["TC_003_CS verdict"] = seen_attribute(
                page.locator("tr[data-item='TC_003_CS']"), "data-verdict", "passed", timeout=WAIT_MS
            )
            seen["TC_003_CS steps"] = seen_text(page.locator("#item-status [data-role=steps]"), "StartTransaction")
    finally:
        loop.close()
    return seen


def test_the_cases_are_listed_by_feature_profile_with_their_ids(walk) -> None:
    assert walk["core heading"] == "Core"
    assert walk["first case id"] == "TC_001_CS"
    assert walk["rows"] == 102


def test_a_case_credits_the_oca_document(walk) -> None:
    assert "Derived from the OCA OCTT test case document, FINAL 2024-04" in walk["credit"]


def test_a_case_run_from_its_button_passes_live(walk) -> None:
    assert walk["TC_040_1_CS verdict"] == "passed"


def test_a_manual_step_is_prompted_and_the_next_one_follows(walk) -> None:
    assert "To do by hand: Plug the EV in" in walk["prompt"]
    assert "To do by hand: Present the valid tag" in walk["second prompt"]


def test_a_case_worked_by_hand_passes_live(walk) -> None:
    assert walk["TC_003_CS verdict"] == "passed"
    assert "StartTransaction" in walk["TC_003_CS steps"]
