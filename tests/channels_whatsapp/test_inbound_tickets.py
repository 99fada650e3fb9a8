"""Inbound WhatsApp messages -> contacts, tickets and conversations (Zendesk's status rules), and the window's timestamps."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from channels_whatsapp import accounts, intake
from channels_whatsapp.models import InboundReceipt, WebhookDelivery, WhatsAppConversation
from tests.channels_whatsapp.conftest import payload
from tests.channels_whatsapp.inbound_helpers import (
    PAYLOAD_TS,
    WA_ID,
    agent_reply,
    first_message,
    text_message,
    value_of,
)
from tickets.models import AuthorRole, Comment, Contact, Event, Ticket, TicketStatus, Via

pytestmark = pytest.mark.usefixtures("media_enqueued")


USER_ID = "BR.1502948372615"


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
