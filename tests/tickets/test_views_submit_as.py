"""The ticket page's "Submit as <status>" split button: the pressed button sets the status in the same POST."""

import pytest

from tests.factories import ContactFactory, TicketFactory
from tests.tickets.view_helpers import form_data, ticket_url
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db


def test_page_offers_submit_as_the_current_status_and_each_agent_status(agent_client, agent):
    ticket = TicketFactory(status=TicketStatus.OPEN, assignee=agent)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "Submit as <span data-submit-status>Open</span>" in html
    for value, label in [("open", "Open"), ("pending", "Pending"), ("hold", "On-hold"), ("solved", "Solved")]:
        assert f'name="submit_as" value="{value}" class="submit-menu-item">Submit as {label}</button>' in html
    assert 'value="closed"' not in html


def test_submit_as_sets_the_status_with_the_reply_in_one_post(agent_client, agent):
    ticket = TicketFactory(status=TicketStatus.OPEN, assignee=agent, requester=ContactFactory(email=""))
    data = form_data(ticket, body="Sent you the label.", submit_as="pending")  # the select still says "open"
    response = agent_client.post(ticket_url(ticket), data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    assert ticket.comments.get().body == "Sent you the label."


def test_plain_submit_keeps_the_selected_status(agent_client, agent):
    ticket = TicketFactory(status=TicketStatus.OPEN, assignee=agent)
    agent_client.post(ticket_url(ticket), form_data(ticket, status="hold", submit_as=""))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.HOLD


def test_submit_as_an_unknown_status_is_a_400_and_changes_nothing(agent_client, agent):
    ticket = TicketFactory(status=TicketStatus.OPEN, assignee=agent)
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body="x", submit_as="closed"))
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and not ticket.comments.exists()
