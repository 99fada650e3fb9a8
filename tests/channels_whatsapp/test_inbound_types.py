"""Inbound WhatsApp messages of every type, and several items in one body."""

from datetime import timedelta

import pytest

from channels_whatsapp.models import StatusReceipt
from tests.channels_whatsapp.conftest import payload
from tests.channels_whatsapp.inbound_helpers import (
    AGENT_WAMID,
    MEDIA_ID,
    PAYLOAD_TS,
    agent_reply,
    first_message,
    text_message,
    value_of,
)
from tickets.models import AuthorRole, Comment, Contact, DeliveryStatus, Ticket

pytestmark = pytest.mark.usefixtures("media_enqueued")


# --- every message type ------------------------------------------------------------------------------------------


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
