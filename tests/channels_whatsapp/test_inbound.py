"""Inbound WhatsApp messages -> contacts, tickets and comments (Zendesk's status rules), and inbound media."""

import base64
import copy
import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from channels_whatsapp import accounts, downloads, intake, tasks
from channels_whatsapp.models import InboundReceipt, StatusReceipt, WebhookDelivery, WhatsAppConversation
from tests.channels_whatsapp.conftest import load_payload
from tickets.models import AuthorRole, Comment, Contact, DeliveryStatus, Event, Ticket, TicketStatus, Via
from tickets.redaction import MASK

PAYLOAD_TS = datetime.fromtimestamp(1760000000, tz=UTC)
WA_ID = "5511999990000"
USER_ID = "BR.1502948372615"
AGENT_WAMID = "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABEYEkFHRU5UUkVQTFkwMDAxAA=="
TOKEN = "EAAG-secret-token"
REAL_ENQUEUE_MEDIA_DOWNLOAD = downloads.enqueue_media_download


def payload(name: str) -> dict:
    return load_payload(f"{name}.json")


def value_of(body: dict) -> dict:
    return body["entry"][0]["changes"][0]["value"]


def first_message(body: dict) -> dict:
    return value_of(body)["messages"][0]


def text_message(wamid: str, text: str, ts: int | str = 1760000000, **extra) -> dict:
    body = payload("text")
    message = first_message(body)
    message.update(id=wamid, timestamp=str(ts), text={"body": text}, **extra)
    return body


def b64sha(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


@pytest.fixture(autouse=True)
def media_enqueued(monkeypatch):
    """Downloads are their own task: recorded here; the media tests below run them against a real HTTP server."""
    calls: list[int] = []
    monkeypatch.setattr(downloads, "enqueue_media_download", calls.append)
    return calls


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks, account):
    """POST a signed webhook and run what its commit hands to the (sync) worker."""

    def run(body: dict | str):
        body = payload(body) if isinstance(body, str) else body
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(body)
        assert response.status_code == 200, response.content
        stored = WebhookDelivery.objects.order_by("-id").first()
        assert stored.state == WebhookDelivery.State.PROCESSED
        return stored

    return run


def agent_reply(ticket: Ticket, agent, wamid: str = AGENT_WAMID) -> Comment:
    """An agent reply already sent through WhatsApp (no outbound machinery involved)."""
    return Comment.objects.create(
        ticket=ticket,
        author_role=AuthorRole.AGENT,
        author_user=agent,
        body="Can you confirm the delivery address?",
        public=True,
        via=Via.WHATSAPP,
        channel_message_id=wamid,
        delivery_status=DeliveryStatus.SENT,
    )


def event_types(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("id").values_list("type", flat=True))


# --- contact, ticket, conversation -------------------------------------------------------------------------------


def test_first_text_creates_contact_ticket_comment_and_conversation(deliver, account):
    deliver("text")
    contact = Contact.objects.get()
    assert contact.wa_id == WA_ID
    assert contact.whatsapp_user_id == USER_ID
    assert contact.name == "Ana Souza"
    assert contact.phone == "+5511999990000"

    ticket = Ticket.objects.get()
    assert ticket.via == Via.WHATSAPP
    assert ticket.subject == "Hi, I need help with my order"
    assert ticket.status == TicketStatus.NEW
    assert ticket.requester == contact
    assert ticket.last_customer_message_at == PAYLOAD_TS  # the sender's own time, not the time it reached us
    assert ticket.follow_up_of is None

    conversation = WhatsAppConversation.objects.get()
    assert (conversation.ticket, conversation.account, conversation.contact) == (ticket, account, contact)

    comment = Comment.objects.get()
    assert comment.ticket == ticket
    assert comment.author_role == AuthorRole.END_USER
    assert comment.author_contact == contact
    assert comment.public is True
    assert comment.via == Via.WHATSAPP
    assert comment.body == "Hi, I need help with my order"
    assert comment.channel_message_id == first_message(payload("text"))["id"]
    assert comment.channel_sent_at == PAYLOAD_TS
    assert comment.message_type == "text"
    assert comment.forwarded is False
    assert comment.in_reply_to is None
    assert comment.delivery_status is None
    assert event_types(ticket) == ["ticket.created", "comment.added"]

    info = accounts.channel_info(Ticket.objects.get())
    assert info["account_id"] == account.pk
    assert info["last_customer_message_at"] == PAYLOAD_TS


def test_second_message_joins_the_same_ticket(deliver):
    deliver("text")
    deliver(text_message("wamid.second", "It was order 4521", ts=1760000060))
    ticket = Ticket.objects.get()
    assert [c.body for c in ticket.comments.all()] == ["Hi, I need help with my order", "It was order 4521"]
    assert ticket.status == TicketStatus.NEW
    assert ticket.last_customer_message_at == PAYLOAD_TS + timedelta(seconds=60)
    assert Contact.objects.count() == 1
    assert WhatsAppConversation.objects.count() == 1


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (TicketStatus.NEW, TicketStatus.NEW),
        (TicketStatus.OPEN, TicketStatus.OPEN),
        (TicketStatus.PENDING, TicketStatus.OPEN),
        (TicketStatus.HOLD, TicketStatus.HOLD),
        (TicketStatus.SOLVED, TicketStatus.OPEN),
    ],
)
def test_reply_on_an_existing_ticket_follows_zendesk_status_rules(deliver, before, after):
    deliver("text")
    Ticket.objects.update(status=before)
    deliver(text_message("wamid.second", "Still broken", ts=1760000600))
    ticket = Ticket.objects.get()
    assert ticket.status == after
    assert ticket.comments.count() == 2
    status_changes = ticket.events.filter(type="field.changed", data__field="status")
    if before != after:
        assert [(e.data["from"], e.data["to"]) for e in status_changes] == [(before, after)]
    else:
        assert not status_changes.exists()


