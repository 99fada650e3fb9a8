"""The conversation in chromium: a message the phone sent 30 hours before it reached us shows its own send time and
says it arrived late; an automatic reply is a business bubble."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from channels_whatsapp.models import WhatsAppAccount
from channels_whatsapp.simulator import phone_messages
from tests.factories import UserFactory
from tickets import services
from tickets.models import Comment, Ticket, TicketStatus, Via
from tickets.services import NewComment

PASSWORD = "correct-horse-battery"
WA = "5511987650002"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wired(live_server, settings):
    settings.WHATSAPP_GRAPH_URL = f"{live_server.url}/simulator/graph/v23.0"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/whatsapp/webhook/"
    return WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id="SIMPHONE1",
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
    )


@pytest.mark.parametrize("viewport", [(1366, 850), (390, 844)])
def test_a_backdated_message_shows_its_send_time_and_its_late_arrival(
    page, live_server, login, wired, artifacts_dir, viewport
):
    sent = phone_messages.phone_send(
        phone_messages.PhoneMessage(WA, "Ana Souza", text="Written offline", phone_number_id="SIMPHONE1", hours_ago=30)
    )
    assert sent.webhook_status == 200
    webhook_timestamp = int(sent.payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    ticket = Ticket.objects.get(via="whatsapp")
    services.ticket_update(
        ticket=ticket,
        actor=None,
        changes={"status": TicketStatus.OPEN},
        comment=NewComment(body="Thanks, we got your message.", public=True),
        source="trigger",
        via=Via.WHATSAPP,
        run_listeners=False,
    )

    agent = UserFactory(username="alice", password=PASSWORD)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    customer = page.locator(".comment--customer").filter(has_text="Written offline")
    expect(customer).to_contain_text("received 30 h later")
    shown = customer.locator("time").get_attribute("datetime")
    assert datetime.fromisoformat(shown).timestamp() == webhook_timestamp
    expect(customer.locator("time")).to_contain_text("1\xa0day")

    auto = page.locator(".comment--auto").filter(has_text="Thanks, we got your message.")
    expect(auto).to_contain_text("Automatic reply")
    expect(page.locator(".comment--system")).to_have_count(0)
    box = auto.locator(".bubble").bounding_box()
    assert box["x"] + box["width"] > viewport[0] / 2  # on the business side, like an agent's reply
    assert Comment.objects.filter(ticket=ticket, author_role="system", public=True).count() == 1
    page.screenshot(path=str(artifacts_dir / f"message-times-{viewport[0]}.png"), full_page=True)
