"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

No Playwright browser download is used: the system /usr/bin/chromium (apt-get install
chromium) is launched directly. Without it, every browser test is skipped with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django would otherwise refuse
# the ORM calls the tests make between browser steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("AMENDS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
HAVE_CHROMIUM = os.access(CHROMIUM, os.X_OK)
NO_CHROMIUM = f"{CHROMIUM} is not installed (apt-get install chromium)"
TIMEOUT_MS = 15_000
EXPECTED_422 = "the server responded with a status of 422"


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    """Mark every test here `browser`, and skip them all when Chromium is absent."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)
            if not HAVE_CHROMIUM:
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not HAVE_CHROMIUM:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Console:
    """What the page said on the console: JS errors and CSP violations end up here."""

    errors: list[str] = field(default_factory=list)

    def record(self, message: Any) -> None:
        # A form with errors (or a refused move) is answered 422 on purpose (see base.html's
        # htmx config); Chromium logs every 4xx fetch, so that one line is expected.
        if message.type == "error" and EXPECTED_422 not in message.text:
            self.errors.append(message.text)

    def record_exception(self, error: Any) -> None:
        self.errors.append(f"uncaught: {error}")


@pytest.fixture(autouse=True)
def _static_files(settings: Any) -> None:
    """Serve amends/static/ from the live server.

    Workaround: settings.py has no STATICFILES_DIRS, and amends/static/ is not inside an
    app, so no static finder sees app.css or htmx. A no-op once settings name the folder.
    """
    from django.contrib.staticfiles import finders

    if finders.find("amends/app.css") is None:
        settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, settings.BASE_DIR / "static"]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Any, live_server: Any, console: Console) -> Iterator[Any]:
    """A fresh browser context and page at 1280x900, with console errors collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on("console", console.record)
    tab.on("pageerror", console.record_exception)
    try:
        yield tab
    finally:
        context.close()


def log_in(page: Any, username: str, password: str) -> None:
    """Sign in through the real login form."""
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) with the settings pointing at it
    (see tests/smtp_support.py)."""
    from tests.smtp_support import smtp_fixture

    yield from smtp_fixture(settings)