def test_message_after_solved_reopens_the_ticket(deliver):
    deliver("text")
    Ticket.objects.update(status=TicketStatus.SOLVED)
    deliver(text_message("wamid.after-solved", "It broke again", ts=1760003600))
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.comments.last().body == "It broke again"
    assert ticket.last_customer_message_at == PAYLOAD_TS + timedelta(hours=1)


def test_message_after_closed_creates_a_follow_up_ticket(deliver, account):
    deliver("text")
    first = Ticket.objects.get()
    Ticket.objects.update(status=TicketStatus.CLOSED)
    deliver(text_message("wamid.after-closed", "New problem with my bill", ts=1760090000))

    follow_up = Ticket.objects.exclude(pk=first.pk).get()
    assert follow_up.follow_up_of == first
    assert follow_up.status == TicketStatus.NEW
    assert follow_up.via == Via.WHATSAPP
    assert follow_up.subject == "New problem with my bill"
    assert follow_up.requester == first.requester
    assert follow_up.last_customer_message_at == datetime.fromtimestamp(1760090000, tz=UTC)
    assert [c.body for c in follow_up.comments.all()] == ["New problem with my bill"]
    first.refresh_from_db()
    assert first.status == TicketStatus.CLOSED
    assert first.comments.count() == 1
    assert set(WhatsAppConversation.objects.values_list("ticket_id", flat=True)) == {first.pk, follow_up.pk}
    assert WhatsAppConversation.objects.get(ticket=follow_up).account == account

    deliver(text_message("wamid.after-closed-2", "Any news?", ts=1760090100))
    assert follow_up.comments.count() == 2
    assert Ticket.objects.count() == 2


def test_redelivery_of_the_same_payload_makes_one_comment(deliver):
    for _ in range(3):
        deliver("text")
    assert Comment.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert InboundReceipt.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1  # identical bytes within 24 hours are stored once
    assert Event.objects.filter(type="comment.added").count() == 1


def test_processing_the_same_delivery_twice_is_a_no_op(deliver):
    stored = deliver("text")
    WebhookDelivery.objects.filter(pk=stored.pk).update(state=WebhookDelivery.State.PENDING)
    intake.webhook_process(delivery_id=stored.pk)
    intake.webhook_process(delivery_id=stored.pk)
    assert Comment.objects.count() == 1


def test_same_message_in_a_different_body_is_still_deduplicated(deliver):
    deliver("text")
    body = payload("multi_message")
    value_of(body)["messages"].append(first_message(payload("text")))
    deliver(body)
    assert Comment.objects.filter(body="Hi, I need help with my order").count() == 1
    assert Comment.objects.filter(author_role=AuthorRole.END_USER).count() == 4


def test_bsuid_only_user_then_the_same_user_with_a_phone_number(deliver):
    body = payload("text")
    value_of(body)["contacts"] = [{"profile": {"name": "Ana"}, "user_id": USER_ID}]
    first_message(body).pop("from")
    deliver(body)
    contact = Contact.objects.get()
    assert contact.wa_id is None
    assert contact.whatsapp_user_id == USER_ID
    assert contact.name == "Ana"

    deliver(text_message("wamid.with-phone", "Now with my number", ts=1760000100))
    contact.refresh_from_db()
    assert Contact.objects.count() == 1
    assert contact.wa_id == WA_ID
    assert Ticket.objects.get().comments.count() == 2


def test_known_contact_is_reused_and_a_profile_name_fills_a_placeholder_name(deliver):
    contact = Contact.objects.create(name=WA_ID, wa_id=WA_ID)
    deliver("text")
    contact.refresh_from_db()
    assert Contact.objects.count() == 1
    assert contact.name == "Ana Souza"
    assert contact.whatsapp_user_id == USER_ID
    assert Ticket.objects.get().requester == contact


def test_an_agent_given_name_is_not_overwritten(deliver):
    Contact.objects.create(name="Ana Souza (VIP)", wa_id=WA_ID)
    deliver("text")
    assert Contact.objects.get().name == "Ana Souza (VIP)"


def test_phone_and_bsuid_held_by_two_contacts_still_store_the_message(deliver):
    by_phone = Contact.objects.create(name="Ana (created by an agent)", wa_id=WA_ID)
    by_bsuid = Contact.objects.create(name="Ana (username only)", whatsapp_user_id=USER_ID)
    stored = deliver("text")
    comment = Comment.objects.get()
    assert comment.author_contact == by_phone
    by_bsuid.refresh_from_db()
    assert by_bsuid.whatsapp_user_id == USER_ID
    assert stored.notes == []


