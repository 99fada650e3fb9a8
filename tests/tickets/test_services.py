import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ContactFactory, GroupFactory, TicketFactory, UserFactory
from tickets import hooks, services
from tickets.contacts import contact_create, contact_update
from tickets.errors import DomainError
from tickets.models import Comment, Event, Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def event_types(ticket):
    return list(Event.objects.filter(ticket=ticket).order_by("id").values_list("type", flat=True))


def test_ticket_create_audits_and_keeps_new_until_an_agent_replies(agent):
    requester = ContactFactory()
    ticket = services.ticket_create(
        requester=requester,
        subject="  Printer on fire ",
        actor=agent,
        comment=services.NewComment(body="It is burning", public=True),
        tags=["Hardware", "urgent-ish"],
        priority="high",
    )
    assert ticket.subject == "Printer on fire"
    assert ticket.status == TicketStatus.NEW
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["hardware", "urgent-ish"]
    assert event_types(ticket) == ["ticket.created", "comment.added"]

    services.comment_add(ticket=ticket, author=agent, body="On it", public=True)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert Event.objects.filter(ticket=ticket, type="field.changed", data__field="status").exists()


def test_internal_note_does_not_open_a_new_ticket(agent):
    ticket = TicketFactory(status=TicketStatus.NEW)
    services.comment_add(ticket=ticket, author=agent, body="looking", public=False)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    note = ticket.comments.get()
    assert note.public is False and note.author_role == "agent" and note.author_user == agent


def test_ticket_create_refuses_empty_subject_and_writes_nothing(agent):
    with pytest.raises(DomainError) as exc:
        services.ticket_create(requester=ContactFactory(), subject="   ", actor=agent)
    assert "subject" in exc.value.errors
    assert Ticket.objects.count() == 0


def test_ticket_update_records_each_field_change(agent, other_agent):
    group = GroupFactory()
    group.members.add(other_agent)
    ticket = TicketFactory()
    services.ticket_update(
        ticket=ticket,
        actor=agent,
        changes={
            "status": "pending",
            "priority": "urgent",
            "type": "incident",
            "group": group,
            "assignee": other_agent,
        },
    )
    changed = dict(Event.objects.filter(ticket=ticket, type="field.changed").values_list("data__field", "data__to"))
    assert changed == {
        "status": "pending",
        "priority": "urgent",
        "type": "incident",
        "group_id": group.pk,
        "assignee_id": other_agent.pk,
    }
    assert Event.objects.filter(ticket=ticket, type="field.changed").first().actor == agent


def test_assignee_must_belong_to_the_group_and_nothing_is_half_written(agent, other_agent):
    group = GroupFactory()
    ticket = TicketFactory(priority="low")
    with pytest.raises(DomainError) as exc:
        services.ticket_update(
            ticket=ticket, actor=agent, changes={"priority": "high", "group": group, "assignee": other_agent}
        )
    assert "assignee_id" in exc.value.errors
    ticket.refresh_from_db()
    assert ticket.priority == "low" and ticket.group is None
    assert not Event.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"status": "bogus"}, "status"),
        ({"status": "new"}, "status"),
        ({"priority": "extreme"}, "priority"),
        ({"type": "rant"}, "type"),
        ({"tags": ["ok", "bad<tag>"]}, "tags"),
        ({"subject": ""}, "subject"),
    ],
)
def test_invalid_changes_are_refused(agent, changes, field):
    ticket = TicketFactory()
    with pytest.raises(DomainError) as exc:
        services.ticket_update(ticket=ticket, actor=agent, changes=changes)
    assert field in exc.value.errors


def test_closed_is_final(agent):
    ticket = TicketFactory(status=TicketStatus.CLOSED)
    with pytest.raises(DomainError):
        services.ticket_update(ticket=ticket, actor=agent, changes={"status": "open"})
    with pytest.raises(DomainError):
        services.comment_add(ticket=ticket, author=agent, body="hello?", public=True)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_tags_add_remove_and_replace(agent):
    ticket = TicketFactory()
    services.ticket_update(ticket=ticket, actor=agent, changes={"tags": ["a", "b"]})
    services.ticket_update(ticket=ticket, actor=agent, changes={"add_tags": ["c"], "remove_tags": ["a"]})
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["b", "c"]
    last = Event.objects.filter(ticket=ticket, data__field="tags").last()
    assert last.data == {"field": "tags", "from": ["a", "b"], "to": ["b", "c"]}


def test_end_user_message_on_solved_reopens(agent):
    requester = ContactFactory()
    ticket = TicketFactory(requester=requester, status=TicketStatus.SOLVED)
    comment = services.end_user_message_add(
        conversation_ticket=ticket, requester=requester, via="web", body="Still broken"
    )
    ticket.refresh_from_db()
    assert comment.ticket_id == ticket.pk
    assert ticket.status == TicketStatus.OPEN
    assert comment.author_role == "end_user" and comment.public


def test_end_user_message_on_hold_stays_on_hold():
    requester = ContactFactory()
    ticket = TicketFactory(requester=requester, status=TicketStatus.HOLD)
    services.end_user_message_add(conversation_ticket=ticket, requester=requester, via="web", body="any news?")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.HOLD


