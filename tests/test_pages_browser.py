"""Every page of the app in a real browser, at a phone's (390 px), a laptop's
(1024 px) and a wide screen's (1440 px) width, with no internet: nothing scrolls
sideways, the open item's close button is in view, no page logs a console error or
asks for anything but this server, and no page shows the session's upload
credentials, to an engineer or a viewer (they appear as *** as in the PDF).

The browser walks once per module (screenshots in /tmp/ocpp-pages/); each test
checks one thing it saw."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from tests import browser
from tests.browser import ChargerLoop
from tests.conftest import chromium_binary

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1024, 1440)
SHOTS = Path("/tmp/ocpp-pages")
CP = "SIM-PAGES"
FAST = {"auto_unplug": 0.5, "reboot_delay": 0.5, "backoff_base": 0.2}


def _pages(session: int, other: int, signed: int, tag: int, octt: int = 0, octt_case: str = "") -> dict[str, str]:
    """Every page of the app a logged-in person opens (name: path)."""
    return {
        "chargers": "/",
        "charger": f"/chargers/{CP}/",
        "charger security": f"/chargers/{CP}/security/",
        "rejected": "/rejected/",
        "id tags": "/id-tags/",
        "id tag": f"/id-tags/{tag}/edit/",
        "sessions": "/sessions/",
        "new session": "/sessions/new/",
        "session": f"/sessions/{session}/",
        "session item 13": f"/sessions/{session}/?item=13",
        "session item 8": f"/sessions/{session}/?item=8",
        "session item 12": f"/sessions/{session}/?item=12",
        "history": "/history/",
        "history session": f"/history/{session}/",
        "history signed": f"/history/{signed}/",
        "sign off": f"/history/{other}/sign/",
        "compare": f"/history/compare/?a={session}&b={signed}",
        "octt session": f"/sessions/{octt}/",
        "octt session case": f"/sessions/{octt}/?item={octt_case}",
        "api docs": "/api/docs",
    }


# A viewer reads everything an engineer reads but the sign-off and the forms that change things.
VIEWER_PAGES = (
    "chargers",
    "charger",
    "sessions",
    "session",
    "session item 13",
    "session item 12",
    "history",
    "history session",
    "history signed",
    "compare",
)


def _setup(server, db_access) -> dict:
    """Two sessions of the simulated charger (one with a GetDiagnostics and an
    UpdateFirmware sent, so credentials are in its frames; one signed) and a third
    to sign off; an id tag and a viewer."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from certify.models import CertSession
    from chargers.models import IdTag

    ids = []
    for _ in range(3):
        status, body = server.api("POST", "/sessions", {"charge_point_id": CP, "engineer_name": "Ada Tester"})
        assert status == 201, body
        ids.append(body["id"])
    session, signed = ids[0], ids[2]
    status, body = server.api("POST", "/sessions", {"charge_point_id": CP, "catalog": "octt16"})
    assert status == 201, body
    octt = body["id"]
    commands = {
        (13, "GetDiagnostics"): {"location": "{diagnostics_url}", "startTime": "{hour_ago}", "stopTime": "{now}"},
        (12, "UpdateFirmware"): {"location": "{diagnostics_http_url}fw.bin", "retrieveDate": "{now}"},
    }
    for (number, action), payload in commands.items():
        status, body = server.api("POST", f"/sessions/{session}/items/{number}/commands/{action}", payload)
        assert status == 200, body
    status, body = server.api("POST", f"/sessions/{signed}/sign", {"name": "Ada", "role": "automatic run"})
    assert status == 200, body

    def rows() -> dict:
        tag = IdTag.objects.create(id_tag="PAGES-TAG")
        viewer = get_user_model().objects.create_user("viewer-pages", "", "viewer-pages-pw")
        viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])
        secrets = []
        for s in CertSession.objects.filter(pk__in=ids):
            secrets += [s.ftp_password, s.upload_secret]
        return {"tag": tag.pk, "secrets": secrets}

    from certify import catalogs

    return {"ids": ids, "octt": octt, "octt_case": catalogs.get("octt16").cases[0].key, **db_access(rows)}


def _watch(page, seen: list) -> None:
    """Record console errors, page errors and requests to anywhere but this server
    (which are refused: the lab has no internet)."""
    page.on("console", lambda msg: seen.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen.append(f"page error: {exc}"))

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            seen.append(f"outside request: {r.request.url}")
            r.abort()

    page.context.route("**/*", route)


