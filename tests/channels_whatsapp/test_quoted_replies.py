"""A customer's swipe-reply (`context.id`) to one of our messages lands on that message's ticket; a quote of anything
that is not of this conversation routes nothing and links nothing; the "In reply to" line shows only what the viewer
may see."""

import pytest

from channels_whatsapp.models import RefusedEvent, WhatsAppConversation
from tests.channels_whatsapp.binding_helpers import (
    BRUNO,
    OTHER_PHONE_NUMBER_ID,
    customer_message,
    deliver_fixture,  # noqa: F401 - fixture
    other_account_fixture,  # noqa: F401 - fixture
    our_reply,
)
from tests.factories import CommentFactory, GroupFactory, TicketFactory, UserFactory
from tickets.models import Comment, Contact, Ticket, TicketStatus, Via

OUR_WAMID = "wamid.OUR-ANSWER-1"
ANA_WAMID = "wamid.ANA-FIRST"
SECRET_TEXT = "Refund of 900 EUR approved for the Lisbon order"


@pytest.fixture
def older_ticket(deliver, agent, account) -> Ticket:
    """Ana's first ticket, where an agent answered her from the default number."""
    deliver(customer_message(ANA_WAMID))
    ticket = Ticket.objects.get()
    our_reply(ticket, agent, account=account, wamid=OUR_WAMID, body=SECRET_TEXT)
    return ticket


@pytest.fixture
def newer_ticket(older_ticket, account) -> Ticket:
    """A ticket another agent has just opened for Ana, on the same number: her newest conversation."""
    group = GroupFactory(name="Billing")
    ticket = TicketFactory(requester=older_ticket.requester, via=Via.WHATSAPP, group=group)
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=older_ticket.requester)
    return ticket


def reply_of(wamid: str) -> Comment:
    return Comment.objects.get(channel_message_id=wamid)


def test_swipe_reply_to_our_message_lands_on_its_ticket_not_the_newest(deliver, older_ticket, newer_ticket):
    stored = deliver(customer_message("wamid.ANA-REPLY", context_id=OUR_WAMID))
    reply = reply_of("wamid.ANA-REPLY")
    assert reply.ticket == older_ticket
    assert reply.in_reply_to == Comment.objects.get(channel_message_id=OUR_WAMID)
    assert not newer_ticket.comments.exists()
    assert not RefusedEvent.objects.exists() and stored.state == "processed"


def test_plain_message_still_joins_the_newest_ticket(deliver, older_ticket, newer_ticket):
    deliver(customer_message("wamid.ANA-PLAIN"))
    assert reply_of("wamid.ANA-PLAIN").ticket == newer_ticket


def test_swipe_reply_to_a_solved_ticket_reopens_it(deliver, older_ticket, newer_ticket):
    Ticket.objects.filter(pk=older_ticket.pk).update(status=TicketStatus.SOLVED)
    deliver(customer_message("wamid.ANA-REPLY", context_id=OUR_WAMID))
    assert reply_of("wamid.ANA-REPLY").ticket == older_ticket
    older_ticket.refresh_from_db()
    assert older_ticket.status == TicketStatus.OPEN


def test_swipe_reply_to_a_closed_ticket_follows_the_usual_rule(deliver, older_ticket, newer_ticket):
    Ticket.objects.filter(pk=older_ticket.pk).update(status=TicketStatus.CLOSED)
    deliver(customer_message("wamid.ANA-REPLY", context_id=OUR_WAMID))
    reply = reply_of("wamid.ANA-REPLY")
    assert reply.ticket == newer_ticket  # the customer's open ticket
    older_ticket.refresh_from_db()
    assert older_ticket.status == TicketStatus.CLOSED and older_ticket.comments.count() == 2


def test_swipe_reply_to_a_closed_ticket_without_another_opens_a_follow_up(deliver, older_ticket):
    Ticket.objects.filter(pk=older_ticket.pk).update(status=TicketStatus.CLOSED)
    deliver(customer_message("wamid.ANA-REPLY", context_id=OUR_WAMID))
    reply = reply_of("wamid.ANA-REPLY")
    assert reply.ticket != older_ticket
    assert reply.ticket.follow_up_of == older_ticket


def test_quote_of_another_customers_message_is_not_linked_nor_routed(deliver, older_ticket, agent, account):
    # Bruno's conversation, with one of our answers to him.
    deliver(customer_message("wamid.BRUNO-1", sender=BRUNO, name="Bruno Costa"))
    bruno_ticket = Ticket.objects.get(requester__wa_id=BRUNO)
    bruno_answer = our_reply(bruno_ticket, agent, account=account, wamid="wamid.OUR-TO-BRUNO", body="Bruno's secret")

    stored = deliver(customer_message("wamid.ANA-QUOTE", context_id="wamid.OUR-TO-BRUNO"))
    reply = reply_of("wamid.ANA-QUOTE")
    assert reply.ticket == older_ticket
    assert reply.in_reply_to is None
    (event,) = RefusedEvent.objects.all()
    assert (event.kind, event.reason, event.comment, event.delivery) == (
        "quote",
        "wrong_recipient",
        bruno_answer,
        stored,
    )
    assert bruno_ticket.comments.count() == 2