def test_absurdly_long_sender_id_does_not_block_the_message(deliver):
    body = text_message("wamid.long-from", "hello")
    first_message(body)["from"] = "9" * 40
    value_of(body)["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": "9" * 40, "user_id": USER_ID}]
    deliver(body)
    contact = Comment.objects.get().author_contact
    assert contact.wa_id is None
    assert contact.whatsapp_user_id == USER_ID


def test_another_number_keeps_its_own_conversation(deliver, account):
    from channels_whatsapp.models import WhatsAppAccount

    other = WhatsAppAccount.objects.create(
        name="Sales", phone_number_id="200000000000001", waba_id="102290129340398", access_token="t"
    )
    deliver("text")
    body = text_message("wamid.to-sales", "Question for sales")
    value_of(body)["metadata"]["phone_number_id"] = other.phone_number_id
    deliver(body)
    assert Ticket.objects.count() == 2
    assert Contact.objects.count() == 1
    assert WhatsAppConversation.objects.filter(account=other).get().ticket.subject == "Question for sales"


# --- timestamps and the window -------------------------------------------------------------------------------------


def test_future_timestamp_is_clamped_to_receipt_time(deliver):
    before = timezone.now()
    future = int((before + timedelta(days=3)).timestamp())
    deliver(text_message("wamid.future", "From a phone with a wrong clock", ts=future))
    after = timezone.now()
    ticket = Ticket.objects.get()
    assert before <= ticket.last_customer_message_at <= after
    comment = Comment.objects.get(author_role=AuthorRole.END_USER)  # the auto-reply may follow it
    assert before <= comment.channel_sent_at <= after
    assert accounts.window_for_ticket(ticket, after + timedelta(hours=23)).open is True
    assert accounts.window_for_ticket(ticket, after + timedelta(hours=24, seconds=1)).open is False


def test_older_message_arriving_late_does_not_move_the_window_back(deliver):
    deliver(text_message("wamid.newer", "Second thing I wrote", ts=1760000600))
    deliver(text_message("wamid.older", "First thing I wrote", ts=1760000000))
    ticket = Ticket.objects.get()
    assert ticket.last_customer_message_at == PAYLOAD_TS + timedelta(seconds=600)
    assert ticket.comments.count() == 2
    assert ticket.comments.get(channel_message_id="wamid.older").channel_sent_at == PAYLOAD_TS


def test_missing_or_bad_timestamp_uses_receipt_time(deliver):
    before = timezone.now()
    deliver(text_message("wamid.no-ts", "No time", ts="yesterday"))
    assert Ticket.objects.get().last_customer_message_at >= before


def test_reactions_and_edits_do_not_touch_the_window(deliver, agent):
    deliver("text")
    agent_reply(Ticket.objects.get(), agent)
    deliver("reaction")
    deliver("edit")
    assert Ticket.objects.get().last_customer_message_at == PAYLOAD_TS


# --- every message type ------------------------------------------------------------------------------------------

MEDIA_ID = {
    "image": "1479537139650973",
    "video": "1023456789012345",
    "audio_voice": "2034567890123456",
    "document": "3045678901234567",
    "sticker": "4056789012345678",
}


# What a first message of each type names its ticket: its text, or what kind of message it was.
SUBJECTS = {
    "text": "Hi, I need help with my order",
    "text_non_ascii": "Olá, não consigo pagar 😢 ação",
    "image": "Photo: Photo of the broken screen",
    "video": "Video: How it fails",
    "audio_voice": "Voice message",
    "document": "Document: invoice-2025-10.pdf",
    "sticker": "Sticker",
    "location": "Location: Loja Paulista",
    "contacts": "Contact: Maria Lima",
    "interactive_button_reply": "Button: Yes, solved",
    "interactive_list_reply": "List reply: Billing",
    "button": "Button: Reopen my ticket",
    "order": "Order",
    "unknown_type": "Unsupported message",
}


@pytest.mark.parametrize(
    ("name", "message_type", "body", "channel_data", "attachment"),
    [
        ("text", "text", "Hi, I need help with my order", {}, None),
        ("text_non_ascii", "text", "Olá, não consigo pagar 😢 ação", {}, None),
        ("image", "image", "Photo of the broken screen", {}, ("image/jpeg", ".jpg")),
        ("video", "video", "How it fails", {}, ("video/mp4", ".mp4")),
        ("audio_voice", "audio", "", {}, ("audio/ogg", ".ogg")),
        ("document", "document", "Invoice for October", {}, ("application/pdf", "invoice-2025-10.pdf")),
        ("sticker", "sticker", "", {}, ("image/webp", ".webp")),
        (
            "location",
            "location",
            "Location: Loja Paulista, Av. Paulista, 1000, São Paulo (-23.561414, -46.655881)",
            {"latitude": -23.561414, "longitude": -46.655881, "name": "Loja Paulista"},
            None,
        ),
        ("contacts", "contacts", "Shared contact: Maria Lima, +55 21 98888-7777, maria@example.com", {}, None),
        (
            "interactive_button_reply",
            "interactive",
            "Yes, solved",
            {"kind": "button_reply", "id": "resolved_yes", "title": "Yes, solved"},
            None,
        ),
        (
            "interactive_list_reply",
            "interactive",
            "Billing (Invoices and payments)",
            {"kind": "list_reply", "id": "topic_billing", "title": "Billing", "description": "Invoices and payments"},
            None,
        ),
        ("button", "button", "Reopen my ticket", {"payload": "reopen:4521"}, None),
        (
            "order",
            "order",
            "Order of 2 item(s): Please deliver before Friday",
            {"catalog_id": "1234567890"},
            None,
        ),
        (
            "unknown_type",
            "hologram",
            "The customer sent a message of type 'hologram' that SupportDesk cannot show.",
            {},
            None,
        ),
    ],
)
def test_message_type_becomes_a_comment(deliver, media_enqueued, name, message_type, body, channel_data, attachment):
    deliver(name)
    comment = Comment.objects.get(author_role=AuthorRole.END_USER)
    assert comment.message_type == message_type
    assert comment.body == body
    assert channel_data.items() <= comment.channel_data.items()
    assert comment.channel_message_id == first_message(payload(name))["id"]
    assert comment.ticket.subject == SUBJECTS[name]
    assert Comment.objects.count() == 1  # no system note for any of these
    if attachment is None:
        assert not comment.attachments.exists()
        assert media_enqueued == []
        return
    content_type, name_part = attachment
    (file,) = comment.attachments.all()
    media = first_message(payload(name))[message_type]
    assert file.ticket == comment.ticket
    assert file.content_type == content_type
    assert file.channel_media_id == MEDIA_ID[name]
    assert file.sha256 == media["sha256"]
    assert file.size == 0
    assert not file.file
    assert file.filename.endswith(name_part)
    assert media_enqueued == [file.pk]


