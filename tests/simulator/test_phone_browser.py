"""The phone page in chromium: the tester writes, and what the business sends appears by polling, as text."""

import os
import shutil
from pathlib import Path

import httpx
import pytest

from channels_whatsapp.simulator import services
from tests.factories import UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
WA = "5511999990000"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (install Debian's 'chromium' package or set CHROMIUM_PATH)."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread: Django would take the test's ORM calls for async.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_phone_writes_and_sees_the_business_reply(page, live_server, webhook_receiver):
    UserFactory(username="tester", password="secret-pass-123")
    services.contact_save(wa_id=WA, name="Ana")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("tester")
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/simulator/?contact={WA}&phone=SIMPHONE1")
    page.get_by_label("Message").fill("Hello from the phone")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("our webhook answered HTTP 200").wait_for()
    assert webhook_receiver.wait_for(lambda r: len(r.requests) == 1)
    assert webhook_receiver.requests[0].signature_ok

    hostile = '<img src=x onerror="document.body.dataset.pwned=1">Your order shipped'
    response = httpx.post(
        f"{live_server.url}/simulator/graph/v23.0/SIMPHONE1/messages",
        json={"messaging_product": "whatsapp", "to": f"+{WA}", "type": "text", "text": {"body": hostile}},
        headers={"Authorization": "Bearer browser-test"},
        timeout=10,
    )
    assert response.status_code == 200

    # No reload: the conversation pane polls every 2 s.
    conversation = page.locator("#sim-conversation")
    conversation.get_by_text(hostile).wait_for(timeout=6_000)
    conversation.locator(".sim-status--read").wait_for(timeout=6_000)
    assert conversation.locator("img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert services.status_threads_join(5)
