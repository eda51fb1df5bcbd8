"""The web console in a real browser: Debian's chromium driven by Playwright, against a fresh local runner.

Playwright never downloads a browser here: it starts /usr/bin/chromium (``make test`` installs it
with apt-get when it is missing). Without it, or without Playwright, these tests skip and say why.
Every page's console errors and uncaught exceptions fail the test that caused them; screenshots go
to ``test-output/screenshots/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, Runner, start_runner

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
WIDE, NARROW = 1280, 390


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (requirements-dev.txt)")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (make test installs Debian's chromium with apt-get; it failed)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def console_runner(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """A runner of the browser tests' own, started only once a browser is there to use it."""
    started = start_runner(tmp_path_factory.mktemp("console-runner") / "runner.log")
    yield started
    started.stop()


@dataclass
class Console:
    """One signed-in tab of the console, in an account of the test's own, and a way to its API."""

    page: Any
    base_url: str
    account: str
    width: int
    errors: list[str] = field(default_factory=list)
    expected_errors: list[re.Pattern[str]] = field(default_factory=list)

    def sign_in(self) -> None:
        """Local mode's sign-in, as a user does it."""
        self.open("")
        self.page.get_by_label("Account id").fill(self.account)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("heading", name="Purchase orders", exact=True).wait_for()

    def open(self, route: str) -> None:
        """Shows the route with fresh data (going to the address already shown would change nothing)."""
        url = f"{self.base_url}/{route}"
        if self.page.url == url:
            self.page.reload()
        else:
            self.page.goto(url)

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}-{self.width}.png", full_page=True)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer local:{self.account}"}
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=15, **kwargs)

    def drain(self) -> None:
        """Lets the matcher (asynchronous, from the table's stream) finish what is pending."""
        assert requests.post(f"{self.base_url}/_local/drain", timeout=60).ok

    def expect_error_response(self, status: int) -> None:
        """The browser logs every failed response as a console error; a test provoking one says so."""
        logged = rf"^Failed to load resource: the server responded with a status of {status}\b"
        self.expected_errors.append(re.compile(logged))

    def unexpected_errors(self) -> list[str]:
        return [error for error in self.errors if not any(pattern.search(error) for pattern in self.expected_errors)]


@contextmanager
def console_tab(browser: Any, runner: Runner, width: int) -> Iterator[Console]:
    """A tab of its own (fresh session storage) that records console errors; none may be unexpected."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    console = Console(page, runner.base_url, f"browser-{uuid.uuid4().hex[:10]}", width)

    def record(message: Any) -> None:
        if message.type == "error":
            console.errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    try:
        yield console
    finally:
        context.close()
    assert not console.unexpected_errors(), f"errors in the browser console: {console.unexpected_errors()}"


@pytest.fixture
def console(browser: Any, console_runner: Runner) -> Iterator[Console]:
    with console_tab(browser, console_runner, WIDE) as tab:
        tab.sign_in()
        yield tab


@pytest.fixture(params=[WIDE, NARROW], ids=[f"{WIDE}px", f"{NARROW}px"])
def console_at_each_width(request: pytest.FixtureRequest, browser: Any, console_runner: Runner) -> Iterator[Console]:
    with console_tab(browser, console_runner, request.param) as tab:
        tab.sign_in()
        yield tab


@pytest.fixture
def signed_out_tab(browser: Any, console_runner: Runner) -> Iterator[Console]:
    with console_tab(browser, console_runner, WIDE) as tab:
        yield tab
