"""Notifications of triggers and automations: WhatsApp messages to WhatsApp requesters (window-aware), e-mails to
everyone else, placeholders filled in, `notification.sent` recorded, nothing leaving before commit."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from automations import sweep
from channels_whatsapp.models import OutboundSend, WhatsAppConversation
from tests.automations.conftest import act, cond
from tests.factories import ContactFactory, GroupFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tickets import services as ticket_services
from tickets.models import AuthorRole, Comment, Event, Notification, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def wa_ticket(account, agent):
    contact = WhatsAppContactFactory(name="Ana Souza", wa_id="5511999990000", email="")
    ticket = TicketFactory(
        requester=contact, via="whatsapp", status="open", assignee=agent,
        last_customer_message_at=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def notify_requester_on_priority(
    make_trigger, body="Hi {{ticket.requester.first_name}}, ticket #{{ticket.id}} is urgent"
):
    return make_trigger(
        "Tell the customer",
        [cond("priority", "value", "urgent")],
        [act("notification_user", ["requester_id", "Ticket #{{ticket.id}}", body])],
    )


def sent_events(ticket):
    return list(Event.objects.filter(ticket=ticket, type="notification.sent").order_by("id"))


def test_whatsapp_requester_gets_a_whatsapp_message_inside_the_window(
    make_trigger, wa_ticket, agent, graph, django_capture_on_commit_callbacks
):
    trigger = notify_requester_on_priority(make_trigger)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=wa_ticket, actor=agent, changes={"priority": "urgent"})
    comment = Comment.objects.get(ticket=wa_ticket, author_role=AuthorRole.SYSTEM)
    assert comment.public and comment.author_user is None
    assert comment.body == f"Hi Ana, ticket #{wa_ticket.pk} is urgent"
    (request,) = graph.posts("/messages")
    assert request.json()["to"] == "+5511999990000"
    assert request.json()["text"]["body"] == comment.body
    comment.refresh_from_db()
    assert comment.delivery_status == "sent"
    (event,) = sent_events(wa_ticket)
    assert event.data == {
        "rule": "trigger",
        "rule_id": trigger.pk,
        "title": "Tell the customer",
        "recipient": "requester_id",
        "subject": f"Ticket #{wa_ticket.pk}",
        "channel": "whatsapp",
        "contact_id": wa_ticket.requester_id,
        "comment_id": comment.pk,
    }
    assert mail.outbox == []


def test_a_rule_message_outside_the_window_is_kept_failed_and_tells_the_assignee(
    make_trigger, wa_ticket, agent, other_agent, graph, django_capture_on_commit_callbacks
):
    notify_requester_on_priority(make_trigger)
    Ticket.objects.filter(pk=wa_ticket.pk).update(
        last_customer_message_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        # another agent makes the change: the banner goes to the ticket's assignee, as the message has no author
        ticket_services.ticket_update(ticket=wa_ticket, actor=other_agent, changes={"priority": "urgent"})
    comment = Comment.objects.get(ticket=wa_ticket, author_role=AuthorRole.SYSTEM)
    assert comment.delivery_status == "failed" and comment.delivery_error_code == "window_closed"
    assert graph.requests == []
    notification = Notification.objects.get(comment=comment)
    assert notification.user == agent and notification.error_code == "window_closed"
    assert Event.objects.filter(ticket=wa_ticket, type="delivery.failed", data__code="window_closed").exists()


def test_a_new_ticket_stays_new_after_a_rule_message(make_trigger, account, graph, django_capture_on_commit_callbacks):
    make_trigger(
        "Ack", [cond("update_type", "is", "Create")], [act("notification_user", ["requester_id", "", "Got it"])]
    )
    with django_capture_on_commit_callbacks(execute=True):
        comment = ticket_services.end_user_message_add(
            conversation_ticket=None,
            requester=WhatsAppContactFactory(),
            via="whatsapp",
            body="hello",
            on_ticket_created=lambda t: WhatsAppConversation.objects.create(
                ticket=t, account=account, contact=t.requester
            ),
        )
    ticket = Ticket.objects.get(pk=comment.ticket_id)
    assert ticket.status == "new"  # the acknowledgement is not an agent's answer
    assert ticket.comments.filter(author_role="system", body="Got it").exists()
    assert len(graph.posts("/messages")) == 1


def test_e_mail_requester_gets_an_e_mail_on_commit(make_trigger, agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(via="web", requester=ContactFactory(name="Bea Lima", email="bea@example.com"))
    notify_requester_on_priority(make_trigger)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    assert mail.outbox == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.to == ["bea@example.com"]
    assert message.subject == f"Ticket #{ticket.pk}"
    assert message.body == f"Hi Bea, ticket #{ticket.pk} is urgent"
    assert not Comment.objects.filter(ticket=ticket).exists()  # an e-mail notification is not a comment
    (event,) = sent_events(ticket)
    assert event.data["channel"] == "email" and event.data["to"] == "bea@example.com"


def test_agents_are_e_mailed(make_trigger, agent, other_agent, django_capture_on_commit_callbacks):
    group = GroupFactory(name="Billing")
    member, inactive = UserFactory(username="carol"), UserFactory(username="dave", is_active=False)
    group.members.set([member, inactive, agent])
    ticket = TicketFactory(assignee=agent, group=group, subject="Refund")
    make_trigger(
        "Everyone",
        [cond("priority", "value", "urgent")],
        [
            act("notification_user", ["assignee_id", "To assignee {{ticket.id}}", "b"]),
            act("notification_user", ["current_user", "To you", "Thanks {{current_user.first_name}}"]),
            act("notification_user", [str(other_agent.pk), "To Bob", "b"]),
            act("notification_group", ["group_id", "To {{ticket.group.name}}", "b"]),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=other_agent, changes={"priority": "urgent"})
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert sent == sorted(
        [
            (agent.email, f"To assignee {ticket.pk}"),
            (other_agent.email, "To you"),
            (other_agent.email, "To Bob"),
            (member.email, "To Billing"),
            (agent.email, "To Billing"),
        ]
    )
    assert next(m for m in mail.outbox if m.subject == "To you").body == "Thanks Bob"
    assert len(sent_events(ticket)) == 5


def test_nobody_to_tell_sends_nothing(make_trigger, agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(requester=ContactFactory(email=""), assignee=None)
    make_trigger("Nobody", [cond("priority", "value", "urgent")],
                 [act("notification_user", ["assignee_id", "s", "b"]),
                  act("notification_user", ["requester_id", "s", "b"])])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "urgent"})
    assert mail.outbox == [] and sent_events(ticket) == []
    assert Event.objects.filter(ticket=ticket, type="trigger.fired").count() == 1


def test_an_automation_message_outside_the_window_fails_for_the_assignee(
    make_automation, wa_ticket, agent, graph, django_capture_on_commit_callbacks
):
    make_automation(
        "Nudge after a quiet day",
        [cond("hours_since_last_customer_message", "greater_than", 24), cond("current_tags", "not_includes", "nudged")],
        [act("current_tags", "nudged"), act("notification_user", ["requester_id", "", "Still there?"])],
    )
    Ticket.objects.filter(pk=wa_ticket.pk).update(last_customer_message_at=timezone.now() - timedelta(hours=30))
    with django_capture_on_commit_callbacks(execute=True):
        summary = sweep.run_automations()
    assert summary.fired == 1
    comment = Comment.objects.get(ticket=wa_ticket, body="Still there?")
    assert comment.delivery_error_code == "window_closed"
    assert Notification.objects.get(comment=comment).user == agent
    assert graph.requests == [] and not OutboundSend.objects.exists()
