"""Inbound WhatsApp messages: card numbers are masked before storage."""

import json

import pytest

from tests.channels_whatsapp.conftest import payload
from tests.channels_whatsapp.inbound_helpers import first_message, text_message
from tickets.models import Comment, Event, Ticket, TicketStatus
from tickets.redaction import MASK

pytestmark = pytest.mark.usefixtures("media_enqueued")


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
