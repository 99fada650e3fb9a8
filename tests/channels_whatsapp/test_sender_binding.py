"""Webhook events are bound to their sender: a status, reaction, edit or revoke touches only a message of the same
connected number and the same person; anything else is recorded as a RefusedEvent and the comment stays as it was."""

import logging

import pytest

from channels_whatsapp.models import OutboundSend, RefusedEvent, StatusReceipt, WebhookDelivery
from tests.channels_whatsapp.binding_helpers import (
    ANA,
    ANA_USER_ID,
    BRUNO,
    OTHER_PHONE_NUMBER_ID,
    customer_message,
    deliver_fixture,  # noqa: F401 - fixture
    edit,
    other_account_fixture,  # noqa: F401 - fixture
    our_reply,
    reaction,
    revoke,
    status,
)
from tests.factories import CommentFactory, TicketFactory
from tickets.models import Comment, Contact, DeliveryStatus, Event, Ticket

OUR_WAMID = "wamid.OUR-REPLY-1"
ANA_WAMID = "wamid.ANA-1"


@pytest.fixture
def ana_ticket(deliver) -> Ticket:
    deliver(customer_message(ANA_WAMID))
    return Ticket.objects.get()


@pytest.fixture
def ana_message(ana_ticket) -> Comment:
    return Comment.objects.get(channel_message_id=ANA_WAMID)


@pytest.fixture
def sent(ana_ticket, agent, account) -> Comment:
    """Our reply to Ana, sent from the default number."""
    return our_reply(ana_ticket, agent, account=account, wamid=OUR_WAMID)


def snapshot(comment: Comment) -> dict:
    comment = Comment.objects.get(pk=comment.pk)
    return {
        field: getattr(comment, field)
        for field in (
            "body",
            "channel_data",
            "channel_message_id",
            "delivery_status",
            "delivery_error_code",
            "delivery_error_title",
            "delivery_error_detail",
        )
    }


def refused(stored: WebhookDelivery) -> RefusedEvent:
    (event,) = RefusedEvent.objects.filter(delivery=stored)
    assert any("refused" in note for note in stored.notes)
    return event


# --- statuses ---------------------------------------------------------------------------------------------------


def test_failed_status_from_another_number_is_refused(deliver, sent, other_account):
    before = snapshot(sent)
    stored = deliver(
        status(OUR_WAMID, "failed", phone_number_id=OTHER_PHONE_NUMBER_ID, error_text="Pay at evil.example instead")
    )
    assert snapshot(sent) == before
    assert not Event.objects.filter(type="delivery.failed").exists()
    event = refused(stored)
    assert (event.kind, event.reason) == ("status", "wrong_account")
    assert (event.account, event.phone_number_id) == (other_account, OTHER_PHONE_NUMBER_ID)
    assert (event.wamid, event.comment, event.sender) == (OUR_WAMID, sent, ANA)
    assert "evil" not in str(RefusedEvent.objects.values().get())  # the sender's text is not copied

    # The refusal consumed nothing: the real status from our number still applies.
    deliver(status(OUR_WAMID, "failed"))
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.FAILED and sent.delivery_error_code == "131026"


def test_status_for_another_recipient_is_refused(deliver, sent):
    before = snapshot(sent)
    stored = deliver(status(OUR_WAMID, "read", recipient=BRUNO))
    assert snapshot(sent) == before
    assert refused(stored).reason == "wrong_recipient"
    assert not StatusReceipt.objects.exists()


def test_status_without_a_recipient_is_refused(deliver, sent):
    before = snapshot(sent)
    stored = deliver(status(OUR_WAMID, "failed", recipient=None))
    assert snapshot(sent) == before
    assert refused(stored).reason == "wrong_recipient"


def test_callback_data_alone_cannot_fail_an_internal_note_of_another_channel(deliver, ana_ticket, agent):
    note = CommentFactory(ticket=TicketFactory(), author_user=agent, public=False, body="Internal: VIP customer")
    before = snapshot(note)
    stored = deliver(status("wamid.UNKNOWN", "failed", callback=f"comment:{note.pk}", error_text="Hacked"))
    assert snapshot(note) == before
    event = refused(stored)
    assert (event.reason, event.comment) == ("not_outbound", note)
    assert not Event.objects.filter(type="delivery.failed").exists()


def test_callback_data_with_a_foreign_wamid_is_checked_against_that_wamid(deliver, ana_message, ana_ticket, agent):
    note = CommentFactory(ticket=ana_ticket, author_user=agent, public=False, body="Internal")
    before_note, before_message = snapshot(note), snapshot(ana_message)
    # Ana's own inbound wamid, with our note named in the callback: neither is an outbound message of ours.
    stored = deliver(status(ANA_WAMID, "failed", callback=f"comment:{note.pk}"))
    assert (snapshot(note), snapshot(ana_message)) == (before_note, before_message)
    assert refused(stored).reason == "not_outbound"


