"""Proactive WhatsApp outreach stays in the customer's group.

Review finding (2): `POST /api/whatsapp/conversations/` by a group-A agent for group B's customer made a new ticket for
the agent, so the customer's next message landed in the attacker's ticket.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from channels_whatsapp import message_templates
from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tests.factories import GroupFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tickets.models import Comment, Event, Ticket

pytestmark = pytest.mark.django_db

FOLLOWUP = "&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[4521]]))&"
URL = "/api/whatsapp/conversations/"


@pytest.fixture
def account(db) -> WhatsAppAccount:
    account = WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-token",
        templates_enabled=True,
    )
    message_templates.template_create(
        account=account,
        name="ticket_followup",
        language="en_US",
        category="UTILITY",
        status="APPROVED",
        body="Hello {{1}}, we have an update on your request #{{2}}.",
    )
    return account


@pytest.fixture
def agents(db):
    agent_a, agent_b = UserFactory(username="agent_a"), UserFactory(username="agent_b")
    group_a, group_b = GroupFactory(name="A"), GroupFactory(name="B")
    group_a.members.add(agent_a)
    group_b.members.add(agent_b)
    return {"a": agent_a, "b": agent_b, "group_a": group_a, "group_b": group_b}


def whatsapp_ticket(*, contact, account, group, status):
    ticket = TicketFactory(requester=contact, via="whatsapp", group=group, status=status)
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def start(user, account, contact):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(URL, {"account_id": account.pk, "contact_id": contact.pk, "body": FOLLOWUP}, format="json")


def counts() -> tuple[int, int, int, int]:
    return (
        Ticket.objects.count(),
        Comment.objects.count(),
        Event.objects.count(),
        WhatsAppConversation.objects.count(),
    )


def test_visible_contact_starts_a_conversation(account, agents):
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_a"], status="solved")
    response = start(agents["a"], account, contact)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.assignee == agents["a"] and ticket.requester == contact


def test_invisible_contact_is_404_and_writes_nothing(account, agents):
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_b"], status="solved")
    before = counts()
    response = start(agents["a"], account, contact)
    assert response.status_code == 404
    assert counts() == before


def test_unknown_contact_is_404(account, agents):
    client = APIClient()
    client.force_authenticate(agents["a"])
    response = client.post(URL, {"account_id": account.pk, "contact_id": 999999, "body": FOLLOWUP}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("status", ["new", "open", "pending", "hold"])
def test_open_ticket_in_another_group_is_409_and_writes_nothing(account, agents, status):
    """The finding: group A's agent sees the customer (an old ticket of A) but B holds the live conversation."""
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_a"], status="solved")
    whatsapp_ticket(contact=contact, account=account, group=agents["group_b"], status=status)
    before = counts()
    response = start(agents["a"], account, contact)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conversation_elsewhere"
    assert body["detail"]
    assert counts() == before


def test_solved_ticket_in_another_group_does_not_block(account, agents):
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_a"], status="solved")
    whatsapp_ticket(contact=contact, account=account, group=agents["group_b"], status="closed")
    whatsapp_ticket(contact=contact, account=account, group=agents["group_b"], status="solved")
    assert start(agents["a"], account, contact).status_code == 201


def test_an_open_ticket_the_agent_can_see_does_not_block(account, agents):
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_a"], status="open")
    assert start(agents["a"], account, contact).status_code == 201


def test_contact_page_outreach_refuses_with_a_form_error_and_writes_nothing(client, account, agents):
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_a"], status="solved")
    whatsapp_ticket(contact=contact, account=account, group=agents["group_b"], status="open")
    client.force_login(agents["a"])
    before = counts()
    url = reverse("whatsapp:conversation-start", args=[contact.pk])
    response = client.post(url, {"account": account.pk, "body": FOLLOWUP})
    assert response.status_code == 400
    assert "open WhatsApp conversation on a ticket of another group" in response.content.decode()
    assert counts() == before


def test_contact_page_outreach_for_an_invisible_contact_is_404(client, account, agents):
    contact = WhatsAppContactFactory()
    whatsapp_ticket(contact=contact, account=account, group=agents["group_b"], status="open")
    client.force_login(agents["a"])
    before = counts()
    url = reverse("whatsapp:conversation-start", args=[contact.pk])
    assert client.post(url, {"account": account.pk, "body": FOLLOWUP}).status_code == 404
    assert counts() == before
