"""Zendesk's stock triggers, automations and macros, written out from Zendesk's documentation in the shape Zendesk's
API returns them (wrapper, ids, urls, `description: null`, `raw_title`...), POSTed unchanged: 201, and they behave."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from automations import sweep
from automations.models import Automation, Trigger
from macros.models import Macro
from tests.factories import ContactFactory, TicketFactory, UserFactory, group_with
from tickets import services as ticket_services
from tickets.models import Comment, Ticket, TicketStatus, Via
from tickets.services import NewComment

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "zendesk"


def stock(kind: str) -> dict[str, dict]:
    """Zendesk's stock definitions of one kind, by title, as Zendesk's API returns them (wrapped)."""
    items = json.loads((PAYLOADS / f"{kind}s.json").read_text())
    return {item[kind]["title"]: item for item in items}


@pytest.fixture
def paste(admin_api):
    def paste(kind: str, *titles: str):
        for title in titles:
            response = admin_api.post(f"/api/{kind}s/", stock(kind)[title], format="json")
            assert response.status_code == 201, (title, response.content)

    return paste


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


# --- Pasting -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["trigger", "automation", "macro"])
def test_every_stock_definition_pastes_unchanged(admin_api, kind):
    definitions = stock(kind)
    assert len(definitions) >= 3
    for title, body in definitions.items():
        response = admin_api.post(f"/api/{kind}s/", body, format="json")
        assert response.status_code == 201, (title, response.content)
        created = response.json()
        assert created["title"] == title
        assert created["id"] != body[kind]["id"]  # Zendesk's id is read-only: ignored
        assert created["description"] == ""  # null means none
        assert created["actions"]
    model = {"trigger": Trigger, "automation": Automation, "macro": Macro}[kind]
    assert model.objects.count() == len(definitions)


# --- Triggers ------------------------------------------------------------------------------------------------


def test_received_request_notifies_requester_and_all_agents(
    paste, agent, admin_user, django_capture_on_commit_callbacks
):
    paste("trigger", "Notify requester and CCs of received request", "Notify all agents of received request")
    customer = ContactFactory(name="Carla Cliente", email="carla@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        comment = ticket_services.end_user_message_add(
            conversation_ticket=None, requester=customer, via=Via.EMAIL, body="My card was charged twice"
        )
    ticket = comment.ticket
    (to_customer,) = mails_to("carla@example.com")
    assert to_customer.subject == f"[localhost] Re: {ticket.subject}"
    assert f"Your request ({ticket.pk}) has been received" in to_customer.body
    assert "Carla Cliente" in to_customer.body and "My card was charged twice" in to_customer.body
    for person in (agent, admin_user):
        (to_agent,) = mails_to(person.email)
        assert f"A ticket (#{ticket.pk}) by Carla Cliente has been received" in to_agent.body


def test_received_request_skips_a_ticket_without_public_comment(paste, agent, django_capture_on_commit_callbacks):
    paste("trigger", "Notify requester and CCs of received request")
    customer = ContactFactory(email="quiet@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_create(
            requester=customer, subject="Internal follow-up", actor=agent,
            comment=NewComment(body="note to self", public=False),
        )  # fmt: skip
    assert mails_to("quiet@example.com") == []  # ticket_is_public is public: false without a public comment


def test_comment_update_goes_to_requester_and_ccs_without_internal_notes(
    paste, agent, other_agent, django_capture_on_commit_callbacks
):
    paste("trigger", "Notify requester and CCs of comment update", "Notify assignee of comment update")
    customer = ContactFactory(name="Carla", email="carla@example.com")
    colleague = ContactFactory(name="Cesar", email="cesar@example.com")
    ticket = TicketFactory(requester=customer, assignee=other_agent)
    ticket.email_ccs.add(colleague)
    ticket_services.comment_add(ticket=ticket, author=agent, body="secret internal note", public=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.comment_add(ticket=ticket, author=agent, body="We refunded you.", public=True)
    for address in ("carla@example.com", "cesar@example.com"):
        rule_mails = [m for m in mails_to(address) if m.subject.startswith("[localhost] Re:")]
        assert len(rule_mails) == 1, address
        assert "<p>We refunded you.</p>" in rule_mails[0].body
        assert "secret" not in rule_mails[0].body
    (to_assignee,) = mails_to(other_agent.email)
    assert f"This ticket (#{ticket.pk}) has been updated." in to_assignee.body
    assert "secret internal note" in to_assignee.body  # agents see internal notes, as in Zendesk


def test_assignment_notifies_the_new_assignee_but_not_oneself(
    paste, agent, other_agent, django_capture_on_commit_callbacks
):
    paste("trigger", "Notify assignee of assignment")
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": other_agent})
    (message,) = mails_to(other_agent.email)
    assert message.subject == f"[localhost] Assignment: {ticket.subject}"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": agent})
    assert mail.outbox == []  # assignee_id is_not current_user


def test_reopened_ticket_notifies_the_assignee(paste, agent, other_agent, django_capture_on_commit_callbacks):
    paste("trigger", "Notify assignee of reopened ticket")
    ticket = TicketFactory(assignee=other_agent, status=TicketStatus.SOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"status": "open"})
    (message,) = mails_to(other_agent.email)
    assert f"The ticket (#{ticket.pk}) has been reopened." in message.body


def test_group_assignment_notifies_the_groups_members(paste, agent, other_agent, django_capture_on_commit_callbacks):
    paste("trigger", "Notify group of assignment")
    billing = group_with(agent, other_agent, name="Billing")
    ticket = TicketFactory(requester=ContactFactory(name="Carla"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"group": billing})
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, other_agent.email])
    assert "by Carla has been assigned to group Billing" in mail.outbox[0].body


def test_first_email_responder_takes_the_ticket_joins_its_group_and_follows(
    paste, agent, django_capture_on_commit_callbacks
):
    paste("trigger", "Auto-assign to first email responding agent")
    billing = group_with(agent, name="Billing")
    by_web = TicketFactory()
    ticket_services.comment_add(ticket=by_web, author=agent, body="Looking into it", public=True)
    by_web.refresh_from_db()
    assert by_web.assignee is None  # current_via_id is 4: only an e-mail reply takes it
    ticket = TicketFactory()
    ticket_services.comment_add(ticket=ticket, author=agent, body="On it", public=True, via=Via.EMAIL, source="email")
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.group == billing  # group_id current_groups
    assert list(ticket.followers.all()) == [agent]  # follower current_user


def test_proactive_ticket_notifies_the_requester(paste, agent, django_capture_on_commit_callbacks):
    paste("trigger", "Notify requester of new proactive ticket")
    customer = ContactFactory(email="carla@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_create(
            requester=customer, subject="Your new card", actor=agent,
            comment=NewComment(body="Your card is on its way.", public=True),
        )  # fmt: skip
    (message,) = [m for m in mails_to("carla@example.com") if "on your behalf" in m.body]
    assert "Your card is on its way." in message.body


def test_a_customers_own_message_is_not_proactive(paste, django_capture_on_commit_callbacks):
    """requester_id is_not current_user: the requester writing in is the current user."""
    paste("trigger", "Notify requester of new proactive ticket")
    customer = ContactFactory(email="carla@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.end_user_message_add(conversation_ticket=None, requester=customer, via=Via.EMAIL, body="Hi")
    assert mail.outbox == []


# --- Automations ---------------------------------------------------------------------------------------------


def test_solved_tickets_close_after_four_days(paste):
    paste("automation", "Close ticket 4 days after status is set to solved")
    now = timezone.now()
    old = TicketFactory(status=TicketStatus.SOLVED, solved_at=now - timedelta(hours=97))
    recent = TicketFactory(status=TicketStatus.SOLVED, solved_at=now - timedelta(hours=50))
    assert sweep.run_automations(now=now).fired == 1
    assert Ticket.objects.get(pk=old.pk).status == TicketStatus.CLOSED
    assert Ticket.objects.get(pk=recent.pk).status == TicketStatus.SOLVED


def test_pending_reminder_goes_to_requester_and_ccs(paste, agent, django_capture_on_commit_callbacks):
    paste("automation", "Pending notification 24 hours")
    now = timezone.now()
    customer = ContactFactory(email="carla@example.com")
    ticket = TicketFactory(requester=customer, status=TicketStatus.PENDING)
    ticket.email_ccs.add(ContactFactory(email="cesar@example.com"))
    Comment.objects.create(ticket=ticket, author_role="agent", author_user=agent, body="Can you send a photo?")
    Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=now - timedelta(hours=24, minutes=20))
    silent = TicketFactory(status=TicketStatus.PENDING)  # no public comment: ticket_is_public is public fails
    Ticket.objects.filter(pk=silent.pk).update(status_changed_at=now - timedelta(hours=24, minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.run_automations(now=now).fired == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["carla@example.com", "cesar@example.com"]
    assert "Can you send a photo?" in mail.outbox[0].body
    assert mail.outbox[0].subject == f"[localhost] Pending request: {ticket.subject}"


# --- Macros --------------------------------------------------------------------------------------------------


def apply_macro(api, title: str, ticket: Ticket):
    macro = Macro.objects.get(title=title)
    response = api.post(f"/api/tickets/{ticket.pk}/macros/{macro.pk}/apply/")
    assert response.status_code == 200, response.content
    return response.json()


def test_stock_macros_apply(paste, admin_api, admin_user):
    paste("macro", "Close and redirect to topics", "Downgrade and inform", "Customer not responding", "Take it!")
    customer = ContactFactory(name="Carla Cliente")
    ticket = TicketFactory(requester=customer, priority="high")

    result = apply_macro(admin_api, "Downgrade and inform", ticket)
    assert result["ticket"]["priority"] == "low"
    assert result["comment"]["body"].startswith("We're currently experiencing unusually high traffic.")

    result = apply_macro(admin_api, "Customer not responding", ticket)
    assert result["ticket"]["status"] == "pending"
    assert result["comment"]["body"].startswith("Hello Carla Cliente. Our agent Ada Admin has tried")

    result = apply_macro(admin_api, "Take it!", ticket)
    assert result["ticket"]["assignee_id"] == admin_user.pk

    result = apply_macro(admin_api, "Close and redirect to topics", ticket)
    assert result["ticket"]["status"] == "solved"
    assert result["comment"]["body"].startswith("Hi Carla,") and result["comment"]["body"].endswith("Ada")


def test_a_macro_restricted_to_a_group_keeps_its_group(admin_api):
    billing = group_with(UserFactory(), name="Billing")
    body = stock("macro")["Take it!"]
    body = {"macro": {**body["macro"], "restriction": {"type": "Group", "id": billing.pk, "ids": [billing.pk]}}}
    response = admin_api.post("/api/macros/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["availability"] == "groups"
    assert response.json()["group_ids"] == [billing.pk]


def test_the_rules_page_says_the_stock_rules_in_words(paste, client, admin_user):
    paste("trigger", *stock("trigger"))
    paste("automation", *stock("automation"))
    client.force_login(admin_user)
    html = client.get("/rules/").content.decode()
    for phrase in (
        "the ticket has a public comment",
        "notify the requester and CCs (the requester on WhatsApp for WhatsApp tickets, CCs by e-mail)",
        "notify all agents by e-mail",
        "the channel of the update is e-mail",
        "set group to the current user&#x27;s group",
        "add the current user as a follower",
    ):
        assert phrase in html, phrase
    assert "ticket_is_public" not in html and "requester_and_ccs" not in html
