"""A certification session in a real browser: the engineer creates it, sends
item commands from their buttons, sees verdicts change live without a reload,
and overrides one with a remark while the automatic verdict stays beside it.

The browser walks once per module (a fixture keeps what each page showed);
each test checks one thing it saw."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import browser
from tests.browser import WAIT_MS, ChargerLoop, seen_attribute, seen_text, seen_visible
from tests.chargers.client import boot, connected
from tests.conftest import chromium_binary

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def open_item(page, number: int) -> None:
    page.locator(f"tr[data-item='{number}'] a.item-open").click()
    expect(page.locator("#item-panel")).to_have_attribute("data-item", str(number))
    browser.settled(page)


def send(page, label: str) -> None:
    page.locator("#item-panel form.item-command button[type=submit]", has_text=label).click()


@pytest.fixture(scope="module")
def walk(module_server) -> dict:
    """The engineer creates a session, runs items 4 and 17 from their buttons and
    overrides item 17, all on one page."""
    executable = chromium_binary()
    server = module_server()
    seen: dict = {}
    charger_loop = ChargerLoop()
    try:
        charger = charger_loop.enter(connected(server.ws_url, "CP-SESSION-1"))
        charger_loop.run(boot(charger))
        with browser.logged_in(server, executable) as page:
            page.goto(f"{server.http_url}/sessions/new/")
            page.fill("input[name=charge_point_id]", "CP-SESSION-1")
            page.fill("input[name=engineer_name]", "Ada Tester")
            page.fill("input[name=lab]", "Lab <b>North</b>")
            page.click("#session-new button[type=submit]")
            page.wait_for_url("**/sessions/*/")
            header = page.locator("#session-header")
            seen["header"] = seen_text(header, "Volt-22")
            seen["header with lab"] = seen_text(header, "Lab <b>North</b>")
            seen["live"] = seen_attribute(page.locator("#live"), "data-live", "open")
            page.evaluate("window.sameDocument = true")  # gone if anything reloads the page

            # Item 4: the button sends GetConfiguration; the answer shows inline and the
            # verdict moves on from Open to Passed through the live socket.
            open_item(page, 4)
            send(page, "Get all keys")
            seen["item 4 result"] = seen_text(page.locator("#item-panel .result"), "HeartbeatInterval")
            seen["item 4 verdict"] = seen_attribute(
                page.locator("tr[data-item='4']"), "data-verdict", "passed", timeout=WAIT_MS
            )

            # Item 17: ClearCache answered Accepted passes the item, live.
            open_item(page, 17)
            send(page, "Clear cache")
            seen["item 17 result"] = seen_text(page.locator("#item-panel .result"), "Accepted")
            seen["item 17 verdict"] = seen_attribute(
                page.locator("tr[data-item='17']"), "data-verdict", "passed", timeout=WAIT_MS
            )
            seen["item 17 auto"] = seen_text(page.locator("#item-status [data-role=auto]"), "Passed")
            seen["item 17 evidence shown"] = seen_visible(page.locator("#item-status table.evidence tr").first)
            seen["charger received"] = [action for action, _ in charger.received]

            # Override: a verdict without a remark is refused beside the field.
            failed = page.locator("#session-summary [data-count=failed] strong")
            seen["failed count before"] = failed.text_content().strip()
            page.select_option("#item-override select[name=verdict]", "failed")
            page.click("#item-override button[name=set]")
            seen["override error"] = seen_text(page.locator("#item-override .field-error"), "Say why")
            page.fill("#item-override input[name=remark]", "Cache kept entries after Accepted")
            page.click("#item-override button[name=set]")
            row = page.locator("tr[data-item='17']")
            seen["row override"] = seen_text(row.locator("[data-role=override]"), "Failed")
            seen["row auto"] = seen_text(row.locator("[data-role=auto]"), "Passed")
            seen["row"] = seen_text(row, "Cache kept entries after Accepted")
            seen["override note"] = seen_text(page.locator("#item-status .override-note"), "by engineer")
            seen["failed count"] = seen_text(failed, "1")

            seen["same document"] = page.evaluate("window.sameDocument")
            page.locator("#item-panel").scroll_into_view_if_needed()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path="/tmp/ocpp-session-page.png")
    finally:
        charger_loop.close()
    return seen


def test_the_session_page_names_the_chargers_model(walk):
    assert "Volt-22" in walk["header"]


def test_the_lab_name_is_shown_as_typed_not_interpreted(walk):
    assert "Lab <b>North</b>" in walk["header with lab"]


def test_the_session_page_opens_its_live_socket(walk):
    assert walk["live"] == "open"


def test_an_items_command_button_shows_the_chargers_answer_inline(walk):
    assert "HeartbeatInterval" in walk["item 4 result"]


def test_an_items_verdict_moves_on_from_open_to_passed_live(walk):
    assert walk["item 4 verdict"] == "passed"


def test_clear_cache_answered_accepted_shows_the_answer(walk):
    assert "Accepted" in walk["item 17 result"]


def test_clear_cache_answered_accepted_passes_item_17_live(walk):
    assert walk["item 17 verdict"] == "passed"


def test_the_item_panel_shows_the_automatic_verdict(walk):
    assert "Passed" in walk["item 17 auto"]


def test_the_item_panel_shows_the_evidence(walk):
    assert walk["item 17 evidence shown"] is True


def test_the_charger_receives_only_the_clicked_commands(walk):
    # The clicked commands, besides the pre-flight probe's GetConfiguration.
    assert [a for a in walk["charger received"] if a != "GetConfiguration"] == ["ClearCache"]


def test_get_configuration_is_sent_only_by_the_probe_and_item_4(walk):
    assert walk["charger received"].count("GetConfiguration") == 2


def test_an_override_without_a_remark_is_refused_beside_the_field(walk):
    assert "Say why" in walk["override error"]


def test_an_override_shows_the_engineers_verdict(walk):
    assert "Failed" in walk["row override"]


def test_an_override_keeps_the_automatic_verdict_beside_it(walk):
    assert "Passed" in walk["row auto"]


def test_an_override_shows_its_remark_in_the_row(walk):
    assert "Cache kept entries after Accepted" in walk["row"]


def test_an_override_says_who_made_it(walk):
    assert "by engineer" in walk["override note"]


def test_an_override_counts_in_the_summary(walk):
    assert (walk["failed count before"], walk["failed count"]) == ("0", "1")


def test_nothing_reloads_the_page(walk):
    assert walk["same document"] is True