def test_order_keeps_its_items(deliver):
    deliver("order")
    items = Comment.objects.get().channel_data["items"]
    assert [i["product_retailer_id"] for i in items] == ["SKU-CHARGER-20W", "SKU-CABLE-1M"]


def test_contact_card_is_kept_in_channel_data(deliver):
    deliver("contacts")
    assert Comment.objects.get().channel_data["contacts"][0]["phones"][0]["wa_id"] == "5521988887777"


@pytest.mark.parametrize(
    ("name", "code", "body"),
    [
        ("unsupported", "131051", "The customer sent a message of a type WhatsApp does not support here (poll)."),
        (
            "media_error_131052",
            "131052",
            "The customer sent a file WhatsApp could not download (131052: media too large or unavailable). "
            "Unable to download the media sent by the user. Ask them to send it another way.",
        ),
    ],
)
def test_a_message_that_is_only_an_error_says_it_once_in_its_comment(deliver, name, code, body):
    deliver(name)
    ticket = Ticket.objects.get()
    (comment,) = ticket.comments.all()  # one entry: no system note repeating what the comment says
    assert comment.author_role == AuthorRole.END_USER
    assert comment.public is True
    assert comment.body == body
    assert [e["code"] for e in comment.channel_data["errors"]] == [code]


def test_forwarded_messages_are_flagged(deliver):
    deliver("text_forwarded")
    deliver("text_frequently_forwarded")
    forwarded, frequently = Comment.objects.order_by("id")
    assert forwarded.forwarded is True
    assert "frequently_forwarded" not in forwarded.channel_data
    assert frequently.forwarded is True
    assert frequently.channel_data["frequently_forwarded"] is True


def test_plain_text_is_not_forwarded(deliver):
    deliver("text")
    assert Comment.objects.get().forwarded is False


def test_reply_context_links_the_quoted_comment(deliver, agent):
    deliver("text")
    quoted = agent_reply(Ticket.objects.get(), agent)
    deliver("text_reply_context")
    reply = Comment.objects.get(body="Yes, that is the right address")
    assert reply.in_reply_to == quoted
    deliver("interactive_button_reply")
    assert Comment.objects.get(body="Yes, solved").in_reply_to == quoted


def test_reply_context_to_an_unknown_message_is_not_linked(deliver):
    deliver("text_reply_context")
    assert Comment.objects.get().in_reply_to is None


def test_reaction_is_an_event_on_the_reacted_comment_not_a_comment(deliver, agent):
    deliver("text")
    ticket = Ticket.objects.get()
    target = agent_reply(ticket, agent)
    comments_before = Comment.objects.count()

    deliver("reaction")
    assert Comment.objects.count() == comments_before
    event = ticket.events.get(type="message.reaction")
    assert event.data == {"comment_id": target.pk, "emoji": "👍", "removed": False}
    target.refresh_from_db()
    assert target.channel_data["reactions"] == {"customer": "👍"}

    deliver("reaction_removed")
    assert Comment.objects.count() == comments_before
    removed = ticket.events.filter(type="message.reaction").order_by("id").last()
    assert removed.data == {"comment_id": target.pk, "emoji": "", "removed": True}
    target.refresh_from_db()
    assert target.channel_data["reactions"] == {}


def test_reaction_to_an_unknown_message_is_a_note_not_a_crash(deliver):
    stored = deliver("reaction")
    assert Comment.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert any(AGENT_WAMID in note for note in stored.notes)


def test_edit_changes_the_body_and_is_recorded(deliver):
    deliver("text")
    comment = Comment.objects.get()
    deliver("edit")
    comment.refresh_from_db()
    assert Comment.objects.count() == 1
    assert comment.body == "Hi, I need help with my order #4521"
    assert comment.channel_data["edited"] is True
    assert comment.channel_data["original_body"] == "Hi, I need help with my order"
    event = comment.ticket.events.get(type="message.edited")
    assert event.data["comment_id"] == comment.pk


