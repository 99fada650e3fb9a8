"""Browser fixtures: Debian's chromium driven by Playwright's sync API against pytest-django's live_server.

Reuse them in any browser test:

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_something(page, live_server, login):
        login(page, live_server, user, "password")

Pages that need the live WebSocket (/ws/agent/) use `asgi_server` (tests/e2e/asgi_server.py) in place of
`live_server`: the same `.url`, served over ASGI by uvicorn in a thread.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from channels_whatsapp.models import WhatsAppAccount
from tests.e2e.asgi_server import asgi_server  # noqa: F401  (the ASGI live server fixture, for WebSockets)
from tests.e2e.banner_helpers import PHONE_NUMBER_ID

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM} (install Debian's 'chromium' package or set CHROMIUM_PATH)."
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One chromium per test module.

    Playwright's sync API keeps an event loop running in this thread while it is open, so Django takes every
    plain ORM call (the test body's, the test database's flush) for a call from async code. The guard is lifted
    for exactly that time, not for the whole run, where it would hide real async-safety bugs in other tests.
    """
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser) -> Iterator:
    """A page at a laptop's 1366x850; tests that cover a phone's 390x844 too set it themselves."""
    context = browser.new_context(viewport={"width": 1366, "height": 850}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def log_in(page, live_server, user, password: str) -> None:
    """Log in through the real login form and wait for the ticket views."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def login() -> Callable:
    """`login(page, live_server, user, password)`: the same as `log_in`, as a fixture."""
    return log_in


@pytest.fixture
def account(asgi_server) -> WhatsAppAccount:  # noqa: F811  (the ASGI server fixture imported above)
    return WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
    )
