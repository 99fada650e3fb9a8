"""The phone page in chromium: the tester writes, and what the business sends appears by polling, as text."""

import httpx
import pytest

from channels_whatsapp.simulator import phone_messages, status_webhooks
from tests.e2e.conftest import browser, page  # noqa: F401 - the shared chromium fixtures
from tests.factories import AdminFactory

WA = "5511999990000"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_writes_and_sees_the_business_reply(page, live_server, webhook_receiver):  # noqa: F811
    AdminFactory(username="tester", password="secret-pass-123")  # the simulator is for admins
    phone_messages.contact_save(wa_id=WA, name="Ana")
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
    assert status_webhooks.status_threads_join(5)
