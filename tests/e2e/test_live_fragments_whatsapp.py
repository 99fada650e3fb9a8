"""One frame, one request, on a WhatsApp ticket too: a customer's message (a signed webhook over HTTP) refreshes the
conversation, the event log and the composer's window from one request (the "window" part of
tickets.views.ticket_fragments), reopens a closed window in the composer, and keeps the agent's draft."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import phone_messages, protocol
from tests.e2e.asgi_server import group_members, wait_for_new_member
from tests.e2e.conftest import log_in
from tests.e2e.test_live_fragments import DRAFT, SETTLE_MS
from tests.factories import CommentFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tickets import realtime
from tickets.models import Ticket, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # UserFactory's
WA = "5511987650077"
PHONE_NUMBER_ID = "SIMPHONE1"
WABA_ID = "SIMWABA1"
LIVE_TIMEOUT_MS = 3000


@pytest.fixture
def agent(asgi_server):
    return UserFactory(username="alice", first_name="Alice")


@pytest.fixture
def closed_ticket(agent) -> Ticket:
    """A WhatsApp ticket whose customer last wrote 30 hours ago: the 24-hour window is closed."""
    account = WhatsAppAccount.objects.create(
        name="Demo line", phone_number_id=PHONE_NUMBER_ID, waba_id=WABA_ID, access_token="simulator-token"
    )
    contact = WhatsAppContactFactory(name="Ana Souza", wa_id=WA)
    since = timezone.now() - timedelta(hours=30)
    ticket = TicketFactory(requester=contact, via=Via.WHATSAPP, assignee=agent, last_customer_message_at=since)
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    CommentFactory(ticket=ticket, author_role="end_user", author_user=None, author_contact=contact, via=Via.WHATSAPP)
    return ticket


def customer_writes(body: str) -> int:
    message = {"from": WA, "id": "wamid.LIVE-WINDOW", "timestamp": str(int(time.time())), "type": "text"}
    message["text"] = {"body": body}
    value = {"contacts": [protocol.contact_json(WA, "Ana Souza")], "messages": [message]}
    payload = protocol.envelope(waba_id=WABA_ID, phone_number_id=PHONE_NUMBER_ID, display_phone_number="", value=value)
    return phone_messages.post_webhook(payload)


def test_a_customer_message_reopens_the_window_in_one_request(page, asgi_server, agent, closed_ticket):
    log_in(page, asgi_server, agent, PASSWORD)
    before = group_members(realtime.ticket_group(closed_ticket.pk))
    page.goto(f"{asgi_server.url}/tickets/{closed_ticket.pk}/")
    page.wait_for_function("document.body.dataset.live === 'connected'", timeout=5000)
    wait_for_new_member(realtime.ticket_group(closed_ticket.pk), before)
    expect(page.locator("[data-wa-open-picker]")).to_be_visible()  # the composer is running
    expect(page.locator("[data-wa-window-text]")).to_have_text("Window closed")
    expect(page.locator("[data-wa-closed-notice]")).to_be_visible()
    page.locator("textarea.composer-body").fill(DRAFT)
    page.wait_for_load_state("networkidle")  # the composer's own start-up request is done
    requests: list = []
    page.on("request", lambda request: requests.append(request) if request.resource_type in ("fetch", "xhr") else None)

    assert customer_writes("Any news about my order?") == 200

    expect(page.locator("#comments")).to_contain_text("Any news about my order?", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("[data-wa-window-text]")).to_have_text(re.compile(r"^Window open · closes in 2[34] h"))
    expect(page.locator("[data-wa-closed-notice]")).to_be_hidden()
    page.wait_for_timeout(SETTLE_MS)
    assert [r.url.split("?")[0] for r in requests] == [f"{asgi_server.url}/tickets/{closed_ticket.pk}/fragments/"]
    assert all(f"part={part}" in requests[0].url for part in ("conversation", "events", "window"))
    expect(page.locator("textarea.composer-body")).to_have_value(DRAFT)
