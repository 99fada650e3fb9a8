"""What each row of the ticket list says about its conversation: the last message, "customer waiting", unread and
failed delivery; all from the list's one query. And the one request a live refresh makes: results plus counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CommentFactory, ContactFactory, TicketFactory, UserFactory, group_with
from tests.tickets.view_helpers import HOME, ticket_url
from tickets import delivery, services
from tickets.models import Attachment, Comment, TicketRead, TicketStatus, Via
from tickets.templatetags.ticket_list_tags import preview_text, wait_time

pytestmark = pytest.mark.django_db


def rows(client, **params) -> dict[int, object]:
    response = client.get(HOME, {"view": "open", **params})
    assert response.status_code == 200
    return {t.pk: t for t in response.context["page"].object_list}


def customer_says(ticket, body="Hello?", *, minutes_ago=0) -> Comment:
    sent_at = timezone.now() - timedelta(minutes=minutes_ago)
    return services.end_user_message_add(
        conversation_ticket=ticket, requester=ticket.requester, via=ticket.via, body=body, sent_at=sent_at
    )


@pytest.fixture
def ticket(agent):
    return TicketFactory(assignee=agent, requester=ContactFactory(name="Carla", email=""), subject="Broken glass")


# --- The last message -------------------------------------------------------------------------------------------


def test_the_preview_is_the_last_public_message_on_one_line(agent_client, ticket):
    customer_says(ticket, "My parcel\n\n  arrived   broken")
    row = agent_client.get(HOME, {"view": "open"}).content.decode()
    assert "My parcel arrived broken" in row
    services.comment_add(
        ticket=ticket, author=UserFactory(first_name="Bob"), body="Internal: check stock", public=False
    )
    assert rows(agent_client)[ticket.pk].last_body.startswith("My parcel")  # a note never previews


def test_outbound_messages_say_who_wrote_them(agent_client, agent, ticket):
    services.comment_add(ticket=ticket, author=agent, body="We are on it", public=True)
    assert "You: We are on it" in agent_client.get(HOME, {"view": "open"}).content.decode()
    services.comment_add(ticket=ticket, author=UserFactory(first_name="Bob"), body="Sent a new one", public=True)
    assert "Bob: Sent a new one" in agent_client.get(HOME, {"view": "open"}).content.decode()


def test_an_automatic_reply_does_not_hide_the_customers_words(agent_client, ticket):
    customer_says(ticket, "Is anyone there?")
    Comment.objects.create(ticket=ticket, author_role="system", body="We got your message", public=True)
    row = rows(agent_client)[ticket.pk]
    assert (row.last_body, row.customer_waiting) == ("Is anyone there?", True)


def test_a_file_alone_is_described(agent_client, ticket):
    comment = customer_says(ticket, "")
    Comment.objects.filter(pk=comment.pk).update(message_type="image")
    Attachment.objects.create(ticket=ticket, comment=comment, filename="box.jpg", content_type="image/jpeg")
    assert "Photo: box.jpg" in agent_client.get(HOME, {"view": "open"}).content.decode()


def test_the_preview_wording():
    common = {"author_id": None, "author_name": None, "message_type": "", "attachment_name": None, "viewer_id": 1}
    assert preview_text(body=None, role=None, **common) == ""
    assert preview_text(body="Hi", role="end_user", **common) == "Hi"
    assert preview_text(body="", role="end_user", **{**common, "message_type": "audio"}) == "Voice message"
    assert preview_text(body="", role="end_user", **{**common, "attachment_name": "a.pdf"}) == "Attachment: a.pdf"
    assert preview_text(body="Hi", role="agent", **{**common, "author_id": 1, "author_name": "Me"}) == "You: Hi"
    assert preview_text(body="Hi", role="agent", **{**common, "author_id": 2, "author_name": "Bo"}) == "Bo: Hi"
    assert preview_text(body="Auto", role="system", **common) == "SupportDesk: Auto"


def test_the_preview_is_escaped(agent_client, ticket):
    customer_says(ticket, "<script>alert(1)</script>")
    html = agent_client.get(HOME, {"view": "open"}).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# --- Customer waiting ---------------------------------------------------------------------------------------------


def test_customer_waiting_since_their_send_time_until_an_agent_replies_in_public(agent_client, agent, ticket):
    assert not rows(agent_client)[ticket.pk].customer_waiting
    customer_says(ticket, "Hello?", minutes_ago=42)
    html = agent_client.get(HOME, {"view": "open"}).content.decode()
    waiting = re.search(r"data-row-waiting>Customer waiting <time datetime=\"([^\"]+)\"[^>]*>([^<]+)</time>", html)
    assert waiting, html
    ticket.refresh_from_db()
    assert waiting.group(1) == ticket.last_customer_message_at.isoformat()
    assert waiting.group(2).replace("\xa0", " ") == "42 minutes"
    services.comment_add(ticket=ticket, author=agent, body="Checking", public=False)
    assert rows(agent_client)[ticket.pk].customer_waiting  # a note answers nobody
    services.comment_add(ticket=ticket, author=agent, body="Here you go", public=True)
    assert not rows(agent_client)[ticket.pk].customer_waiting


def test_the_wait_is_told_in_its_largest_unit():
    now = timezone.now()
    assert wait_time(now - timedelta(seconds=20)) == "less than a minute"
    assert wait_time(now - timedelta(hours=3, minutes=59)).replace("\xa0", " ") == "3 hours"
    assert wait_time(None) == ""


def test_a_solved_ticket_keeps_no_one_waiting(agent_client, agent, ticket):
    customer_says(ticket, "Thanks, bye")
    services.ticket_update(ticket=ticket, actor=agent, changes={"status": TicketStatus.SOLVED})
    assert not rows(agent_client, view="solved")[ticket.pk].customer_waiting


# --- Unread, per agent -------------------------------------------------------------------------------------------


def test_unread_until_the_agent_opens_the_ticket_and_per_agent(client, agent, other_agent, ticket):
    group_with(agent, other_agent)
    customer_says(ticket, "First")
    for user in (agent, other_agent):
        client.force_login(user)
        assert rows(client)[ticket.pk].unread
    client.force_login(agent)
    html = client.get(HOME, {"view": "open"}).content.decode()
    assert 'class="ticket-row is-unread"' in html and "Unread:" in html
    assert client.get(ticket_url(ticket)).status_code == 200
    assert not rows(client)[ticket.pk].unread
    services.comment_add(ticket=ticket, author=agent, body="Reply", public=True)
    assert not rows(client)[ticket.pk].unread  # the agent's own words are not news
    customer_says(ticket, "Second")
    assert rows(client)[ticket.pk].unread
    client.force_login(other_agent)
    assert rows(client)[ticket.pk].unread  # Bob never opened it
    assert TicketRead.objects.filter(user=other_agent).count() == 0


def test_the_live_conversation_marks_what_it_shows_read(agent_client, ticket):
    customer_says(ticket, "Still there?")
    response = agent_client.get(f"{ticket_url(ticket)}fragments/", {"part": "conversation"})
    assert response.status_code == 200
    assert not rows(agent_client)[ticket.pk].unread
    customer_says(ticket, "Hello??")
    agent_client.get(f"{ticket_url(ticket)}fragments/", {"part": "events"})  # the event log alone shows no message
    assert rows(agent_client)[ticket.pk].unread


# --- Failed delivery ------------------------------------------------------------------------------------------------


def test_failed_marker_while_the_latest_outbound_message_failed(agent_client, agent, ticket):
    first = CommentFactory(ticket=ticket, author_user=agent, delivery_status="sent")
    delivery.delivery_fail(comment=first, code="131047", title="Re-engagement message")
    html = agent_client.get(HOME, {"view": "open"}).content.decode()
    assert "data-row-failed>Not delivered<" in html
    later = CommentFactory(ticket=ticket, author_user=agent, delivery_status="sent")
    delivery.delivery_advance(comment=later, status="delivered")
    assert not rows(agent_client)[ticket.pk].delivery_failed


# --- One query for any page size --------------------------------------------------------------------------------

LIST_QUERIES = (
    9  # session, user, agents, groups, ticket fields, page count, page rows (with every row's state), tags, view counts
)


@pytest.mark.parametrize("count", [3, 30])
def test_row_state_costs_no_query_per_row(client, agent, count, django_assert_num_queries):
    group = group_with(agent)
    for n in range(count):
        ticket = TicketFactory(assignee=agent, group=group, via=Via.WHATSAPP, requester=ContactFactory(email=""))
        comment = customer_says(ticket, "" if n % 3 == 0 else f"Message {n}")
        Attachment.objects.create(ticket=ticket, comment=comment, filename=f"f{n}.jpg", content_type="image/jpeg")
        reply = CommentFactory(ticket=ticket, author_user=agent, delivery_status="sent", body=f"Reply {n}")
        if n % 2:
            delivery.delivery_fail(comment=reply, code="131026", title="Message undeliverable")
        if n % 4 == 0:
            TicketRead.objects.create(
                user=agent, ticket=ticket, last_read_comment_id=comment.pk, read_at=timezone.now()
            )
    client.force_login(agent)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(HOME, {"view": "open"})
    page = response.context["page"].object_list
    assert len(page) == min(count, 25)
    assert any(t.delivery_failed for t in page) and any(t.unread for t in page)


# --- The live refresh's one request ---------------------------------------------------------------------------------


def test_a_results_request_brings_the_view_counts_out_of_band(agent_client, agent, ticket):
    full = agent_client.get(HOME).content.decode()
    assert full.count('id="view-counts"') == 1 and 'hx-swap-oob="true"' not in full.split('id="view-counts"')[1][:40]
    TicketFactory(assignee=agent)
    html = agent_client.get(
        HOME, {"view": "open", "sort": "id"}, headers={"HX-Request": "true", "HX-Target": "ticket-results"}
    ).content.decode()
    assert html.lstrip().startswith('<div id="ticket-results"')
    counts = re.search(r'<ul id="view-counts" class="view-list" hx-swap-oob="true">(.*?)</ul>', html, re.S)
    assert counts, html[-800:]
    assert re.search(r'href="\?view=mine".*?<span class="view-count"[^>]*>2</span>', counts.group(1), re.S)
    assert 'aria-current="page"' in counts.group(1).split('view=open"')[1][:40]  # the current view stays marked
