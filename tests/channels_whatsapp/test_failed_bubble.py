"""The failed bubble on the ticket page: red, "Not delivered: <the banner's plain words>", the code small, and the
next steps the failure allows ("Retry", "Send as template", or why a template cannot help)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_whatsapp import failure_reasons
from channels_whatsapp.models import WhatsAppConversation
from tests.factories import TicketFactory, WhatsAppContactFactory
from tickets.models import Comment, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def wa_ticket(account, agent):
    account.templates_enabled = True
    account.save()
    contact = WhatsAppContactFactory(wa_id="5511999990000", name="Ana Souza", whatsapp_opt_in=True)
    ticket = TicketFactory(
        requester=contact,
        via="whatsapp",
        status="open",
        assignee=agent,
        last_customer_message_at=timezone.now() - timedelta(hours=2),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def failed_reply(ticket, agent, *, code: str, title: str = "", detail: str = "", **fields) -> Comment:
    return Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=agent,
        body=f"Reply that failed with {code}",
        public=True,
        delivery_status="failed",
        delivery_error_code=code,
        delivery_error_title=title,
        delivery_error_detail=detail,
        **fields,
    )


def bubble(html: str, comment: Comment) -> str:
    found = re.search(
        rf'<li class="comment comment--agent comment--failed" id="comment-{comment.pk}".*?</li>', html, re.S
    )
    assert found, html
    return found.group(0)


def page(agent_client, ticket) -> str:
    response = agent_client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("code", "title", "retry"),
    [
        ("window_closed", "Outside the 24-hour customer service window", False),  # the product's own refusal
        ("not_opted_in", "Customer has not opted in", False),
        ("131026", "Message undeliverable", False),  # a Meta error code
        ("131047", "Re-engagement message", False),
        ("timeout", "Delivery not confirmed", True),  # network and timeouts: worth another try
        ("connect_error", "Could not reach the WhatsApp Cloud API", True),
        ("130429", "Rate limit hit", True),
        ("503", "HTTP 503", True),
    ],
)
def test_each_kind_of_failure_reads_in_plain_words(agent_client, agent, wa_ticket, code, title, retry):
    comment = failed_reply(wa_ticket, agent, code=code, title=title)
    html = bubble(page(agent_client, wa_ticket), comment)
    words = failure_reasons.reason_for(code, title, "").replace("'", "&#x27;")
    assert '<strong class="delivery-failure-label">Not delivered:</strong>' in html
    assert f'<span class="delivery-failure-reason">{words}</span>' in html
    assert f'<p class="delivery-failure-code">code {code} · {title}</p>' in html
    assert 'class="icon delivery-failure-icon"' in html  # not colour alone: an icon and words
    assert ("data-retry-url=" in html) is retry
    if retry:
        assert f'data-retry-url="/whatsapp/tickets/{wa_ticket.pk}/comments/{comment.pk}/retry/"' in html
    assert "data-send-as-template" in html


def test_a_timeout_asks_before_sending_again(agent_client, agent, wa_ticket):
    comment = failed_reply(wa_ticket, agent, code="timeout", title="Delivery not confirmed")
    assert "data-retry-confirm=" in bubble(page(agent_client, wa_ticket), comment)
    other = failed_reply(wa_ticket, agent, code="503", title="HTTP 503")
    assert "data-retry-confirm=" not in bubble(page(agent_client, wa_ticket), other)


def test_no_retry_once_the_window_closed(agent_client, agent, wa_ticket):
    wa_ticket.last_customer_message_at = timezone.now() - timedelta(hours=25)
    wa_ticket.save()
    comment = failed_reply(wa_ticket, agent, code="503", title="HTTP 503")
    html = bubble(page(agent_client, wa_ticket), comment)
    assert "data-retry-url=" not in html
    assert "data-send-as-template" in html  # a template still reaches the customer


def test_templates_off_or_no_opt_in_say_why_instead(agent_client, agent, wa_ticket, account):
    comment = failed_reply(wa_ticket, agent, code="window_closed", title="Outside the window")
    wa_ticket.requester.whatsapp_opt_in = False
    wa_ticket.requester.save()
    html = bubble(page(agent_client, wa_ticket), comment)
    assert "data-send-as-template" not in html
    assert "Templates need the customer&#x27;s opt-in." in html
    account.templates_enabled = False
    account.save()
    html = bubble(page(agent_client, wa_ticket), comment)
    assert "data-send-as-template" not in html
    assert "Templates are not enabled on this WhatsApp number" in html


def test_a_closed_ticket_tells_the_failure_without_actions(agent_client, agent, wa_ticket):
    comment = failed_reply(wa_ticket, agent, code="503", title="HTTP 503")
    wa_ticket.status = TicketStatus.CLOSED
    wa_ticket.save()
    html = bubble(page(agent_client, wa_ticket), comment)
    assert "Not delivered:" in html
    assert "data-failed-actions" not in html


def test_delivered_messages_have_no_failure_block(agent_client, agent, wa_ticket):
    Comment.objects.create(
        ticket=wa_ticket, author_role="agent", author_user=agent, body="Fine", public=True, delivery_status="delivered"
    )
    html = page(agent_client, wa_ticket)
    assert "comment--failed" not in html and "delivery-failure" not in html


def test_the_page_carries_the_banners_table(agent_client, wa_ticket):
    html = page(agent_client, wa_ticket)
    assert '<script id="delivery-reasons-data" type="application/json">' in html
    assert "The reply was kept on the ticket but not sent." in html


def test_failed_bubbles_cost_the_same_queries_however_many(agent_client, agent, wa_ticket, django_assert_num_queries):
    failed_reply(wa_ticket, agent, code="503", title="HTTP 503")
    page(agent_client, wa_ticket)  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        page(agent_client, wa_ticket)
    for code in ("timeout", "131026", "window_closed"):
        failed_reply(wa_ticket, agent, code=code, title="x")
    with django_assert_num_queries(len(one)):
        page(agent_client, wa_ticket)
