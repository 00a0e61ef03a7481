"""Session history in a real browser: the engineer signs a session off, downloads
its signed PDF, and finds the session again by its firmware version.

The browser walks once per module (a fixture keeps what each page showed and the
PDF it downloaded); each test checks one thing it saw."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from certify.signing import verify
from tests import browser
from tests.browser import ChargerLoop, seen_count, seen_text, seen_visible
from tests.chargers.client import boot, connected
from tests.conftest import chromium_binary

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def new_session(server, cp_id: str) -> int:
    status, body = server.api("POST", "/sessions", {"charge_point_id": cp_id, "engineer_name": "Ada Tester"})
    assert status == 201, body
    return body["id"]


@pytest.fixture(scope="module")
def walk(module_server, tmp_path_factory) -> dict:
    """Two chargers with different firmware, a session each; the newer one is
    signed off, its report downloaded, then both looked for in the history."""
    executable = chromium_binary()
    server = module_server()
    seen: dict = {}
    charger_loop = ChargerLoop()
    try:
        for cp_id, firmware in (("CP-HIST-OLD", "3.0.9"), ("CP-HIST-NEW", "3.1.0-rc2")):
            charger = charger_loop.enter(connected(server.ws_url, cp_id))
            charger_loop.run(boot(charger, firmware_version=firmware))
        old, new = new_session(server, "CP-HIST-OLD"), new_session(server, "CP-HIST-NEW")
        with browser.logged_in(server, executable) as page:
            # Sign-off: a missing role is refused beside its field, nothing is signed.
            page.goto(f"{server.http_url}/history/{new}/sign/")
            seen["fingerprint"] = page.locator("#fingerprint").inner_text()
            page.fill("input[name=name]", "Ada Lovelace")
            page.fill("input[name=role]", "")
            page.click("#sign")
            seen["missing role"] = seen_text(page.locator("#signoff-form .field-error"), "In what role?")
            page.fill("input[name=role]", "Test engineer")

            # Preview: the same report as a page, with what was typed, and nothing signed.
            with page.expect_popup() as popup_info:
                page.click("#preview")
            preview = popup_info.value
            seen["preview banner"] = seen_text(preview.locator(".preview-banner"), "Nothing is signed yet")
            seen["preview"] = seen_text(preview.locator("body"), "Ada Lovelace, Test engineer would sign")
            seen["preview rows"] = seen_count(preview.locator("table.results tbody tr"), 18)
            preview.close()

            page.click("#sign")
            page.wait_for_url(f"**/history/{new}/")

            with page.expect_download() as download_info:
                page.click("#download-report")
            path = tmp_path_factory.mktemp("history") / "report.pdf"
            download_info.value.save_as(path)
            seen["pdf"] = path.read_bytes()

            # History: filter by firmware finds the signed session and not the other one.
            page.goto(f"{server.http_url}/history/")
            seen["old listed"] = seen_visible(page.locator(f"#history tr[data-session='{old}']"))
            page.fill("#history-filter input[name=firmware]", "3.1.0")
            page.click("#history-filter button[type=submit]")
            row = page.locator(f"#history tr[data-session='{new}']")
            seen["new found"] = seen_text(row, "3.1.0-rc2")
            seen["new found signed"] = seen_text(row, "signed")
            seen["old found"] = seen_count(page.locator(f"#history tr[data-session='{old}']"), 0)
    finally:
        charger_loop.close()
    return seen


@pytest.fixture(scope="module")
def report_text(walk) -> str:
    reader = PdfReader(io.BytesIO(walk["pdf"]))
    return " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())


def test_the_sign_off_page_shows_the_reports_sha256_fingerprint(walk):
    fingerprint = walk["fingerprint"]
    assert len(fingerprint.replace(":", "")) == 64, fingerprint  # SHA-256, hex


def test_a_sign_off_without_a_role_is_refused_beside_the_field(walk):
    assert "In what role?" in walk["missing role"]


def test_the_preview_says_nothing_is_signed_yet(walk):
    assert "Nothing is signed yet" in walk["preview banner"]


def test_the_preview_shows_who_would_sign_as_typed(walk):
    assert "Ada Lovelace, Test engineer would sign" in walk["preview"]


def test_the_preview_lists_all_18_items(walk):
    assert walk["preview rows"] == 18


def test_the_downloaded_report_is_validly_signed(walk):
    checked = verify(walk["pdf"])
    assert checked.ok, checked.problems


def test_the_downloaded_report_names_the_chargers_firmware(report_text):
    assert "Firmware Version: 3.1.0-rc2" in report_text


def test_the_downloaded_report_names_who_signed_it(report_text):
    assert "Ada Lovelace" in report_text


def test_the_unfiltered_history_lists_an_unsigned_session_too(walk):
    assert walk["old listed"] is True


def test_filtering_by_firmware_finds_the_session_with_it(walk):
    assert "3.1.0-rc2" in walk["new found"]


def test_the_history_shows_a_signed_session_as_signed(walk):
    assert "signed" in walk["new found signed"]


def test_filtering_by_firmware_leaves_out_other_firmware(walk):
    assert walk["old found"] == 0