def _look(page, name: str, width: int) -> dict:
    """Screenshot the page at this width and measure it."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(150)  # a resize reflows on the next frame
    SHOTS.mkdir(exist_ok=True)
    shot = SHOTS / f"{name.replace(' ', '-')}-{width}.png"
    page.screenshot(path=str(shot))
    if name.endswith(("-charger", "-session")):  # the frame log below the fold too
        page.screenshot(path=str(shot.with_suffix(".full.png")), full_page=True)
    measured = page.evaluate(
        """() => {
        const root = document.documentElement;
        const close = document.querySelector('#item-panel .close');
        const box = close && close.getBoundingClientRect();
        return {scroll: root.scrollWidth, client: root.clientWidth,
                close: box ? {left: box.left, right: box.right, top: box.top, bottom: box.bottom} : null};
    }"""
    )
    measured["html"] = page.content()
    return measured


def _visit(page, server, pages: dict, seen: dict, role: str, names) -> None:
    problems: list = []
    _watch(page, problems)
    for name in names:
        page.goto(f"{server.http_url}{pages[name]}")
        page.wait_for_load_state("networkidle")
        browser.settled(page)
        for width in WIDTHS:
            seen[(role, name, width)] = _look(page, f"{role}-{name}", width)
        seen.setdefault("problems", {})[(role, name)] = list(problems)
        problems.clear()


def _preview(page, server, session: int, seen: dict) -> None:
    """The report's preview, POSTed from the sign-off page into a tab of its own."""
    problems: list = []
    page.goto(f"{server.http_url}/history/{session}/sign/")
    page.fill("input[name=role]", "Test engineer")
    with page.expect_popup() as popup:
        page.click("#preview")
    preview = popup.value
    _watch(preview, problems)
    preview.wait_for_load_state("networkidle")
    seen["preview url"] = preview.url
    for width in WIDTHS:
        seen[("engineer", "report preview", width)] = _look(preview, "engineer-report preview", width)
    seen["problems"][("engineer", "report preview")] = problems
    preview.close()


@pytest.fixture(scope="module")
def walk(module_server, db_access) -> dict:
    from chargers.simulator import SimulatedCharger, SimulatorOptions

    executable = chromium_binary()
    server = module_server()
    seen: dict = {}
    loop = ChargerLoop()
    sim = SimulatedCharger(SimulatorOptions(url=server.ws_url, charge_point_id=CP, **FAST))
    running = asyncio.run_coroutine_threadsafe(sim.run(), loop.loop)
    try:
        loop.run(sim.wait_booted(15))
        made = _setup(server, db_access)
        seen["secrets"] = made["secrets"]
        session, other, signed = made["ids"]
        pages = _pages(session, other, signed, made["tag"], made["octt"], made["octt_case"])
        seen["pages"] = pages
        with browser.logged_in(server, executable) as page:
            _visit(page, server, pages, seen, "engineer", pages)
            _preview(page, server, other, seen)
        with browser.chromium(executable) as chromium:
            page = chromium.new_page()
            _visit(page, server, {"login": "/login/"}, seen, "nobody", ["login"])
        viewer = type(server)(server.port, username="viewer-pages", password="viewer-pages-pw")
        with browser.logged_in(viewer, executable) as page:
            _visit(page, server, pages, seen, "viewer", VIEWER_PAGES)
    finally:
        with contextlib.suppress(Exception):
            loop.run(sim.stop(), 10)
        running.cancel()
        loop.close()
    return seen


ENGINEER = [*_pages(0, 0, 0, 0), "report preview"]
ALL = [("engineer", n) for n in ENGINEER] + [("viewer", n) for n in VIEWER_PAGES] + [("nobody", "login")]
LOOKS = [(role, name, width) for role, name in ALL for width in WIDTHS]


@pytest.mark.parametrize(("role", "name", "width"), LOOKS)
def test_no_page_scrolls_sideways(walk, role, name, width):
    measured = walk[(role, name, width)]
    assert measured["scroll"] <= measured["client"], f"{name} at {width} px is {measured['scroll']} px wide"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_open_items_close_button_is_in_view(walk, width):
    close = walk[("engineer", "session item 13", width)]["close"]
    assert close is not None
    assert 0 <= close["left"] and close["right"] <= width, close


@pytest.mark.parametrize(("role", "name"), ALL)
def test_no_page_logs_an_error_or_reaches_outside(walk, role, name):
    assert walk["problems"][(role, name)] == []


@pytest.mark.parametrize(("role", "name"), ALL)
def test_no_page_shows_the_sessions_upload_credentials(walk, role, name):
    html = walk[(role, name, WIDTHS[0])]["html"]
    assert [s for s in walk["secrets"] if s in html] == []


def test_the_item_panel_shows_the_ftp_password_masked(walk):
    assert ":***@" in walk[("engineer", "session item 13", 1440)]["html"]


def test_the_api_docs_link_the_openapi_description(walk):
    assert 'href="/api/openapi.json"' in walk[("engineer", "api docs", 1440)]["html"]


def test_the_report_preview_keeps_the_csrf_token_out_of_its_url(walk):
    assert "csrf" not in walk["preview url"].lower() and "?" not in walk["preview url"]