def test_callback_naming_a_sent_message_with_an_unknown_wamid_is_refused(deliver, sent):
    before = snapshot(sent)
    stored = deliver(status("wamid.NOT-OURS", "failed", callback=f"comment:{sent.pk}"))
    assert snapshot(sent) == before
    assert refused(stored).reason == "callback_mismatch"
    assert not Comment.objects.filter(channel_message_id="wamid.NOT-OURS").exists()


def test_status_from_the_sending_number_to_the_recipient_applies(deliver, sent):
    stored = deliver(status(OUR_WAMID, "delivered"))
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.DELIVERED
    assert not RefusedEvent.objects.exists()
    assert not any("refused" in note for note in stored.notes)


def test_status_to_a_business_scoped_user_id_applies(deliver, sent):
    Contact.objects.filter(wa_id=ANA).update(whatsapp_user_id=ANA_USER_ID)
    deliver(status(OUR_WAMID, "read", recipient=None, recipient_user_id=ANA_USER_ID))
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.READ


def test_callback_data_for_a_send_still_awaiting_its_wamid_applies(deliver, ana_ticket, agent, account):
    pending = our_reply(ana_ticket, agent, account=account, wamid=None)
    deliver(status("wamid.LATE", "delivered", callback=f"comment:{pending.pk}"))
    pending.refresh_from_db()
    assert (pending.delivery_status, pending.channel_message_id) == (DeliveryStatus.DELIVERED, "wamid.LATE")


def test_callback_data_for_an_awaiting_send_of_another_number_is_refused(deliver, ana_ticket, agent, other_account):
    pending = our_reply(ana_ticket, agent, account=other_account, wamid=None)
    before = snapshot(pending)
    stored = deliver(status("wamid.LATE", "failed", callback=f"comment:{pending.pk}"))
    assert snapshot(pending) == before
    assert refused(stored).reason == "wrong_account"


def test_further_messages_of_a_reply_with_files_carry_its_status(deliver, sent):
    OutboundSend.objects.filter(comment=sent).update(wamids=[OUR_WAMID, "wamid.OUR-REPLY-2"])
    deliver(status("wamid.OUR-REPLY-2", "read", callback=f"comment:{sent.pk}"))
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.READ


# --- reactions, edits, revokes -------------------------------------------------------------------------------------


def test_edit_from_another_customer_is_refused(deliver, ana_message):
    before = snapshot(ana_message)
    stored = deliver(edit("wamid.E1", ANA_WAMID, "Send the refund to my account instead", sender=BRUNO))
    assert snapshot(ana_message) == before
    event = refused(stored)
    assert (event.kind, event.reason, event.sender, event.target_wamid) == ("edit", "wrong_sender", BRUNO, ANA_WAMID)
    assert not Event.objects.filter(type="message.edited").exists()


def test_revoke_from_another_customer_is_refused(deliver, ana_message):
    before = snapshot(ana_message)
    stored = deliver(revoke("wamid.R1", ANA_WAMID, sender=BRUNO))
    assert snapshot(ana_message) == before
    assert (refused(stored).kind, refused(stored).reason) == ("revoke", "wrong_sender")
    assert not Event.objects.filter(type="message.revoked").exists()


def test_edit_from_the_same_number_on_another_connected_number_is_refused(deliver, ana_message, other_account):
    before = snapshot(ana_message)
    stored = deliver(edit("wamid.E2", ANA_WAMID, "changed", phone_number_id=OTHER_PHONE_NUMBER_ID))
    assert snapshot(ana_message) == before
    assert refused(stored).reason == "wrong_account"


def test_the_customer_cannot_edit_or_revoke_our_message(deliver, sent):
    before = snapshot(sent)
    first = deliver(edit("wamid.E3", OUR_WAMID, "Your refund is rejected"))
    second = deliver(revoke("wamid.R3", OUR_WAMID))
    assert snapshot(sent) == before
    assert refused(first).reason == refused(second).reason == "wrong_sender"


def test_reaction_from_another_customer_to_our_message_is_refused(deliver, sent):
    before = snapshot(sent)
    stored = deliver(reaction("wamid.X1", OUR_WAMID, sender=BRUNO))
    assert snapshot(sent) == before
    assert (refused(stored).kind, refused(stored).reason) == ("reaction", "wrong_recipient")
    assert not Event.objects.filter(type="message.reaction").exists()


def test_reaction_from_our_recipient_on_another_number_is_refused(deliver, sent, other_account):
    before = snapshot(sent)
    stored = deliver(reaction("wamid.X2", OUR_WAMID, phone_number_id=OTHER_PHONE_NUMBER_ID))
    assert snapshot(sent) == before
    assert refused(stored).reason == "wrong_account"