def test_quote_of_our_message_from_another_number_is_not_routed(deliver, older_ticket, newer_ticket, other_account):
    deliver(customer_message("wamid.ANA-OTHER", context_id=OUR_WAMID, phone_number_id=OTHER_PHONE_NUMBER_ID))
    reply = reply_of("wamid.ANA-OTHER")
    assert reply.ticket not in (older_ticket, newer_ticket)  # the other number's own conversation
    assert reply.in_reply_to is None
    assert RefusedEvent.objects.get().reason == "wrong_account"


def test_quote_of_an_internal_note_is_refused(deliver, older_ticket, newer_ticket, agent):
    CommentFactory(ticket=older_ticket, author_user=agent, public=False, channel_message_id="wamid.NOTE", body="x")
    deliver(customer_message("wamid.ANA-NOTE", context_id="wamid.NOTE"))
    reply = reply_of("wamid.ANA-NOTE")
    assert (reply.ticket, reply.in_reply_to) == (newer_ticket, None)
    assert RefusedEvent.objects.get().reason == "not_outbound"


def test_quote_of_the_customers_own_message_is_linked_but_not_routed(deliver, older_ticket, newer_ticket):
    deliver(customer_message("wamid.ANA-SELF", context_id=ANA_WAMID))
    reply = reply_of("wamid.ANA-SELF")
    assert reply.ticket == newer_ticket
    assert reply.in_reply_to == Comment.objects.get(channel_message_id=ANA_WAMID)
    assert not RefusedEvent.objects.exists()


def test_quote_of_an_unknown_message_is_ignored(deliver, older_ticket, newer_ticket):
    deliver(customer_message("wamid.ANA-UNKNOWN", context_id="wamid.NEVER-SEEN"))
    reply = reply_of("wamid.ANA-UNKNOWN")
    assert (reply.ticket, reply.in_reply_to) == (newer_ticket, None)
    assert not RefusedEvent.objects.exists()


# --- "In reply to" on the ticket page ---------------------------------------------------------------------------


@pytest.fixture
def cross_ticket_quote(db):
    """A comment on a ticket the agent sees, quoting a comment on a ticket of a group the agent is not in (as the
    swipe-reply routing used to produce)."""
    contact = Contact.objects.create(name="Ana Souza", wa_id="5511999990000")
    hidden_group = GroupFactory(name="VIP")
    hidden_group.members.add(UserFactory(username="vip-agent"))
    hidden = TicketFactory(requester=contact, via=Via.WHATSAPP, group=hidden_group)
    quoted = CommentFactory(ticket=hidden, body=SECRET_TEXT)
    visible = TicketFactory(requester=contact, via=Via.WHATSAPP)
    CommentFactory(
        ticket=visible, author_role="end_user", author_user=None, author_contact=contact, body="ok", in_reply_to=quoted
    )
    return visible


def test_in_reply_to_hides_the_text_of_a_ticket_the_viewer_cannot_see(agent_client, cross_ticket_quote):
    page = agent_client.get(f"/tickets/{cross_ticket_quote.pk}/")
    assert page.status_code == 200
    assert SECRET_TEXT not in page.content.decode()
    assert "In reply to an earlier message" in page.content.decode()


def test_in_reply_to_shows_the_text_to_a_viewer_who_may_see_it(client, admin_user, cross_ticket_quote):
    client.force_login(admin_user)
    page = client.get(f"/tickets/{cross_ticket_quote.pk}/")
    assert SECRET_TEXT in page.content.decode()


def test_in_reply_to_on_the_same_ticket_shows_the_text(deliver, agent_client, older_ticket):
    deliver(customer_message("wamid.ANA-REPLY", context_id=OUR_WAMID))
    page = agent_client.get(f"/tickets/{older_ticket.pk}/")
    assert "In reply to:" in page.content.decode()
    assert SECRET_TEXT in page.content.decode()


def test_in_reply_to_shows_the_text_to_an_agent_of_the_quoted_tickets_group(agent, agent_client, cross_ticket_quote):
    quoted = cross_ticket_quote.comments.get().in_reply_to
    quoted.ticket.group.members.add(agent)
    page = agent_client.get(f"/tickets/{cross_ticket_quote.pk}/").content.decode()
    assert SECRET_TEXT in page
    assert f'href="/tickets/{quoted.ticket_id}/#comment-{quoted.pk}"' in page
