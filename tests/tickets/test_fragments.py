"""The ticket page's live parts (tickets.views.ticket_fragments): what one frame makes the page fetch."""

import re

import pytest
from django.urls import reverse

from tests.factories import GroupFactory, TicketFactory, ticket_with_comments
from tickets import events
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def fragments_url(ticket, *parts: str, events_tab: str = "") -> str:
    query = "&".join(f"part={part}" for part in parts) + (f"&events={events_tab}" if events_tab else "")
    return f"{reverse('tickets:ticket-fragments', args=[ticket.pk])}?{query}"


def roots(html: str) -> list[str]:
    """The top-level elements swapped out of band, by id."""
    return re.findall(r'<[a-z]+ [^>]*id="([a-z-]+)"[^>]*hx-swap-oob="true"', html)


def test_conversation_and_events_come_back_as_out_of_band_swaps(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    comment = Comment.objects.create(ticket=ticket, author_role="agent", author_user=agent, body="Shipped today")
    events.comment_added(comment=comment, actor=agent)
    response = agent_client.get(fragments_url(ticket, "conversation", "events"))
    assert response.status_code == 200
    html = response.content.decode()
    assert roots(html) == ["comments", "event-log"]
    assert "Shipped today" in html
    assert "Comment added" in html
    assert 'id="ticket-form"' not in html and "<html" not in html  # the parts, never the page
    assert response["Cache-Control"] == "no-store"


def test_only_the_asked_parts_come_back(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    assert roots(agent_client.get(fragments_url(ticket, "conversation")).content.decode()) == ["comments"]
    assert roots(agent_client.get(fragments_url(ticket, "events")).content.decode()) == ["event-log"]


def test_the_event_log_keeps_its_tab(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    comment = Comment.objects.create(ticket=ticket, author_role="agent", author_user=agent, body="Hi")
    events.comment_added(comment=comment, actor=agent)
    html = agent_client.get(fragments_url(ticket, "events", events_tab="delivery")).content.decode()
    assert "No delivery events." in html
    assert "Comment added" not in html


def test_no_known_part_is_a_400(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    assert agent_client.get(fragments_url(ticket)).status_code == 400
    assert agent_client.get(fragments_url(ticket, "page")).status_code == 400


def test_a_ticket_the_agent_cannot_see_is_404_and_anonymous_is_sent_to_log_in(client, agent, other_agent):
    group = GroupFactory(name="Alice only")
    group.members.add(agent)
    ticket = TicketFactory(group=group, assignee=agent)
    assert client.get(fragments_url(ticket, "conversation")).status_code == 302
    client.force_login(other_agent)
    assert client.get(fragments_url(ticket, "conversation", "events")).status_code == 404


def test_query_count_is_pinned_and_does_not_grow_with_comments(client, agent, django_assert_num_queries):
    small, large = ticket_with_comments(2, agent=agent), ticket_with_comments(40, agent=agent)
    client.force_login(agent)
    for ticket in (small, large):
        with django_assert_num_queries(QUERIES_BOTH):
            client.get(fragments_url(ticket, "conversation", "events"))
        with django_assert_num_queries(QUERIES_CONVERSATION):
            client.get(fragments_url(ticket, "conversation"))


QUERIES_BOTH = 11  # the same, plus agents and groups (names in the event log) and the events
# session, user, ticket + tags, the read mark (newest comment id, upsert: the list's unread marker), comments +
# attachments
QUERIES_CONVERSATION = 8
