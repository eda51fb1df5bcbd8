"""The web console in a real browser: Debian's chromium driven by Playwright, against a fresh local runner.

Playwright never downloads a browser here: it starts /usr/bin/chromium (``make test`` installs it
with apt-get when it is missing). Without it, or without Playwright, these tests skip and say why.
The runner serves the BUILT console (``console/dist``, built by ``make test``); without a build these
tests skip, saying how to make one. Every page's console errors and uncaught exceptions (CSP
violations included) fail the test that caused them; ``Console.check_accessibility`` runs axe-core
(``console/node_modules/axe-core``, an npm devDependency) and fails on any serious or critical
violation; screenshots go to ``test-output/screenshots/``.
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
BUNDLE = ROOT / "console" / "dist" / "index.html"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (requirements-dev.txt)")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (make test installs Debian's chromium with apt-get; it failed)")
    if not BUNDLE.exists() or not AXE.exists():
        pytest.skip("the console is not built: run `make console` (npm ci and esbuild; make test does it)")
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
        self.page.get_by_role("heading", level=1, name="Purchase orders", exact=True).wait_for()

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

    def check_accessibility(self, name: str) -> list[dict[str, Any]]:
        """Runs axe-core on the page; fails on any serious or critical violation, returns the rest.

        The console's CSP (script-src 'self') rightly refuses an injected inline <script>, so axe's
        source is evaluated through the DevTools protocol instead of page.add_script_tag.
        """
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
        results = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
            }"""
        )
        serious = [v for v in results if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name} at {self.width}px: axe found serious or critical violations: {serious}"
        return results

    def flash(self) -> Any:
        """The flash messages (Cloudscape Flashbar)."""
        return self.page.locator("[data-testid='flashbar'], [class*='awsui_flashbar']").first

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer local:{self.account}", **kwargs.pop("headers", {})}
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
def console_tab(browser: Any, runner: Runner, width: int, account: str | None = None) -> Iterator[Console]:
    """A tab of its own (fresh session storage) that records console errors; none may be unexpected."""
    # Reduced motion: Cloudscape then skips its fade-ins, so axe judges colours as they end up.
    context = browser.new_context(
        viewport={"width": width, "height": 900}, accept_downloads=True, reduced_motion="reduce"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    console = Console(page, runner.base_url, account or f"browser-{uuid.uuid4().hex[:10]}", width)

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


@pytest.fixture(scope="session")
def finance_account(console_runner: Runner) -> str:
    """One account seeded once with the 8 POs and 36 invoices of issue 17 (tests/browser/seed.py).

    Tests that only read use it; tests that change things make their own data in their own account.
    """
    from tests.browser.seed import seed

    account = f"finance-{uuid.uuid4().hex[:8]}"

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer local:{account}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{console_runner.base_url}{path}", headers=headers, timeout=30, **kwargs)

    seed(call, lambda: requests.post(f"{console_runner.base_url}/_local/drain", timeout=60))
    return account


@pytest.fixture
def finance(browser: Any, console_runner: Runner, finance_account: str) -> Iterator[Console]:
    """A signed-in tab at 1280 px on the seeded finance account."""
    with console_tab(browser, console_runner, WIDE, account=finance_account) as tab:
        tab.sign_in()
        yield tab


@pytest.fixture(params=[WIDE, NARROW], ids=[f"{WIDE}px", f"{NARROW}px"])
def finance_at_each_width(
    request: pytest.FixtureRequest, browser: Any, console_runner: Runner, finance_account: str
) -> Iterator[Console]:
    with console_tab(browser, console_runner, request.param, account=finance_account) as tab:
        tab.sign_in()
        yield tab
