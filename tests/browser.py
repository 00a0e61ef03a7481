"""Browser tests' shared parts: Debian's Chromium driven by Playwright (never a
downloaded browser), logged in to the live server, and a thread with its own
event loop for test chargers, since Playwright's sync API owns the test's thread.

Use the fixtures in a test module with
`logged_in_page, charger_loop = browser.logged_in_page, browser.charger_loop`.
A module that walks once (a module-scoped fixture) and checks each thing it saw in
a test of its own opens its page with `logged_in` and waits with the `seen_*`
helpers, which return what the page showed for the tests to judge.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every wait is bounded: a live update that does not come fails the test quickly.
WAIT_MS = 15_000


@contextlib.contextmanager
def chromium(executable_path: str) -> Iterator[Any]:
    """A headless Chromium browser from the given binary."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page, server) -> None:
    page.goto(f"{server.http_url}/login/")
    page.fill("input[name=username]", server.username)
    page.fill("input[name=password]", server.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.http_url}/", timeout=WAIT_MS)


@contextlib.contextmanager
def logged_in(server, executable_path: str) -> Iterator[Any]:
    """A page of a fresh browser context, logged in as the server's engineer."""
    with chromium(executable_path) as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        log_in(page, server)
        yield page
        context.close()


@pytest.fixture
def logged_in_page(live_server_ocpp, chromium_path):
    """A page of a fresh browser context, logged in as the live server's engineer."""
    with logged_in(live_server_ocpp, chromium_path) as page:
        yield page


class ChargerLoop:
    """An event loop in a background thread: test chargers live there while the
    test drives the browser with Playwright's sync API."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._contexts: list = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine, timeout: float = 20) -> Any:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def enter(self, async_cm, timeout: float = 20) -> Any:
        """Enter an async context manager on the loop; `close()` leaves it."""
        self._contexts.append(async_cm)
        return self.run(async_cm.__aenter__(), timeout)

    def close(self) -> None:
        for cm in reversed(self._contexts):
            with contextlib.suppress(Exception):
                self.run(cm.__aexit__(None, None, None), 10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def charger_loop() -> Iterator[ChargerLoop]:
    loop = ChargerLoop()
    yield loop
    loop.close()


def settled(page, timeout: float = WAIT_MS) -> None:
    """Wait until htmx has no request in flight and has wired up what it swapped
    in (its listeners attach when the swap settles, a few ms after the DOM changes)."""
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')", timeout=timeout
    )


# A walk that records what it saw for the tests to judge waits as `expect` does (bounded,
# retried) but does not stop at a miss: it returns what the page showed when the wait ended.


def _waited(check) -> None:
    with contextlib.suppress(AssertionError):
        check()


def _normalized(text: str | None) -> str:
    return " ".join((text or "").split())


def seen_text(locator, expected: str, timeout: float | None = None) -> str:
    """The locator's text (whitespace collapsed) once it contains `expected`, or when the wait ends."""
    from playwright.sync_api import expect

    _waited(lambda: expect(locator).to_contain_text(expected, timeout=timeout))
    return _normalized(locator.text_content())


def seen_attribute(locator, name: str, expected: str, timeout: float | None = None, *, negated: bool = False) -> str:
    """The locator's attribute once it is `expected` (or, negated, once it is not), or when the wait ends."""
    from playwright.sync_api import expect

    check = expect(locator).not_to_have_attribute if negated else expect(locator).to_have_attribute
    _waited(lambda: check(name, expected, timeout=timeout))
    return locator.get_attribute(name)


def seen_count(locator, expected: int, timeout: float | None = None) -> int:
    """How many elements the locator matches once they are `expected`, or when the wait ends."""
    from playwright.sync_api import expect

    _waited(lambda: expect(locator).to_have_count(expected, timeout=timeout))
    return locator.count()


def seen_visible(locator, timeout: float | None = None) -> bool:
    """Whether the locator is visible once it is, or when the wait ends."""
    from playwright.sync_api import expect

    _waited(lambda: expect(locator).to_be_visible(timeout=timeout))
    return locator.is_visible()
