"""One frame, one request: an open ticket page refreshes only the parts a frame concerns (tickets/realtime.py ->
/ws/agent/ -> static/js/realtime.js -> tickets.views.ticket_fragments), and keeps the reader's scroll and draft."""

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.asgi_server import group_members, run_in_thread, wait_for_new_member
from tests.e2e.conftest import log_in
from tests.factories import TicketFactory, UserFactory
from tickets import delivery, events, realtime, services
from tickets.models import Comment, Ticket, TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # UserFactory's
DRAFT = "Half-written answer, not sent yet"
SETTLE_MS = 800  # longer than realtime.js's 150 ms debounce plus a request: a second request would show by then


@pytest.fixture
def agent(asgi_server):
    return UserFactory(username="alice", first_name="Alice")


@pytest.fixture
def long_ticket(agent) -> Ticket:
    """A conversation long enough to scroll, and one public reply already handed to a channel."""
    ticket = TicketFactory(assignee=agent, status=TicketStatus.OPEN)
    for i in range(30):
        comment = Comment.objects.create(ticket=ticket, author_role="agent", author_user=agent, body=f"Earlier {i}")
        events.comment_added(comment=comment, actor=agent)
    Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=agent,
        body="On its way",
        public=True,
        delivery_status="sent",
        delivery_updated_at=timezone.now(),
    )
    return ticket


def open_ticket(page, server, ticket) -> list:
    """Open the ticket page connected and subscribed; then record every fetch/XHR it makes."""
    before = group_members(realtime.ticket_group(ticket.pk))
    page.goto(f"{server.url}/tickets/{ticket.pk}/")
    page.wait_for_function("document.body.dataset.live === 'connected'", timeout=5000)
    wait_for_new_member(realtime.ticket_group(ticket.pk), before)
    requests: list = []
    page.on("request", lambda request: requests.append(request) if request.resource_type in ("fetch", "xhr") else None)
    return requests


def scroll_and_draft(page) -> int:
    page.locator("textarea.composer-body").fill(DRAFT)
    page.evaluate("window.scrollTo(0, 700)")
    return page.evaluate("window.scrollY")


def assert_one_fragment_request(page, requests, *, ticket, scrolled_to: int) -> None:
    page.wait_for_timeout(SETTLE_MS)
    assert [r.url.split("?")[0] for r in requests] == [
        f"{page.url.split('/tickets/')[0]}/tickets/{ticket.pk}/fragments/"
    ]
    assert "part=conversation" in requests[0].url and "part=events" in requests[0].url
    expect(page.locator("textarea.composer-body")).to_have_value(DRAFT)
    assert page.evaluate("window.scrollY") == scrolled_to


def test_a_new_message_refreshes_the_conversation_and_log_in_one_request(page, asgi_server, agent, long_ticket):
    colleague = UserFactory(username="bob", first_name="Bob")
    log_in(page, asgi_server, agent, PASSWORD)
    requests = open_ticket(page, asgi_server, long_ticket)
    scrolled_to = scroll_and_draft(page)
    assert scrolled_to > 0

    def work():
        with transaction.atomic():
            services.comment_add(
                ticket=Ticket.objects.get(pk=long_ticket.pk), author=colleague, body="Bob here", public=False
            )

    run_in_thread(work)
    expect(page.locator("#comments")).to_contain_text("Bob here")
    expect(page.locator("#event-log .event")).to_have_count(31)  # and its comment.added event
    assert_one_fragment_request(page, requests, ticket=long_ticket, scrolled_to=scrolled_to)


def test_a_delivery_tick_refreshes_in_one_request(page, asgi_server, agent, long_ticket):
    reply = long_ticket.comments.get(body="On its way")
    log_in(page, asgi_server, agent, PASSWORD)
    requests = open_ticket(page, asgi_server, long_ticket)
    scrolled_to = scroll_and_draft(page)

    def work():
        with transaction.atomic():
            assert delivery.delivery_advance(comment=Comment.objects.get(pk=reply.pk), status="delivered")

    run_in_thread(work)
    expect(page.locator(f'.delivery[data-comment-id="{reply.pk}"]')).to_have_class("delivery delivery-delivered")
    expect(page.locator("#event-log .event-deliverystatus")).to_have_count(1)
    assert_one_fragment_request(page, requests, ticket=long_ticket, scrolled_to=scrolled_to)