def test_revoke_marks_the_comment_and_is_recorded(deliver):
    deliver("text")
    comment = Comment.objects.get()
    deliver("revoke")
    comment.refresh_from_db()
    assert Comment.objects.count() == 1
    assert comment.channel_data["revoked"] is True
    assert comment.ticket.events.get(type="message.revoked").data["comment_id"] == comment.pk


def test_edit_and_revoke_of_unknown_messages_are_notes(deliver):
    edit = deliver("edit")
    revoke = deliver("revoke")
    assert Comment.objects.count() == 0
    assert edit.notes and revoke.notes


def test_request_welcome_creates_nothing(deliver):
    stored = deliver("request_welcome")
    assert Contact.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert Comment.objects.count() == 0
    assert any("request_welcome" in note for note in stored.notes)


def test_user_changed_number_updates_the_contact(deliver):
    deliver("text")
    contact = Contact.objects.get()
    deliver("system_user_changed_number")
    contact.refresh_from_db()
    assert contact.wa_id == "5511988887777"
    assert contact.phone == "+5511988887777"
    ticket = Ticket.objects.get()
    note = ticket.comments.get(author_role=AuthorRole.SYSTEM)
    assert note.public is False
    assert "5511988887777" in note.body

    body = text_message("wamid.from-new-number", "Writing from my new number", ts=1760000900)
    first_message(body).update({"from": "5511988887777"})
    first_message(body).pop("from_user_id")
    value_of(body)["contacts"] = [{"profile": {"name": "Ana Souza"}, "wa_id": "5511988887777"}]
    deliver(body)
    assert Contact.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert ticket.comments.filter(author_role=AuthorRole.END_USER).count() == 2


def test_system_message_for_an_unknown_sender_is_a_note(deliver):
    stored = deliver("system_user_changed_number")
    assert Contact.objects.count() == 0
    assert stored.notes


# --- several items in one body ------------------------------------------------------------------------------------


def test_multi_entry_body_processes_every_entry(deliver):
    deliver("multi_entry")
    assert Contact.objects.count() == 2
    assert Ticket.objects.count() == 2
    bodies = dict(Comment.objects.values_list("author_contact__wa_id", "body"))
    assert bodies == {
        "5511999990000": "First entry message",
        "5521977776666": "Second entry message, another customer",
    }
    assert Contact.objects.get(wa_id="5521977776666").name == "Bruno Costa"


def test_multi_change_body_processes_every_message_and_status(deliver, agent):
    deliver("text")
    ticket = Ticket.objects.get()
    reply = agent_reply(ticket, agent)
    deliver("multi_change")
    assert [c.body for c in ticket.comments.filter(author_role=AuthorRole.END_USER)] == [
        "Hi, I need help with my order",
        "Message in the first change",
        "Message in the third change",
    ]
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.DELIVERED
    assert StatusReceipt.objects.filter(wamid=AGENT_WAMID, status="delivered").exists()


def test_multi_message_body_processes_every_message_in_order(deliver, agent):
    deliver("text")
    ticket = Ticket.objects.get()
    reply = agent_reply(ticket, agent)
    deliver("multi_message")
    assert [c.body for c in ticket.comments.filter(author_role=AuthorRole.END_USER)] == [
        "Hi, I need help with my order",
        "One",
        "Two",
        "Three",
    ]
    ticket.refresh_from_db()
    assert ticket.last_customer_message_at == PAYLOAD_TS + timedelta(seconds=2)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.READ


def test_one_bad_message_does_not_block_the_others(deliver):
    body = payload("multi_message")
    value_of(body)["messages"].insert(1, {"type": "text", "text": {"body": "no id"}})
    value_of(body)["messages"].insert(2, {"id": "wamid.weird", "type": "reaction", "reaction": None})
    stored = deliver(body)
    assert [c.body for c in Comment.objects.all()] == ["One", "Two", "Three"]
    assert any("message without id" in note for note in stored.notes)


# --- credit-card redaction -------------------------------------------------------------------------------------


def test_card_number_is_masked_before_storage(deliver):
    deliver(text_message("wamid.card", "My card is 4111 1111 1111 1111, please charge it"))
    comment = Comment.objects.get()
    masked = f"My card is 4111 11{MASK * 2} {MASK * 4} 1111, please charge it"
    assert comment.body == masked
    ticket = comment.ticket
    assert "1111 1111 1111" not in ticket.subject
    assert ticket.subject == masked
    event = ticket.events.get(type="redaction.applied")
    assert event.data["comment_id"] == comment.pk
    assert event.data["count"] == 1
    assert "credit_card_redacted" in ticket.tag_rows.values_list("name", flat=True)


def test_card_in_a_caption_is_masked(deliver):
    body = payload("image")
    first_message(body)["image"]["caption"] = "receipt for 5555555555554444"
    deliver(body)
    assert Comment.objects.get().body == f"receipt for 555555{MASK * 6}4444"
    assert Event.objects.filter(type="redaction.applied").count() == 1


def edit_with_card() -> dict:
    body = payload("edit")
    first_message(body)["edit"]["message"]["text"]["body"] = "sorry, it is 4111111111111111"
    return body


def test_card_in_an_edit_is_masked_and_recorded(deliver):
    deliver("text")
    deliver(edit_with_card())
    comment = Comment.objects.get()
    assert comment.body == f"sorry, it is 411111{MASK * 6}1111"
    event = comment.ticket.events.get(type="redaction.applied")
    assert event.data["comment_id"] == comment.pk
    assert "credit_card_redacted" in comment.ticket.tag_rows.values_list("name", flat=True)


