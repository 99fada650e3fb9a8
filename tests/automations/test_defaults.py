"""The rules SupportDesk ships (created by migration, active, editable) and the hourly schedule."""

import copy
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule

from automations import rules, sweep
from automations.models import Automation, AutomationFiring, Trigger
from channels_whatsapp.models import WhatsAppConversation
from tests.channels_whatsapp.conftest import load_payload, meta_json, sign
from tests.factories import CommentFactory, ContactFactory, TicketFactory, WhatsAppContactFactory
from tickets import services as ticket_services
from tickets.models import AuthorRole, Comment, Event, Ticket

pytestmark = pytest.mark.django_db

AUTO_REPLY = "Auto-reply to new WhatsApp requests"
NOTIFY_ASSIGNEE = "Notify assignee of assignment"
CLOSE_SOLVED = "Close ticket 4 days after solved"
WINDOW = "Window closes within 2 hours and the customer is waiting"


@pytest.fixture(autouse=True)
def _no_rules():
    """Keep the shipped rules: they are what these tests are about."""


def test_shipped_rules_exist_active_in_order():
    assert list(Trigger.objects.values_list("title", "active")) == [(AUTO_REPLY, True), (NOTIFY_ASSIGNEE, True)]
    assert list(Automation.objects.values_list("title", "active")) == [(CLOSE_SOLVED, True), (WINDOW, True)]


@pytest.mark.parametrize("model", [Trigger, Automation])
def test_shipped_definitions_pass_the_api_validation_unchanged(model):
    kind = rules.kind_of(model)
    for rule in model.objects.all():
        clean = rules.definition_clean(
            kind=kind, title=rule.title, description=rule.description, conditions=rule.conditions, actions=rule.actions
        )
        assert clean["conditions"] == rule.conditions
        assert clean["actions"] == rule.actions


def test_hourly_schedule_is_created_by_migrate():
    schedule = Schedule.objects.get(name="automations-hourly")
    assert schedule.func == "automations.tasks.run_automations"
    assert schedule.schedule_type == Schedule.HOURLY
    assert schedule.repeats == -1


def test_hourly_task_runs_a_sweep():
    from automations import tasks

    assert tasks.run_automations().startswith("2 automation(s):")


# --- Auto-reply --------------------------------------------------------------------------------------------------


def inbound(text: str, *, wamid: str, sent_at=None) -> dict:
    body = load_payload("text.json")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id=wamid, timestamp=str(int((sent_at or timezone.now()).timestamp())), text={"body": text})
    return body


def post_signed(client, body: dict):
    raw = meta_json(body)
    return client.post(
        "/whatsapp/webhook/", data=raw, content_type="application/json", headers={"X-Hub-Signature-256": sign(raw)}
    )


def test_auto_reply_reaches_the_cloud_api_within_the_window(client, account, graph, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, inbound("Hi, I need help with my order", wamid="wamid.AUTO1"))
    assert response.status_code == 200
    ticket = Ticket.objects.get(via="whatsapp")
    reply = Comment.objects.get(ticket=ticket, author_role=AuthorRole.SYSTEM)
    assert reply.public and reply.author_user is None
    assert reply.body == (
        f"Thanks for your message! We have received it as ticket #{ticket.pk}, "
        "and an agent will reply here as soon as possible."
    )
    (request,) = graph.posts("/messages")
    assert request.path == f"/v23.0/{account.phone_number_id}/messages"
    sent = request.json()
    assert sent["type"] == "text" and sent["to"] == "+5511999990000"
    assert sent["text"]["body"] == reply.body
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and reply.channel_message_id.startswith("wamid.OUT")
    assert ticket.status == "new"  # still waiting for an agent
    fired = Event.objects.get(ticket=ticket, type="trigger.fired")
    assert fired.data["title"] == AUTO_REPLY and fired.data["changes"] == {}
    assert Event.objects.get(ticket=ticket, type="notification.sent").data["comment_id"] == reply.pk


def test_auto_reply_only_for_the_first_message(client, account, graph, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, inbound("Hello", wamid="wamid.AUTO1"))
        post_signed(client, inbound("Are you there?", wamid="wamid.AUTO2"))
    ticket = Ticket.objects.get(via="whatsapp")
    assert ticket.comments.filter(author_role="end_user").count() == 2
    assert ticket.comments.filter(author_role="system").count() == 1
    assert len(graph.posts("/messages")) == 1


def test_no_auto_reply_to_a_ticket_an_agent_starts(agent, account, graph, django_capture_on_commit_callbacks):
    contact = WhatsAppContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_services.ticket_create(
            requester=contact,
            subject="We are reaching out",
            via="whatsapp",
            actor=agent,
            on_ticket_created=lambda t: WhatsAppConversation.objects.create(ticket=t, account=account, contact=contact),
        )
    assert not Event.objects.filter(ticket=ticket, type="trigger.fired").exists()
    assert not ticket.comments.filter(author_role="system").exists()


