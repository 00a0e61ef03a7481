"""Session history in a real browser: the engineer signs a session off, downloads
its signed PDF, and finds the session again by its firmware version."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from certify.signing import verify
from tests import browser
from tests.browser import ChargerLoop
from tests.chargers.client import boot, connected

pytestmark = pytest.mark.chromium
logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop


def new_session(server, cp_id: str) -> int:
    status, body = server.api("POST", "/sessions", {"charge_point_id": cp_id, "engineer_name": "Ada Tester"})
    assert status == 201, body
    return body["id"]


def test_sign_off_download_and_find_by_firmware(live_server_ocpp, logged_in_page, charger_loop: ChargerLoop, tmp_path):
    page, server = logged_in_page, live_server_ocpp
    for cp_id, firmware in (("CP-HIST-OLD", "3.0.9"), ("CP-HIST-NEW", "3.1.0-rc2")):
        charger = charger_loop.enter(connected(server.ws_url, cp_id))
        charger_loop.run(boot(charger, firmware_version=firmware))
    old, new = new_session(server, "CP-HIST-OLD"), new_session(server, "CP-HIST-NEW")

    # Sign-off: a missing role is refused beside its field, nothing is signed.
    page.goto(f"{server.http_url}/history/{new}/sign/")
    fingerprint = page.locator("#fingerprint").inner_text()
    assert len(fingerprint.replace(":", "")) == 64, fingerprint  # SHA-256, hex
    page.fill("input[name=name]", "Ada Lovelace")
    page.fill("input[name=role]", "")
    page.click("#sign")
    expect(page.locator("#signoff-form .field-error")).to_contain_text("In what role?")
    page.fill("input[name=role]", "Test engineer")

    # Preview: the same report as a page, with what was typed, and nothing signed.
    with page.expect_popup() as popup_info:
        page.click("#preview")
    preview = popup_info.value
    expect(preview.locator(".preview-banner")).to_contain_text("Nothing is signed yet")
    expect(preview.locator("body")).to_contain_text("Ada Lovelace, Test engineer would sign")
    expect(preview.locator("table.results tbody tr")).to_have_count(18)
    preview.close()

    page.click("#sign")
    page.wait_for_url(f"**/history/{new}/")

    with page.expect_download() as download_info:
        page.click("#download-report")
    path = tmp_path / "report.pdf"
    download_info.value.save_as(path)
    pdf = path.read_bytes()
    checked = verify(pdf)
    assert checked.ok, checked.problems
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Firmware Version: 3.1.0-rc2" in text and "Ada Lovelace" in text

    # History: filter by firmware finds the signed session and not the other one.
    page.goto(f"{server.http_url}/history/")
    expect(page.locator(f"#history tr[data-session='{old}']")).to_be_visible()
    page.fill("#history-filter input[name=firmware]", "3.1.0")
    page.click("#history-filter button[type=submit]")
    row = page.locator(f"#history tr[data-session='{new}']")
    expect(row).to_contain_text("3.1.0-rc2")
    expect(row).to_contain_text("signed")
    expect(page.locator(f"#history tr[data-session='{old}']")).to_have_count(0)