def test_card_in_an_edit_on_a_closed_ticket_is_masked_without_a_crash(deliver):
    deliver("text")
    Ticket.objects.update(status=TicketStatus.CLOSED)
    deliver(edit_with_card())
    comment = Comment.objects.get()
    assert comment.body == f"sorry, it is 411111{MASK * 6}1111"
    assert comment.ticket.events.filter(type="redaction.applied").count() == 1
    assert Ticket.objects.get().status == TicketStatus.CLOSED


def test_card_number_is_kept_when_the_account_opted_out(deliver, account):
    account.redact_credit_cards = False
    account.save()
    deliver(text_message("wamid.card", "My card is 4111 1111 1111 1111, please charge it"))
    comment = Comment.objects.get()
    assert comment.body == "My card is 4111 1111 1111 1111, please charge it"
    assert not Event.objects.filter(type="redaction.applied").exists()
    assert not comment.ticket.tag_rows.filter(name="credit_card_redacted").exists()


def test_text_without_a_card_is_not_tagged(deliver):
    deliver(text_message("wamid.phone", "Call me on +55 11 99999-0000 about order ORDER-1234567890123456"))
    assert Comment.objects.get().body == "Call me on +55 11 99999-0000 about order ORDER-1234567890123456"
    assert not Event.objects.filter(type="redaction.applied").exists()


def test_stored_webhook_payload_has_the_card_masked(deliver):
    stored = deliver(text_message("wamid.card", "My card is 4111111111111111"))
    assert "4111111111111111" not in json.dumps(stored.payload)
    assert "411111" in json.dumps(stored.payload)  # first six kept
    event = Event.objects.get(type="redaction.applied")
    assert event.data["count"] == 1


# --- inbound media: a real HTTP server plays the Graph API ----------------------------------------------------------

IMAGE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
IMAGE_MEDIA_ID = MEDIA_ID["image"]


class GraphStub:
    """What the fake Graph API serves and what it was asked."""

    def __init__(self):
        self.base_url = ""
        self.media: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.fail_info: list[int] = []  # statuses to answer GET /{media_id} with before succeeding
        self.fail_download: list[int] = []
        self.lock = threading.Lock()

    def add(self, media_id: str, content: bytes, *, mime_type="image/jpeg", sha256=None, file_size=None):
        self.media[media_id] = {
            "content": content,
            "mime_type": mime_type,
            "sha256": b64sha(content) if sha256 is None else sha256,
            "file_size": len(content) if file_size is None else file_size,
        }

    def paths(self, prefix: str = "/") -> list[str]:
        return [r["path"] for r in self.requests if r["path"].startswith(prefix)]


@pytest.fixture
def graph(settings):
    stub = GraphStub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, status: int, data: dict) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            url = urlsplit(self.path)
            with stub.lock:
                stub.requests.append(
                    {"path": url.path, "query": url.query, "authorization": self.headers.get("Authorization")}
                )
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._json(401, {"error": {"message": "Invalid OAuth access token", "code": 190}})
            if url.path.startswith("/download/"):
                media_id = url.path.split("/")[2]
                if stub.fail_download:
                    return self._json(stub.fail_download.pop(0), {"error": {"message": "boom", "code": 1}})
                item = stub.media.get(media_id)
                if item is None:
                    return self._json(404, {"error": {"message": "not found", "code": 100}})
                self.send_response(200)
                self.send_header("Content-Type", item["mime_type"])
                self.send_header("Content-Length", str(len(item["content"])))
                self.end_headers()
                self.wfile.write(item["content"])
                return None
            media_id = url.path.strip("/")
            if stub.fail_info:
                return self._json(stub.fail_info.pop(0), {"error": {"message": "Service unavailable", "code": 2}})
            item = stub.media.get(media_id)
            if item is None:
                return self._json(404, {"error": {"message": "Unsupported get request", "code": 100}})
            return self._json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{stub.base_url}/download/{media_id}?ext=1",
                    "mime_type": item["mime_type"],
                    "sha256": item["sha256"],
                    "file_size": str(item["file_size"]),
                    "id": media_id,
                },
            )

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # the client hanging up on an over-size download is expected

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.WHATSAPP_GRAPH_URL = stub.base_url
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield stub
    server.shutdown()
    server.server_close()
    thread.join(5)


def image_payload(content: bytes = IMAGE) -> dict:
    body = payload("image")
    first_message(body)["image"]["sha256"] = b64sha(content)
    return body


def image_attachment(deliver, content: bytes = IMAGE):
    deliver(image_payload(content))
    comment = Comment.objects.get(author_role=AuthorRole.END_USER)
    return comment, comment.attachments.get()


def system_notes(ticket: Ticket) -> list[str]:
    return list(ticket.comments.filter(author_role=AuthorRole.SYSTEM, public=False).values_list("body", flat=True))


def test_image_creates_a_placeholder_and_the_text_comment_at_once(deliver, media_enqueued, account):
    comment, attachment = image_attachment(deliver)
    assert comment.body == "Photo of the broken screen"
    assert attachment.channel_media_id == IMAGE_MEDIA_ID
    assert attachment.sha256 == b64sha(IMAGE)
    assert attachment.size == 0
    assert not attachment.file
    assert media_enqueued == [attachment.pk]  # the download is its own task


