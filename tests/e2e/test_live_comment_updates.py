"""Changes to a message already on an open ticket page appear live, without a reload: the customer's edit (a signed
webhook over HTTP) and a finished media download (the worker's download, against the simulator's Graph API)."""

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp import downloads
from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import media_files, phone_messages, protocol
from channels_whatsapp.simulator.models import SimMedia
from tests.e2e.asgi_server import group_members, run_in_thread, wait_for_new_member
from tests.factories import UserFactory
from tickets import realtime
from tickets.models import Attachment, Comment, Contact, Ticket, TicketStatus, Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WA = "5511987650077"
PHONE_NUMBER_ID = "SIMPHONE1"
ORIGINAL_WAMID = "wamid.LIVE-ORIGINAL"
LIVE_TIMEOUT_MS = 3000
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d"
    "0000000049454e44ae426082"
)


@pytest.fixture
def conversation(asgi_server):
    account = WhatsAppAccount.objects.create(
        name="Demo line",
        phone_number_id=PHONE_NUMBER_ID,
        waba_id="SIMWABA1",
        display_phone_number="15550001111",
        access_token="simulator-token",
    )
    contact = Contact.objects.create(name="Ana Souza", wa_id=WA, phone=f"+{WA}")
    ticket = Ticket.objects.create(
        subject="Where is my order?",
        requester=contact,
        via=Via.WHATSAPP,
        status=TicketStatus.OPEN,
        last_customer_message_at=timezone.now(),
    )
    return WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)


def customer_message(conversation, body: str, **fields) -> Comment:
    return Comment.objects.create(
        ticket=conversation.ticket,
        author_role="end_user",
        author_contact=conversation.contact,
        body=body,
        via=Via.WHATSAPP,
        **fields,
    )


def open_ticket(page, server, ticket) -> None:
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill(agent.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/")
    group = realtime.ticket_group(ticket.pk)
    before = group_members(group)
    page.goto(f"{server.url}/tickets/{ticket.pk}/")
    page.wait_for_function("document.body.dataset.live === 'connected'", timeout=5000)
    wait_for_new_member(group, before)
    page.evaluate("window.__noReload = true")  # a reload would wipe it out


def test_an_edit_and_a_finished_download_appear_on_the_open_ticket_page(page, asgi_server, conversation):
    media = media_files.media_store(
        content=PNG, mime_type="image/png", filename="receipt.png", origin=SimMedia.Origin.PHONE
    )
    comment = customer_message(conversation, "My order #4521 is late", channel_message_id=ORIGINAL_WAMID)
    with_file = customer_message(conversation, "Here is the receipt", message_type="image")
    attachment = Attachment.objects.create(
        ticket=conversation.ticket,
        comment=with_file,
        filename="receipt.png",
        content_type="image/png",
        size=0,
        sha256=media.sha256,
        channel_media_id=media.media_id,
    )
    open_ticket(page, asgi_server, conversation.ticket)
    edited = page.locator(f"#comment-{comment.pk}")
    expect(edited).to_contain_text("My order #4521 is late")
    downloaded = page.locator(f"#comment-{with_file.pk}")
    expect(downloaded.locator(".attachment-missing")).to_contain_text("receipt.png")

    # The customer edits the message: a signed webhook over HTTP, processed like Meta's.
    edit = {
        "from": WA,
        "id": "wamid.LIVE-EDIT",
        "timestamp": str(int(time.time())),
        "type": "edit",
        "edit": {
            "original_message_id": ORIGINAL_WAMID,
            "message": {"type": "text", "text": {"body": "My order #4521 is very late"}},
        },
    }
    payload = protocol.envelope(
        waba_id="SIMWABA1",
        phone_number_id=PHONE_NUMBER_ID,
        display_phone_number="15550001111",
        value={"contacts": [protocol.contact_json(WA, "Ana Souza")], "messages": [edit]},
    )
    assert phone_messages.post_webhook(payload) == 200
    expect(edited).to_contain_text("My order #4521 is very late", timeout=LIVE_TIMEOUT_MS)

    # The worker's download task finishes, against the simulator's Graph API.
    assert run_in_thread(lambda: downloads.media_download(attachment_id=attachment.pk)) is True
    expect(downloaded.locator(".attachment-link")).to_have_text(re.compile("receipt.png"), timeout=LIVE_TIMEOUT_MS)
    expect(downloaded.locator(".attachment-missing")).to_have_count(0)

    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