def test_end_user_message_on_closed_starts_a_follow_up():
    requester = ContactFactory()
    agent = UserFactory()
    closed = TicketFactory(requester=requester, status=TicketStatus.CLOSED, assignee=agent)
    comment = services.end_user_message_add(
        conversation_ticket=closed, requester=requester, via="web", body="Hello again, new problem"
    )
    follow_up = comment.ticket
    assert follow_up.pk != closed.pk
    assert follow_up.follow_up_of == closed
    assert follow_up.status == TicketStatus.NEW
    assert follow_up.subject == "Hello again, new problem"
    assert follow_up.assignee == agent
    closed.refresh_from_db()
    assert closed.status == TicketStatus.CLOSED


def test_end_user_message_without_ticket_opens_one_with_subject_from_text():
    requester = ContactFactory()
    long_text = "word " * 40
    comment = services.end_user_message_add(conversation_ticket=None, requester=requester, via="web", body=long_text)
    assert comment.ticket.status == TicketStatus.NEW
    assert len(comment.ticket.subject) <= 80
    assert comment.ticket.subject.endswith("...")


def test_last_customer_message_at_never_moves_back_and_future_is_clamped():
    from datetime import timedelta

    from django.utils import timezone

    requester = ContactFactory()
    now = timezone.now()
    first = services.end_user_message_add(
        conversation_ticket=None, requester=requester, via="web", body="one", sent_at=now - timedelta(hours=1)
    )
    ticket = first.ticket
    services.end_user_message_add(
        conversation_ticket=ticket, requester=requester, via="web", body="late", sent_at=now - timedelta(hours=5)
    )
    ticket.refresh_from_db()
    assert abs((ticket.last_customer_message_at - (now - timedelta(hours=1))).total_seconds()) < 1
    services.end_user_message_add(
        conversation_ticket=ticket, requester=requester, via="web", body="future", sent_at=now + timedelta(days=3)
    )
    ticket.refresh_from_db()
    assert ticket.last_customer_message_at <= timezone.now()


def test_public_reply_without_channel_emails_the_requester_on_commit(agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(requester=ContactFactory(email="ana@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(ticket=ticket, author=agent, body="Fixed!", public=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.com"]
    assert "Fixed!" in mail.outbox[0].body


def test_internal_note_is_never_emailed(agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(requester=ContactFactory(email="ana@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(ticket=ticket, author=agent, body="secret", public=False)
    assert mail.outbox == []


def test_public_reply_goes_to_the_registered_channel_handler_instead_of_email(
    agent, django_capture_on_commit_callbacks
):
    seen = []
    hooks.register_outbound_handler("email", seen.append)
    try:
        ticket = TicketFactory(via="email", requester=ContactFactory(email="ana@example.com"))
        with django_capture_on_commit_callbacks(execute=True):
            comment = services.comment_add(ticket=ticket, author=agent, body="via channel", public=True)
    finally:
        hooks._outbound_handlers.pop("email")
    assert seen == [comment]
    assert mail.outbox == []


def test_change_listeners_get_one_change_per_submit(agent):
    received = []
    hooks.register_change_listener(received.append)
    try:
        ticket = services.ticket_create(requester=ContactFactory(), subject="x", actor=agent)
        services.ticket_update(
            ticket=ticket,
            actor=agent,
            changes={"priority": "high"},
            comment=services.NewComment(body="hi", public=True),
        )
    finally:
        hooks._change_listeners.remove(received.append)
    assert [c.update_type for c in received] == ["create", "change"]
    change = received[1]
    assert change.changes == {"priority": (None, "high"), "status": ("new", "open")}
    assert change.comment is not None and change.comment.body == "hi"


def test_attachments_are_stored_and_size_checked(agent, monkeypatch):
    ticket = TicketFactory()
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    comment = services.comment_add(ticket=ticket, author=agent, body="see file", public=False, attachments=[upload])
    attachment = comment.attachments.get()
    assert attachment.filename == "invoice.pdf"
    assert attachment.size == len(b"%PDF-1.4 test")
    assert attachment.file.read() == b"%PDF-1.4 test"

    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 4)
    big = SimpleUploadedFile("big.bin", b"12345", content_type="application/octet-stream")
    with pytest.raises(DomainError):
        services.comment_add(ticket=ticket, author=agent, body="too big", public=False, attachments=[big])
    assert ticket.comments.count() == 1


def test_contact_wa_id_is_unique():
    contact_create(name="Ana", wa_id="5511999990000")
    with pytest.raises(DomainError):
        contact_create(name="Ana 2", wa_id="5511999990000")


def test_contact_opt_in_records_who_and_when(agent):
    contact = contact_create(name="Ana", wa_id="5511999990001")
    contact_update(contact=contact, actor=agent, whatsapp_opt_in=True)
    contact.refresh_from_db()
    assert contact.whatsapp_opt_in and contact.whatsapp_opt_in_by == agent and contact.whatsapp_opt_in_at
    assert contact.whatsapp_opt_in_source == "agent"