def test_download_task_stores_the_file_end_to_end(graph, deliver, monkeypatch):
    monkeypatch.setattr(downloads, "enqueue_media_download", REAL_ENQUEUE_MEDIA_DOWNLOAD)
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    comment, attachment = image_attachment(deliver)  # webhook -> worker -> commit -> download task
    assert attachment.file
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert attachment.size == len(IMAGE)
    assert attachment.content_type == "image/jpeg"
    assert graph.paths() == [f"/{IMAGE_MEDIA_ID}", f"/download/{IMAGE_MEDIA_ID}"]
    assert {r["authorization"] for r in graph.requests} == {f"Bearer {TOKEN}"}
    assert "phone_number_id=106540352242922" in graph.requests[0]["query"]
    assert system_notes(comment.ticket) == []


def test_download_stores_the_file(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    _, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert attachment.size == len(IMAGE)
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in graph.requests)
    assert tasks.download_media(attachment.pk) is True  # already stored: nothing fetched again
    assert len(graph.requests) == 2


def test_sha256_mismatch_is_not_stored_and_noted(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE[:-1] + b"\x00", sha256=b64sha(IMAGE))  # bytes altered on the way
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert attachment.size == 0
    (note,) = system_notes(comment.ticket)
    assert "checksum" in note
    assert attachment.filename in note


def test_announced_size_over_the_image_limit_is_refused_without_downloading(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE, file_size=5 * 1024 * 1024 + 1)
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert graph.paths("/download/") == []
    (note,) = system_notes(comment.ticket)
    assert str(5 * 1024 * 1024 + 1) in note


def test_bytes_over_the_image_limit_are_refused(graph, deliver):
    big = b"\xff" * (5 * 1024 * 1024 + 1)
    graph.add(IMAGE_MEDIA_ID, big, file_size=1000)  # the announced size lies
    comment, attachment = image_attachment(deliver, big)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert len(graph.paths("/download/")) == 1  # too large is not worth retrying
    (note,) = system_notes(comment.ticket)
    assert attachment.filename in note


