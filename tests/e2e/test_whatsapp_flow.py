"""The whole WhatsApp loop through real parts: the simulator's phone writes over HTTP to our webhook, the ticket
appears, the agent replies in chromium, the worker sends it to the simulator's Graph API, and the phone shows it."""

import re

import pytest
from playwright.sync_api import expect

from channels_whatsapp.models import WhatsAppAccount
from channels_whatsapp.simulator import phone_messages, status_webhooks
from tests.factories import AdminFactory, UserFactory
from tickets.models import Comment, Ticket

PASSWORD = "correct-horse-battery"
WA = "5511987650001"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wired(live_server, settings, monkeypatch):
    settings.WHATSAPP_GRAPH_URL = f"{live_server.url}/simulator/graph/v23.0"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/whatsapp/webhook/"
    monkeypatch.setattr(status_webhooks, "STATUS_DELAY_SECONDS", 0)
    return WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id="SIMPHONE1",
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
    )


def test_customer_writes_agent_replies_phone_receives(page, live_server, login, wired, artifacts_dir):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    status = phone_messages.post_webhook(
        phone_messages.phone_send(
            phone_messages.PhoneMessage(
                WA, "Ana Souza", text="Olá! My order #4521 is late", phone_number_id="SIMPHONE1"
            )
        ).payload
    )
    # phone_send_text already posted it once; posting the same payload again must not duplicate anything.
    assert status == 200
    ticket = Ticket.objects.get(via="whatsapp")
    assert ticket.comments.filter(author_role="end_user").count() == 1

    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/?view=open")
    page.get_by_role("link", name=re.compile("My order #4521 is late")).click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.locator(".comment--customer")).to_contain_text("Olá! My order #4521 is late")

    page.get_by_label("Message").fill("Hi Ana, it ships today. Sorry for the wait!")
    page.get_by_role("button", name="Submit").click()
    reply = page.locator(".comment--agent").filter(has_text="it ships today")
    expect(reply).to_be_visible()

    comment = Comment.objects.get(ticket=ticket, author_role="agent", body__contains="it ships today")
    assert comment.channel_message_id.startswith("wamid.")
    assert status_webhooks.status_threads_join(10)

    page.context.clear_cookies()  # log the agent out: the simulator is for admins
    login(page, live_server, AdminFactory(password=PASSWORD), PASSWORD)
    page.goto(f"{live_server.url}/simulator/?contact={WA}&phone=SIMPHONE1")
    conversation = page.locator("#sim-conversation")
    expect(conversation).to_contain_text("Hi Ana, it ships today. Sorry for the wait!")
    page.screenshot(path=str(artifacts_dir / "simulator-phone.png"), full_page=True)

    comment.refresh_from_db()
    assert comment.delivery_status == "read"
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(page.locator(f'.delivery[data-comment-id="{comment.pk}"]')).to_have_class(re.compile("delivery-read"))