def test_reaction_from_another_customer_to_a_customer_message_is_refused(deliver, ana_message):
    before = snapshot(ana_message)
    stored = deliver(reaction("wamid.X3", ANA_WAMID, sender=BRUNO))
    assert snapshot(ana_message) == before
    assert refused(stored).reason == "wrong_sender"


def test_edit_and_revoke_by_the_original_sender_apply(deliver, ana_message):
    deliver(edit("wamid.E4", ANA_WAMID, "My order is #4521"))
    ana_message.refresh_from_db()
    assert ana_message.body == "My order is #4521"
    assert ana_message.channel_data["edited"] is True
    deliver(revoke("wamid.R4", ANA_WAMID))
    ana_message.refresh_from_db()
    assert ana_message.channel_data["revoked"] is True
    assert not RefusedEvent.objects.exists()


def test_reaction_by_our_recipient_applies(deliver, sent):
    deliver(reaction("wamid.X4", OUR_WAMID))
    sent.refresh_from_db()
    assert sent.channel_data["reactions"] == {"customer": "\U0001f44d"}
    assert sent.ticket.events.filter(type="message.reaction").count() == 1
    assert not RefusedEvent.objects.exists()


def test_reaction_by_the_customer_to_their_own_message_applies(deliver, ana_message):
    deliver(reaction("wamid.X5", ANA_WAMID, emoji="\u2764"))
    ana_message.refresh_from_db()
    assert ana_message.channel_data["reactions"] == {"customer": "\u2764"}


# --- what admins see -------------------------------------------------------------------------------------------------


def test_refusal_is_logged_at_warning_without_personal_data(deliver, sent, caplog):
    with caplog.at_level(logging.WARNING, logger="channels_whatsapp.refusals"):
        deliver(status(OUR_WAMID, "failed", recipient=BRUNO, error_text="Call +5521977776666"))
    (record,) = [r for r in caplog.records if r.name == "channels_whatsapp.refusals"]
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert "wrong_recipient" in line
    for personal in (ANA, BRUNO, OUR_WAMID, "Call"):
        assert personal not in line


def test_refused_events_are_read_only_in_the_admin(deliver, sent, client, admin_user):
    stored = deliver(reaction("wamid.X6", OUR_WAMID, sender=BRUNO))
    event = refused(stored)
    client.force_login(admin_user)
    listing = client.get("/admin/channels_whatsapp/refusedevent/")
    assert listing.status_code == 200
    assert b"wrong_recipient" in listing.content or b"sent to someone else" in listing.content
    page = client.get(f"/admin/channels_whatsapp/refusedevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="reason"' not in page.content  # read-only: no form fields
    assert client.get("/admin/channels_whatsapp/refusedevent/add/").status_code == 403
    assert client.post(f"/admin/channels_whatsapp/refusedevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RefusedEvent.objects.filter(pk=event.pk).exists()


# --- number changes ------------------------------------------------------------------------------------------------


def number_change(wamid: str, new_wa_id: str, **kwargs) -> dict:
    content = {"body": f"User changed number to {new_wa_id}", "type": "user_changed_number", "wa_id": new_wa_id}
    return customer_message(wamid, type_="system", content=content, **kwargs)


def test_number_change_posted_on_a_number_the_customer_never_wrote_to_is_refused(deliver, ana_ticket, other_account):
    stored = deliver(number_change("wamid.SYS1", "5599911112222", phone_number_id=OTHER_PHONE_NUMBER_ID))
    assert Contact.objects.get(pk=ana_ticket.requester_id).wa_id == ANA
    event = refused(stored)
    assert (event.kind, event.reason, event.account) == ("system", "wrong_account", other_account)
    assert not Comment.objects.filter(author_role="system").exists()


def test_number_change_on_the_customers_own_conversation_applies(deliver, ana_ticket):
    deliver(number_change("wamid.SYS2", "5599911112222"))
    assert Contact.objects.get(pk=ana_ticket.requester_id).wa_id == "5599911112222"
    assert ana_ticket.comments.filter(author_role="system").count() == 1
    assert not RefusedEvent.objects.exists()


def test_status_for_the_number_a_reply_went_to_applies_after_a_number_change(deliver, sent):
    OutboundSend.objects.filter(comment=sent).update(payload=[{"to": f"+{ANA}", "type": "text"}])
    Contact.objects.filter(wa_id=ANA).update(wa_id="5599911112222")
    deliver(status(OUR_WAMID, "delivered"))  # still addressed to the old number
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.DELIVERED
    stored = deliver(status(OUR_WAMID, "read", recipient=BRUNO))
    assert refused(stored).reason == "wrong_recipient"