def test_no_auto_reply_on_other_channels(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = ticket_services.end_user_message_add(
            conversation_ticket=None, requester=ContactFactory(email="x@example.com"), via="email", body="Hello"
        )
    assert not Event.objects.filter(ticket=comment.ticket, type="trigger.fired").exists()
    assert mail.outbox == []


# --- Notify assignee ---------------------------------------------------------------------------------------------


def test_assignee_is_e_mailed_when_someone_else_assigns(agent, other_agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(subject="Broken zipper", requester=ContactFactory(name="Ana Souza"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": other_agent})
    (message,) = mail.outbox
    assert message.to == [other_agent.email]
    assert message.subject == f"[#{ticket.pk}] Assigned to you: Broken zipper"
    assert "from Ana Souza is now assigned to you" in message.body
    assert f"/tickets/{ticket.pk}/" in message.body


def test_no_e_mail_when_agents_assign_themselves(agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": agent})
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": None})
    assert mail.outbox == []


# --- Close 4 days after solved -----------------------------------------------------------------------------------


def test_solved_tickets_close_after_96_hours(agent):
    now = timezone.now()
    old = TicketFactory(status="solved")
    recent = TicketFactory(status="solved")
    reopened = TicketFactory(status="open")
    Ticket.objects.filter(pk=old.pk).update(solved_at=now - timedelta(hours=97), updated_at=now - timedelta(hours=97))
    Ticket.objects.filter(pk=recent.pk).update(solved_at=now - timedelta(hours=95))
    Ticket.objects.filter(pk=reopened.pk).update(solved_at=now - timedelta(days=9))
    summary = sweep.run_automations()
    assert {t.pk: t.status for t in Ticket.objects.all()} == {
        old.pk: "closed",
        recent.pk: "solved",
        reopened.pk: "open",
    }
    event = Event.objects.get(ticket=old, type="automation.fired")
    assert event.data["title"] == CLOSE_SOLVED and event.data["changes"] == {"status": ["solved", "closed"]}
    assert [(a.title, a.fired) for a in summary.automations] == [(CLOSE_SOLVED, 1), (WINDOW, 0)]


# --- The window automation ---------------------------------------------------------------------------------------


def waiting_ticket(*, hours_ago: float, priority=None, tags=()):
    ticket = TicketFactory(via="whatsapp", status="open", priority=priority)
    for tag in tags:
        ticket.tag_rows.create(name=tag)
    CommentFactory(ticket=ticket, author_role="end_user", author_user=None, author_contact=ticket.requester)
    Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=timezone.now() - timedelta(hours=hours_ago))
    return ticket


def test_window_closing_raises_priority_and_tags_once(agent):
    closing = waiting_ticket(hours_ago=22.5)  # 1 h 30 left
    plenty = waiting_ticket(hours_ago=10)
    closed = waiting_ticket(hours_ago=25)
    answered = waiting_ticket(hours_ago=23)
    CommentFactory(ticket=answered, author_role="agent", author_user=agent, public=True)
    urgent = waiting_ticket(hours_ago=23, priority="urgent")  # never lowered to high
    sweep.run_automations()
    closing.refresh_from_db()
    assert closing.priority == "high"
    assert list(closing.tag_rows.values_list("name", flat=True)) == ["window_expiring"]
    for other in (plenty, closed, answered, urgent):
        assert not other.tag_rows.exists()
    assert AutomationFiring.objects.filter(automation__title=WINDOW).count() == 1
    # An hour later the ticket is still in the last two hours, but already tagged: nothing more happens.
    sweep.run_automations(now=timezone.now() + timedelta(minutes=30))
    assert Event.objects.filter(ticket=closing, type="automation.fired").count() == 1


def test_window_automation_ignores_the_auto_reply(account, graph, client, django_capture_on_commit_callbacks):
    """The product's own acknowledgement does not count as an answer: the customer is still waiting."""
    sent_at = timezone.now() - timedelta(hours=22, minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, inbound("Where is my order?", wamid="wamid.AUTO3", sent_at=sent_at))
    ticket = Ticket.objects.get(via="whatsapp")
    assert ticket.comments.filter(author_role="system").count() == 1  # acknowledged (window still open)
    sweep.run_automations()
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_shipped_rules_are_editable_by_title():
    rule = Trigger.objects.get(title=AUTO_REPLY)
    definition = copy.deepcopy(rule.actions)
    definition[0]["value"][2] = "Olá! Recebemos sua mensagem (#{{ticket.id}})."
    from tests.factories import AdminFactory

    rules.rule_update(rule=rule, actor=AdminFactory(), actions=definition, active=False)
    rule.refresh_from_db()
    assert rule.actions[0]["value"][2].startswith("Olá!") and not rule.active
