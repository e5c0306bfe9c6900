"""The browser tests' toolkit: the app served over real HTTP, Debian's Chromium driven by Playwright,
and pages that record every console error (a CSP violation is one) and leave a screenshot behind.

The live app is the test app with what a browser needs switched back on: CSRF tokens in every form,
and the production cookie (`__Host-` prefix, Secure) — Chromium treats http://localhost as a secure
context, so the cookie is kept as in production. Jobs run in-process in the SQLite pass and on real
rq worker processes in the PostgreSQL pass, like the rest of the suite.

Without Chromium the tests are skipped, unless PORTAL_REQUIRE_BROWSER=1 (set by `make test`), where
they fail and say to run `make browser`. Playwright's own browser downloads are never used.
"""

import os
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests import servers
from tests.conftest import BACKEND, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
# Letters that only Vietnamese text carries: seeing them proves the page is not shown in English or
# with its diacritics stripped.
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


def chromium_path() -> str:
    """Debian's Chromium, or skip — or fail when `make test` requires the browser tests to run."""
    found = shutil.which(CHROMIUM)
    if found:
        return found
    message = f"Browser tests cannot run: Chromium is not installed (looked for {CHROMIUM}). Run `make browser`."
    if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()

    with sync_playwright() as p:
        # --no-sandbox: the tests may run as root (CI containers), where Chromium's sandbox refuses to start.
        chromium = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@contextmanager
def serving(app):
    """`app` on a free loopback port, in a thread of this process; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_app(_migrated, tmp_path):
    with servers.custom_app(
        _migrated, tmp_path, WTF_CSRF_ENABLED=True, JOBS_INLINE=BACKEND == "sqlite",
        SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-portal",
    ) as application:
        yield application


@pytest.fixture
def live_url(live_app):
    with serving(live_app) as url:
        yield url


@dataclass
class Journey:
    """One person's browser: its page, what the console said, and where its screenshots go."""

    name: str
    page: object
    problems: list[str] = field(default_factory=list)
    # Console errors a step expects (a 403 page logs "Failed to load resource … 403"): not problems.
    expected: list[str] = field(default_factory=list)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        for expected in self.expected:
            if expected in message.text:
                self.expected.remove(expected)  # expected once, not from now on
                return
        self.problems.append(f"{self.page.url}: {message.text}")

    def _page_error(self, error) -> None:
        self.problems.append(f"{self.page.url}: uncaught {error}")

    def expect_status_error(self, status: int) -> None:
        """The next page answers `status` on purpose; Chromium logs that as a console error."""
        self.expected.append(f"status of {status}")

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """The real form, as a person fills it in."""
        page = self.page
        page.goto("/login")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page).not_to_have_url(re.compile(r"/login$"))

    def snap(self, label: str, *vietnamese: str) -> Path:
        """Screenshot of the whole page to test-artifacts/browser/<journey>-<label>.png, after checking
        that the page shows `vietnamese` strings (with their diacritics) and the console stayed clean."""
        text = self.page.locator("body").inner_text()
        for expected in vietnamese:
            assert expected in text, f"{expected!r} is not on {self.page.url}"
        assert VIETNAMESE_LETTERS.search(text), f"no Vietnamese letter on {self.page.url}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.assert_clean()
        return path

    def assert_clean(self) -> None:
        assert self.problems == [], "console errors:\n" + "\n".join(self.problems)


def open_journey(browser, base_url: str, name: str, **context_options) -> Journey:
    options = {"viewport": DESKTOP, **context_options}
    context = browser.new_context(base_url=base_url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    journey = Journey(name, page)
    page.on("console", journey._console)
    page.on("pageerror", journey._page_error)
    return journey


@pytest.fixture
def journeys(browser, live_url):
    """journeys(name, **context options) → a Journey in a fresh browser context (its own cookies)."""
    opened = []

    def make(name: str, **options) -> Journey:
        for stale in ARTIFACTS.glob(f"{name}-*.png"):  # the folder shows the last run only
            stale.unlink()
        journey = open_journey(browser, live_url, name, **options)
        opened.append(journey)
        return journey

    yield make
    for journey in opened:
        journey.page.context.close()
    for journey in opened:
        journey.assert_clean()
