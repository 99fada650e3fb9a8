"""The agent pages: the ticket page (conversation, event log, delivery ticks)."""

import re

import pytest

from tests.factories import ContactFactory, TicketFactory, UserFactory, group_with, ticket_with_comments
from tests.tickets.view_helpers import ticket_url
from tickets import events, services
from tickets.models import Comment, Event, TicketStatus, Via
from tickets.templatetags.ticket_tags import describe_event

pytestmark = pytest.mark.django_db


# --- Ticket page ----------------------------------------------------------------------------------------------


@pytest.fixture
def conversation(agent):
    """A ticket with a forwarded customer message, an agent reply, an internal note and a system note."""
    customer = ContactFactory(name="Carla Customer")
    ticket = services.ticket_create(requester=customer, subject="Order never arrived", actor=agent)
    services.end_user_message_add(
        conversation_ticket=ticket, requester=customer, via=Via.WEB, body="Where is my order?", forwarded=True
    )
    services.comment_add(ticket=ticket, author=agent, body="Looking into it now.", public=True)
    services.comment_add(ticket=ticket, author=agent, body="Courier says lost.", public=False)
    services.system_note_add(ticket=ticket, body="The customer's image could not be downloaded.")
    return ticket


def test_ticket_page_shows_the_conversation_oldest_first(agent_client, conversation):
    response = agent_client.get(ticket_url(conversation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Order never arrived" in html and f"#{conversation.pk}" in html
    assert "Carla Customer" in html
    assert 'class="badge status status-open"' in html
    positions = [html.index(text) for text in ("Where is my order?", "Looking into it now.", "Courier says lost.")]
    assert positions == sorted(positions)
    assert re.search(r'class="comment comment--customer"[^>]*>.*?Where is my order\?', html, re.S)
    assert re.search(r'class="comment comment--agent"[^>]*>.*?Looking into it now\.', html, re.S)
    note = re.search(r'class="comment comment--note".*?</li>', html, re.S).group(0)
    assert "Internal note" in note and "Courier says lost." in note
    assert 'class="comment comment--system"' in html
    assert "Forwarded: earlier messages of that chat are not included" in html
    assert html.count("Forwarded: earlier messages") == 1


def test_event_log_sentences(agent_client, agent, conversation):
    comment = conversation.comments.filter(public=True, author_role="agent").first()
    services.ticket_update(ticket=conversation, actor=agent, changes={"status": TicketStatus.PENDING})
    events.delivery_failed(comment=comment, code="131047", title="Re-engagement message", detail="More than 24h")
    events.delivery_status(comment=comment, status="delivered", previous="sent")
    events.record(ticket=conversation, type="custom.thing", data={"answer": 42})
    html = agent_client.get(ticket_url(conversation)).content.decode()
    assert "Alice Agent changed status from Open to Pending" in html
    assert "Comment added (public reply)" in html
    assert "Comment added (internal note)" in html
    assert "Comment added (customer message)" in html
    assert "Not delivered: Re-engagement message (131047)" in html
    assert "Delivery status changed from sent to delivered" in html
    assert "custom.thing (answer=42)" in html
    assert "Ticket created via Web" in html


def test_event_log_delivery_tab(agent_client, agent, conversation):
    comment = conversation.comments.filter(public=True, author_role="agent").first()
    events.delivery_failed(comment=comment, code="131047", title="Re-engagement message", detail="")
    html = agent_client.get(ticket_url(conversation), {"events": "delivery"}).content.decode()
    log = html[html.index('id="event-log"') :]
    assert "(131047)" in log
    assert "Comment added" not in log
    fragment = agent_client.get(
        ticket_url(conversation), {"events": "delivery"}, headers={"HX-Request": "true", "HX-Target": "event-log"}
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="event-log"') and "Comment added" not in fragment


@pytest.mark.parametrize(
    "type,data,actor,sentence",
    [
        (
            "field.changed",
            {"field": "priority", "from": None, "to": "high"},
            None,
            "Priority changed from (none) to High",
        ),
        (
            "field.changed",
            {"field": "status", "from": "open", "to": "hold"},
            None,
            "Status changed from Open to On-hold",
        ),
        (
            "field.changed",
            {"field": "type", "from": "question", "to": "task"},
            "x",
            "Ann Lee changed type from Question to Task",
        ),
        (
            "notification.sent",
            {"recipient": "requester_id", "channel": "whatsapp", "rule": "trigger", "rule_id": 1},
            None,
            "Notification sent to the requester (WhatsApp)",
        ),
        (
            "notification.sent",
            {"recipient": "assignee_id", "channel": "email", "to": "a@example.com"},
            None,
            "Notification sent to the assignee (e-mail)",
        ),
        ("notification.sent", {"recipient": "42", "channel": "email"}, None, "Notification sent to agent #42 (e-mail)"),
        ("notification.sent", {}, None, "Notification sent"),
        (
            "field.changed",
            {"field": "tags", "from": ["a"], "to": ["a", "b"]},
            "x",
            "Ann Lee changed tags from a to a b",
        ),
        (
            "ticket.created",
            {"via": "whatsapp", "follow_up_of": 7},
            None,
            "Ticket created via WhatsApp as a follow-up of #7",
        ),
        ("delivery.status", {"status": "sent", "previous": None}, None, "Delivery status: sent"),
        ("delivery.failed", {}, None, "Not delivered"),
        ("macro.applied", {"macro_id": 3}, "x", "Macro applied: #3"),
        ("trigger.fired", {"title": "Auto-reply"}, None, "Trigger fired: Auto-reply"),
        ("automation.fired", {}, None, "Automation fired"),
        ("redaction.applied", {}, None, "Sensitive data redacted"),
        ("message.reaction", {"emoji": "+1"}, None, "Customer reacted +1"),
        ("surprise", {}, None, "surprise"),
    ],
)
def test_describe_event(type, data, actor, sentence):
    user = UserFactory.build(first_name="Ann", last_name="Lee") if actor else None
    assert describe_event(Event(type=type, data=data, actor=user)) == sentence


def test_assignee_change_reads_with_names(agent_client, agent, other_agent):
    group = group_with(agent, other_agent, name="Tier 1")
    ticket = TicketFactory(assignee=agent)
    services.ticket_update(ticket=ticket, actor=agent, changes={"group": group, "assignee": other_agent})
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "Alice Agent changed group from (none) to Tier 1" in html
    assert "Alice Agent changed assignee from Alice Agent to Bob Other" in html


@pytest.mark.parametrize(
    "status,symbol,text",
    [
        ("queued", "\u23f1", "Queued"),
        ("sent", "\u2713", "Sent"),
        ("delivered", "\u2713\u2713", "Delivered"),
        ("read", "\u2713\u2713", "Read"),
    ],
)
def test_delivery_ticks(agent_client, agent, status, symbol, text):
    ticket = TicketFactory(assignee=agent, via=Via.WHATSAPP)
    comment = Comment.objects.create(
        ticket=ticket, author_role="agent", author_user=agent, body="Hi", delivery_status=status
    )
    html = agent_client.get(ticket_url(ticket)).content.decode()
    tick = re.search(
        rf'<span class="delivery delivery-{status}" data-comment-id="{comment.pk}".*?</span>\s*</span>', html, re.S
    )
    assert tick, html
    assert symbol in tick.group(0) and text in tick.group(0)


def test_failed_delivery_shows_plain_words_and_the_code(agent_client, agent):
    ticket = TicketFactory(assignee=agent, via=Via.WHATSAPP)
    comment = Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=agent,
        body="Hello again",
        delivery_status="failed",
        delivery_error_code="131047",
        delivery_error_title="Re-engagement message",
        template={"name": "order_update", "language": "en_US"},
    )
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert f'<span class="delivery delivery-failed" data-comment-id="{comment.pk}"' in html
    assert 'title="Not delivered (131047)"' in html
    assert "More than 24 hours since the customer&#x27;s last message: only a template can reach them now." in html
    assert '<p class="delivery-failure-code">code 131047 · Re-engagement message</p>' in html
    assert '<span class="badge badge-template"' in html and ">template</span>" in html


def test_comment_without_delivery_has_no_tick(agent_client, conversation):
    assert b'class="delivery ' not in agent_client.get(ticket_url(conversation)).content


def test_ticket_page_query_count_does_not_grow_with_comments(client, agent, django_assert_num_queries):
    small, large = ticket_with_comments(2, agent=agent), ticket_with_comments(40, agent=agent)
    client.force_login(agent)
    # 9, plus the agent's read mark (the newest comment id, one upsert): the list's unread marker; plus CCs and
    # followers (one query each), plus the active ticket fields (their values are read only when there are some)
    with django_assert_num_queries(14) as small_queries:
        client.get(ticket_url(small))
    with django_assert_num_queries(14) as large_queries:
        client.get(ticket_url(large))
    assert len(small_queries.captured_queries) == len(large_queries.captured_queries)
