"""An OCTT session in a real browser against the built-in simulator: the
engineer picks the octt16 catalog at /sessions/new/, sees the cases by TC id
under their feature profile, runs TC_040_1_CS from its button, and works
TC_003_CS by hand (the page says what to do, with a Done button and a
countdown; the simulator is the hand), each verdict arriving live; a step by
hand left undone until its countdown ends leaves TC_041_CS inconclusive; the
declaration is edited on the page (a bad value said beside its field, a
profile left out makes its cases Not supported at once).

The browser walks once per module; each test checks one thing it saw."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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


def _short_steps(session_pk: int, seconds: int) -> None:
    """The session's test data gives a step by hand `seconds` (the countdown's budget)."""
    from certify.models import CertSession

    session = CertSession.objects.get(pk=session_pk)
    session.options = {**session.options, "test_data": {"manual_step_seconds": seconds}}
    session.save(update_fields=["options"])


@pytest.fixture(scope="module")
def walk(module_server, db_access) -> dict:
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
            seen["checklist credit"] = seen_text(page.locator("[data-role=catalog-credit]"), "OCA OCTT")

            # TC_040_1_CS from its button: ChangeConfiguration of an unknown key, NotSupported.
            open_case(page, "TC_040_1_CS")
            seen["credit"] = seen_text(page.locator("#item-panel .manual"), "OCA OCTT test case document")
            page.locator("#item-panel form.item-command button[type=submit]").first.click()
            seen["TC_040_1_CS verdict"] = seen_attribute(
                page.locator("tr[data-item='TC_040_1_CS']"), "data-verdict", "passed", timeout=WAIT_MS
            )

            # TC_003_CS by hand: the page says what to do; Done confirms the first step, the simulator does it.
            open_case(page, "TC_003_CS")
            page.locator("#item-status [data-role=start-attempt]").click()
            seen["prompt"] = seen_text(page.locator("#item-status [data-role=waiting]"), "Plug the EV in")
            seen["countdown"] = seen_text(page.locator("#item-status [data-role=waiting] time.countdown"), "s left")
            page.locator("#item-status [data-role=step-done]").click()
            seen["confirmed"] = seen_text(page.locator("#item-status [data-role=steps]"), "confirmed")
            seen["after done"] = seen_text(page.locator("#item-status [data-role=waiting]"), "awaiting")
            loop.run(act(sim, "plug", {"connector": 1}))
            seen["second prompt"] = seen_text(page.locator("#item-status [data-role=waiting]"), "Present the valid tag")
            loop.run(act(sim, "swipe", {"connector": 1, "tag": "CERTIFY-OK"}))
            seen["TC_003_CS verdict"] = seen_attribute(
                page.locator("tr[data-item='TC_003_CS']"), "data-verdict", "passed", timeout=WAIT_MS
            )
            seen["TC_003_CS steps"] = seen_text(page.locator("#item-status [data-role=steps]"), "StartTransaction")
            session_pk = int(page.url.split("/sessions/")[1].split("/")[0])
            loop.run(act(sim, "unplug", {"connector": 1}))  # the EV leaves: TC_003_CS's transaction ends

            # A profile run from the page: the server works Remote Trigger's two cases one after the other.
            page.select_option("#session-run select[name=what]", "group:remote-trigger")
            page.locator("#session-run [data-role=run-start]").click()
            seen["profile run"] = seen_attribute(
                page.locator("#session-run"), "data-state", "done", timeout=2 * WAIT_MS
            )
            seen["profile run said"] = seen_text(page.locator("#session-run [data-role=run-said]"), "TC_055_CS")
            seen["trigger verdicts"] = [
                seen_attribute(page.locator(f"tr[data-item='{key}']"), "data-verdict", "passed")
                for key in ("TC_054_CS", "TC_055_CS")
            ]

            # One case run from its panel: the server sends the remote start once the engineer's plug is done.
            open_case(page, "TC_010_CS")
            page.locator("#item-status [data-role=run-case]").click()
            seen["run prompt"] = seen_text(page.locator("#item-status [data-role=prompt]"), "Plug the EV in")
            seen["run state"] = seen_text(page.locator("#session-run [data-role=run-state]"), "TC_010_CS")
            page.locator("#item-status [data-role=step-done]").click()
            loop.run(act(sim, "plug", {"connector": 1}))
            seen["TC_010_CS verdict"] = seen_attribute(
                page.locator("tr[data-item='TC_010_CS']"), "data-verdict", "passed", timeout=WAIT_MS
            )
            seen["TC_010_CS steps"] = seen_text(page.locator("#item-status [data-role=steps]"), "confirmed")
            seen["way back"] = seen_text(page.locator("#session-run [data-role=run-said]"), "unplug")
            loop.run(act(sim, "unplug", {"connector": 1}))  # the way back waits for the connector to be free
            seen["case run"] = seen_attribute(page.locator("#session-run"), "data-state", "done", timeout=2 * WAIT_MS)

            # TC_041_CS: its first step by hand left undone until the countdown ends.
            with ThreadPoolExecutor(1) as pool:  # Playwright's loop owns this thread: the ORM goes to another
                pool.submit(db_access, _short_steps, session_pk, 3).result(10)
            open_case(page, "TC_041_CS")
            page.locator("#item-status [data-role=start-attempt]").click()
            seen["fault prompt"] = seen_text(page.locator("#item-status [data-role=prompt]"), "fault state")
            seen["TC_041_CS verdict"] = seen_attribute(
                page.locator("tr[data-item='TC_041_CS']"), "data-verdict", "inconclusive", timeout=WAIT_MS
            )
            seen["TC_041_CS reason"] = seen_text(page.locator("#item-status [data-role=reason]"), "not confirmed")

            # The declaration: prefilled, a bad value said beside its field, a profile left out.
            page.locator("#session-declaration summary").click()
            connectors = page.locator("#session-declaration [data-field=connectors] input")
            seen["connectors prefilled"] = connectors.input_value()
            seen["TC_046_1_CS before"] = page.locator("tr[data-item='TC_046_1_CS']").get_attribute("data-verdict")
            connectors.fill("0")
            page.locator("#session-declaration [data-role=save-declaration]").click()
            seen["bad value"] = seen_text(
                page.locator("#session-declaration [data-field=connectors] [data-role=field-error]"), "not 0"
            )
            page.locator("#session-declaration [data-field=connectors] input").fill("2")
            page.locator("#session-declaration input[name=profiles][value=Reservation]").uncheck()
            page.locator("#session-declaration [data-role=save-declaration]").click()
            seen["saved"] = seen_text(page.locator("#session-declaration [data-role=declaration-saved]"), "Saved")
            seen["TC_046_1_CS after"] = seen_attribute(
                page.locator("tr[data-item='TC_046_1_CS']"), "data-verdict", "not_supported", timeout=WAIT_MS
            )
    finally:
        loop.close()
    return seen


def test_the_cases_are_listed_by_feature_profile_with_their_ids(walk) -> None:
    assert walk["core heading"] == "Core"
    assert walk["first case id"] == "TC_001_CS"
    assert walk["rows"] == 102


def test_a_case_credits_the_oca_document(walk) -> None:
    assert "Derived from the OCA OCTT test case document, FINAL 2024-04" in walk["credit"]
    assert walk["checklist credit"] == "Derived from the OCA OCTT test case document, FINAL 2024-04."


def test_a_case_run_from_its_button_passes_live(walk) -> None:
    assert walk["TC_040_1_CS verdict"] == "passed"


def test_a_manual_step_is_prompted_and_the_next_one_follows(walk) -> None:
    assert "To do by hand: Plug the EV in" in walk["prompt"]
    assert "To do by hand: Present the valid tag" in walk["second prompt"]


def test_a_manual_step_counts_down_its_time(walk) -> None:
    assert walk["countdown"].endswith("s left") and int(walk["countdown"].split()[0]) > 60


def test_done_confirms_the_step_in_the_evidence_and_the_case_goes_on(walk) -> None:
    assert "Plug the EV in (at the EV and at the charger) (done by hand, confirmed)" in walk["confirmed"]
    assert "awaiting StatusNotification with status Preparing" in walk["after done"]
    assert "To do by hand" not in walk["after done"]


def test_a_step_left_undone_past_its_countdown_ends_the_case_inconclusive(walk) -> None:
    assert "Put the connector in a fault state" in walk["fault prompt"]
    assert walk["TC_041_CS verdict"] == "inconclusive"
    assert "not done within its time; not confirmed done by" in walk["TC_041_CS reason"]


def test_a_profile_runs_from_the_page_case_after_case(walk) -> None:
    assert walk["profile run"] == "done"
    assert "TC_054_CS: passed" in walk["profile run said"] and "TC_055_CS: passed" in walk["profile run said"]
    assert walk["trigger verdicts"] == ["passed", "passed"]


def test_one_case_runs_from_its_panel_the_server_waiting_for_the_step_by_hand(walk) -> None:
    assert "Done: Plug the EV in" in walk["run prompt"]
    assert "running TC_010_CS (1 of 1)" in walk["run state"]
    assert walk["TC_010_CS verdict"] == "passed"
    assert "(done by hand, confirmed)" in walk["TC_010_CS steps"]
    assert "TC_010_CS: by hand, before the next case: unplug at connector 1" in walk["way back"]
    assert walk["case run"] == "done"


def test_the_declaration_is_prefilled_from_the_configuration(walk) -> None:
    assert walk["connectors prefilled"] == "2"  # the simulator's NumberOfConnectors (the default declares 1)
    assert walk["TC_046_1_CS before"] == "open"


def test_a_bad_declared_value_is_said_beside_its_field(walk) -> None:
    assert "A charger has 1 to 32 connectors (NumberOfConnectors), not 0." in walk["bad value"]


def test_saving_the_declaration_changes_which_cases_apply_live(walk) -> None:
    assert "Saved" in walk["saved"]
    assert walk["TC_046_1_CS after"] == "not_supported"


def test_a_case_worked_by_hand_passes_live(walk) -> None:
    assert walk["TC_003_CS verdict"] == "passed"
    assert "StartTransaction" in walk["TC_003_CS steps"]
