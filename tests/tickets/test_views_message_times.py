"""The ticket page's message bubbles: the sender's own send time, late arrivals, automatic replies."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from automations.notifications import RuleRef, notifications_send
from macros.actions.model import Notification
from tests.factories import ContactFactory
from tests.tickets.view_helpers import ticket_url
from tickets import services
from tickets.models import Comment, DeliveryStatus, TicketStatus, Via
from tickets.services import NewComment
from tickets.templatetags.ticket_tags import comment_kind, comment_sent_at, received_late

pytestmark = pytest.mark.django_db


def _bubble(html: str, comment: Comment) -> str:
    return re.search(rf'<li class="comment [^"]*" id="comment-{comment.pk}".*?</li>', html, re.S).group(0)


def _customer_message(agent, *, sent_ago: timedelta) -> Comment:
    customer = ContactFactory(name="Carla Customer")
    ticket = services.ticket_create(requester=customer, subject="Late message", actor=agent)
    return services.end_user_message_add(
        conversation_ticket=ticket,
        requester=customer,
        via=Via.WHATSAPP,
        body="Sent from a plane",
        sent_at=timezone.now() - sent_ago,
    )


def test_a_message_sent_almost_a_day_ago_shows_its_send_time_not_its_arrival(agent_client, agent):
    comment = _customer_message(agent, sent_ago=timedelta(hours=23.9))
    bubble = _bubble(agent_client.get(ticket_url(comment.ticket)).content.decode(), comment)
    time_tag = re.search(r'<time datetime="([^"]+)" title="[^"]+">([^<]+)</time>', bubble)
    assert time_tag.group(1) == comment.channel_sent_at.isoformat()
    assert "23\xa0hours" in time_tag.group(2) and "ago" in time_tag.group(2)
    assert "second" not in time_tag.group(2)
    assert "received 23 h later" in bubble


def test_a_message_that_arrived_at_once_says_nothing_about_its_arrival(agent_client, agent):
    comment = _customer_message(agent, sent_ago=timedelta(seconds=90))
    bubble = _bubble(agent_client.get(ticket_url(comment.ticket)).content.decode(), comment)
    assert "received-late" not in bubble


@pytest.mark.parametrize(
    ("delay", "text"),
    [
        (timedelta(minutes=2), ""),
        (timedelta(minutes=2, seconds=1), "received 2 min later"),
        (timedelta(hours=30), "received 30 h later"),
        (timedelta(days=3, hours=5), "received 3 d later"),
    ],
)
def test_received_late_wording(agent, delay, text):
    comment = _customer_message(agent, sent_ago=timedelta(0))
    comment.channel_sent_at = comment.created_at - delay
    assert received_late(comment) == text


def test_outbound_shows_the_accepted_time_and_the_written_time_while_queued(agent):
    customer = ContactFactory()
    ticket = services.ticket_create(requester=customer, subject="Reply", actor=agent)
    comment = services.comment_add(ticket=ticket, author=agent, body="On its way", public=True)
    assert comment_sent_at(comment) == comment.created_at
    comment.channel_sent_at = comment.created_at + timedelta(seconds=5)
    assert comment_sent_at(comment) == comment.channel_sent_at
    assert received_late(comment) == ""  # only a customer's message can reach us late


def test_an_automatic_reply_is_a_business_bubble_with_its_ticks(agent_client, agent):
    customer = ContactFactory()
    ticket = services.ticket_create(requester=customer, subject="Hello", actor=agent, via=Via.WHATSAPP)
    notification = Notification(recipient="requester_id", subject="", body="Thanks, we got it.", contact=customer)
    rule = RuleRef(kind="trigger", id=7, title="Acknowledge WhatsApp")
    notifications_send(notifications=[notification], ticket=ticket, rule=rule)
    auto = Comment.objects.get(ticket=ticket, body="Thanks, we got it.")
    Comment.objects.filter(pk=auto.pk).update(delivery_status=DeliveryStatus.DELIVERED)
    note = services.system_note_add(ticket=ticket, body="The image could not be downloaded.")
    assert comment_kind(auto) == "auto" and comment_kind(note) == "system"

    html = agent_client.get(ticket_url(ticket)).content.decode()
    bubble = _bubble(html, auto)
    assert 'class="comment comment--auto"' in bubble
    assert "Automatic reply · Acknowledge WhatsApp" in bubble and "System note" not in bubble
    assert "delivery-delivered" in bubble
    note_bubble = _bubble(html, note)
    assert "System note" in note_bubble and "Automatic reply" not in note_bubble


def test_an_automatic_reply_without_its_event_is_still_labelled(agent_client, agent):
    customer = ContactFactory()
    ticket = services.ticket_create(requester=customer, subject="Hello", actor=agent)
    services.ticket_update(
        ticket=ticket,
        actor=None,
        changes={"status": TicketStatus.OPEN},
        comment=NewComment(body="Thanks, we got your message.", public=True),
        source="trigger",
        via=Via.WHATSAPP,
        run_listeners=False,
    )
    auto = Comment.objects.get(ticket=ticket, body="Thanks, we got your message.")
    bubble = _bubble(agent_client.get(ticket_url(ticket)).content.decode(), auto)
    assert re.search(r'<span class="auto-label">Automatic reply</span>', bubble)