def test_server_errors_are_retried(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    graph.fail_info = [500, 500]
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    with attachment.file.open("rb") as fh:
        assert fh.read() == IMAGE
    assert graph.paths(f"/{IMAGE_MEDIA_ID}") == [f"/{IMAGE_MEDIA_ID}"] * 3
    assert system_notes(comment.ticket) == []


def test_download_errors_are_retried(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    graph.fail_download = [503]
    _, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.size == len(IMAGE)


def test_persistent_server_errors_end_in_a_note_after_three_attempts(graph, deliver):
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    graph.fail_info = [500] * 10
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    attachment.refresh_from_db()
    assert not attachment.file
    assert len(graph.paths(f"/{IMAGE_MEDIA_ID}")) == 3
    (note,) = system_notes(comment.ticket)
    assert "could not be downloaded" in note


def test_wrong_token_is_refused_by_the_server_and_noted(graph, deliver, account):
    account.access_token = "EAAG-expired"
    account.save()
    graph.add(IMAGE_MEDIA_ID, IMAGE)
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    assert len(graph.requests) == 1  # 401 is not retried
    assert graph.requests[0]["authorization"] == "Bearer EAAG-expired"
    (note,) = system_notes(comment.ticket)
    assert "190" in note or "OAuth" in note


def test_unknown_media_id_is_noted(graph, deliver):
    comment, attachment = image_attachment(deliver)
    assert tasks.download_media(attachment.pk) is False
    assert len(system_notes(comment.ticket)) == 1


def test_document_keeps_its_filename_and_may_be_larger_than_an_image(graph, deliver):
    content = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
    body = payload("document")
    first_message(body)["document"]["sha256"] = b64sha(content)
    graph.add(MEDIA_ID["document"], content, mime_type="application/pdf")
    deliver(body)
    attachment = Comment.objects.get().attachments.get()
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.filename == "invoice-2025-10.pdf"
    assert attachment.size == len(content)
    assert attachment.content_type == "application/pdf"


def test_voice_note_mime_parameters_are_dropped(graph, deliver):
    content = b"OggS" + b"\x00" * 100
    body = payload("audio_voice")
    first_message(body)["audio"]["sha256"] = b64sha(content)
    graph.add(MEDIA_ID["audio_voice"], content, mime_type="audio/ogg; codecs=opus")
    deliver(body)
    attachment = Comment.objects.get().attachments.get()
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.content_type == "audio/ogg"
    assert attachment.size == len(content)


def test_redelivered_image_makes_one_attachment(deliver, media_enqueued):
    body = image_payload()
    deliver(copy.deepcopy(body))
    deliver(copy.deepcopy(body))
    assert Comment.objects.count() == 1
    assert len(media_enqueued) == 1


@pytest.mark.parametrize(
    ("sent_name", "stored_name"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("a/b/c.pdf", "c.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/abs/path.pdf", "path.pdf"),
        ("..", "document.pdf"),
        (".", "document.pdf"),
        ("Relatório março.pdf", "Relatório março.pdf"),
    ],
)
def test_document_filename_from_the_customer_is_never_a_path(graph, deliver, sent_name, stored_name):
    content = b"%PDF-1.4 hello"
    body = payload("document")
    first_message(body)["document"].update(sha256=b64sha(content), filename=sent_name)
    graph.add(MEDIA_ID["document"], content, mime_type="application/pdf")
    deliver(body)
    attachment = Comment.objects.get().attachments.get()
    assert attachment.filename == stored_name
    assert tasks.download_media(attachment.pk) is True
    attachment.refresh_from_db()
    assert attachment.file.name.startswith(f"attachments/{attachment.ticket_id}/")
    assert "/" not in attachment.file.name.removeprefix(f"attachments/{attachment.ticket_id}/")
    assert ".." not in attachment.file.name
    assert system_notes(attachment.ticket) == []


def test_generated_filename_has_no_path_even_when_the_wamid_has_a_slash(deliver):
    body = payload("image")
    first_message(body)["id"] = "wamid.HBgNNTUxMTk5OTk5MDAwMBUCABIYFj+/ab/cdEFGH=="
    deliver(body)
    assert "/" not in Comment.objects.get().attachments.get().filename


# --- property: no webhook-shaped payload makes processing crash ------------------------------------------------


def _text(max_size: int):
    """What webhook_receive lets through: no NUL (PostgreSQL stores none), no lone surrogate."""
    return st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=max_size)


_junk = (
    st.none()
    | st.booleans()
    | st.integers(-5, 2**40)
    | _text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_any = st.recursive(
    _junk, lambda c: st.lists(c, max_size=3) | st.dictionaries(_text(max_size=8), c, max_size=3), max_leaves=12
)
_MESSAGE_TYPES = ["text", "image", "document", "audio", "sticker", "video", "location", "contacts", "interactive"]
_MESSAGE_TYPES += ["button", "reaction", "order", "edit", "revoke", "system", "unsupported", "request_welcome", "x"]


def _typed_body(kind: str):
    media = st.fixed_dictionaries(
        {},
        optional={
            "id": _text(max_size=8) | _junk,
            "mime_type": st.sampled_from(["image/jpeg", "application/pdf", "", "x/../y"]) | _junk,
            "sha256": _text(max_size=8),
            "caption": _text(max_size=30) | _junk,
            "filename": st.sampled_from(["a.pdf", "../x", "", ".", "a/b"]) | _junk,
        },
    )
    shapes = {
        "text": st.fixed_dictionaries({"body": _text(max_size=40) | _junk}),
        "location": st.dictionaries(st.sampled_from(["latitude", "longitude", "name", "address"]), _any, max_size=4),
        "interactive": st.fixed_dictionaries(
            {"type": st.sampled_from(["button_reply", "list_reply", "nfm_reply"]) | _junk},
            optional={"button_reply": _any, "list_reply": _any, "nfm_reply": _any},
        ),
        "reaction": st.fixed_dictionaries(
            {"message_id": st.sampled_from([AGENT_WAMID, "wamid.seed", "nope"]) | _junk, "emoji": _junk}
        ),
        "edit": st.fixed_dictionaries(
            {"original_message_id": st.sampled_from(["wamid.seed", "nope"]) | _junk, "message": _any}
        ),
        "revoke": st.fixed_dictionaries({"original_message_id": st.sampled_from(["wamid.seed", "nope"]) | _junk}),
        "system": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["user_changed_number", "x"]) | _junk,
                "wa_id": st.sampled_from([WA_ID, "1"]) | _junk,
            }
        ),
    }
    if kind in ("image", "document", "audio", "sticker", "video"):
        return media | _any
    return shapes.get(kind, _any) | _any


@st.composite
def _messages(draw):
    kind = draw(st.sampled_from(_MESSAGE_TYPES))
    message = {
        "id": f"wamid.fuzz-{draw(st.uuids())}",
        "type": kind,
        "from": draw(st.sampled_from([WA_ID, "5521977776666", ""]) | _junk),
        "timestamp": draw(st.sampled_from(["1760000000", "0", "-1", "9" * 30]) | _junk),
        kind: draw(_typed_body(kind)),
    }
    if draw(st.booleans()):
        message["context"] = draw(_any | st.fixed_dictionaries({"id": _junk, "forwarded": _junk}))
    if draw(st.booleans()):
        message["errors"] = draw(_any | st.lists(st.fixed_dictionaries({"code": _junk, "title": _junk})))
    if kind == "contacts":
        message["contacts"] = draw(_any)
    return message


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    messages=st.lists(_messages(), min_size=1, max_size=4),
    contacts=st.lists(
        st.fixed_dictionaries({"wa_id": st.sampled_from([WA_ID, ""]) | _junk, "profile": _any}), max_size=2
    )
    | _any,
)
def test_processing_never_crashes_on_webhook_shaped_payloads(account, agent, messages, contacts):
    if not Comment.objects.filter(channel_message_id="wamid.seed").exists():
        seed = text_message("wamid.seed", "seed message")
        intake.webhook_process(delivery_id=WebhookDelivery.objects.create(payload=seed).pk)
        agent_reply(Ticket.objects.get(comments__channel_message_id="wamid.seed"), agent)
    body = payload("text")
    value_of(body).update(messages=messages, contacts=contacts)
    stored = WebhookDelivery.objects.create(payload=body)
    intake.webhook_process(delivery_id=stored.pk)
    stored.refresh_from_db()
    assert stored.state == WebhookDelivery.State.PROCESSED
