import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ContactFactory, GroupFactory, TicketFactory, UserFactory
from tickets import custom_field_definitions, events, services
from tickets.contacts import contact_create
from tickets.models import (
    Attachment,
    Comment,
    Contact,
    CustomField,
    CustomFieldValue,
    Event,
    Group,
    Ticket,
    TicketStatus,
    TicketTag,
    Via,
)

pytestmark = pytest.mark.django_db

TICKETS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "tickets"]


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def group(admin_user):
    return services.group_create(name="Support", members=[admin_user])


@pytest.fixture
def contact():
    return contact_create(name="Maria Silva", email="maria@example.com", wa_id="5511987650001")


@pytest.fixture
def ticket(admin_user, group, contact):
    """A ticket with a row in every tickets table, made through services where there is one."""
    ticket = services.ticket_create(
        requester=contact,
        subject="Order #4821 has not arrived",
        actor=admin_user,
        comment=services.NewComment(body="Checking with the carrier.", public=False),
        tags=["shipping"],
        group=group,
        assignee=admin_user,
    )
    comment = services.end_user_message_add(
        conversation_ticket=ticket, requester=contact, via=Via.WEB, body="Any news? I need it by Friday."
    )
    Attachment.objects.create(
        ticket=ticket, comment=comment, filename="label.pdf", content_type="application/pdf", size=2048
    )
    field = custom_field_definitions.field_create(type="text", title="Carrier reference")
    CustomFieldValue.objects.create(ticket=ticket, field=field, value="CR-1")
    ticket.refresh_from_db()
    return ticket


def change_url(obj) -> str:
    return reverse(f"admin:tickets_{obj._meta.model_name}_change", args=[obj.pk])


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Every page opens -----------------------------------------------------------------------------------


def test_every_tickets_model_is_registered():
    assert set(TICKETS_MODELS) == {Ticket, TicketTag, Comment, Attachment, Event, Contact, Group, CustomField}
    assert admin.site.site_header == "SupportDesk admin"


@pytest.mark.parametrize("model", TICKETS_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_change_page_open(staff_client, ticket, model):
    response = staff_client.get(reverse(f"admin:tickets_{model._meta.model_name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1

    obj = model.objects.order_by("pk").first()
    response = staff_client.get(change_url(obj))
    assert response.status_code == 200


def test_ticket_change_page_shows_conversation_tags_and_audit_log(staff_client, ticket):
    response = staff_client.get(change_url(ticket))

    content = response.content.decode()
    assert "Any news? I need it by Friday." in content
    assert "Checking with the carrier." in content
    assert 'value="shipping"' in content
    assert events.TICKET_CREATED in content


def test_non_staff_agent_is_sent_to_the_admin_login(agent_client):
    response = agent_client.get(reverse("admin:tickets_ticket_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- Search ---------------------------------------------------------------------------------------------


def result_ids(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def test_ticket_search_by_subject_requester_and_id(staff_client, ticket):
    other = TicketFactory(subject="Invoice with the wrong tax number")
    url = reverse("admin:tickets_ticket_changelist")

    assert result_ids(staff_client.get(url, {"q": "arrived"})) == {ticket.pk}
    assert result_ids(staff_client.get(url, {"q": "5511987650001"})) == {ticket.pk}
    assert result_ids(staff_client.get(url, {"q": "maria@example"})) == {ticket.pk}
    assert result_ids(staff_client.get(url, {"q": f"#{other.pk}"})) == {other.pk}


def test_contact_search_by_name_email_and_whatsapp_id(staff_client, contact):
    ContactFactory(name="Kenji Tanaka", email="kenji@example.org")
    url = reverse("admin:tickets_contact_changelist")

    for term in ("Maria", "maria@example.com", "5511987650001"):
        assert result_ids(staff_client.get(url, {"q": term})) == {contact.pk}


def test_event_search_by_ticket_id(staff_client, ticket):
    TicketFactory()  # a ticket without events, so the search has something to leave out

    response = staff_client.get(reverse("admin:tickets_event_changelist"), {"q": str(ticket.pk)})

    assert result_ids(response) == set(ticket.events.values_list("pk", flat=True))


def test_event_type_filter(staff_client, ticket):
    response = staff_client.get(reverse("admin:tickets_event_changelist"), {"type": events.COMMENT_ADDED})

    assert {e.type for e in response.context["cl"].result_list} == {events.COMMENT_ADDED}
    assert result_ids(response) == set(ticket.events.filter(type=events.COMMENT_ADDED).values_list("pk", flat=True))


# --- Read-only audit data -------------------------------------------------------------------------------


def test_event_admin_refuses_add_change_and_delete(staff_client, ticket, admin_user, rf):
    event = ticket.events.first()
    model_admin = admin.site._registry[Event]
    request = rf.get("/")
    request.user = admin_user

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert staff_client.get(reverse("admin:tickets_event_add")).status_code == 403
    assert staff_client.post(change_url(event), {"type": "tampered"}).status_code == 403
    assert staff_client.post(reverse("admin:tickets_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.type == events.TICKET_CREATED


def test_event_data_is_pretty_printed(staff_client, ticket):
    event = ticket.events.get(type=events.TICKET_CREATED)

    response = staff_client.get(change_url(event))

    assert "<pre" in response.content.decode()
    assert "&quot;subject&quot;: &quot;Order #4821 has not arrived&quot;,\n" in response.content.decode()


def test_comments_cannot_be_added_changed_or_deleted(staff_client, ticket):
    comment = ticket.comments.first()

    assert staff_client.get(reverse("admin:tickets_comment_add")).status_code == 403
    assert staff_client.post(change_url(comment), {"body": "rewritten"}).status_code == 403
    assert (
        staff_client.post(reverse("admin:tickets_comment_delete", args=[comment.pk]), {"post": "yes"}).status_code
        == 403
    )
    comment.refresh_from_db()
    assert comment.body == "Checking with the carrier."


def test_tickets_cannot_be_deleted(staff_client, ticket):
    response = staff_client.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# --- Writes go through services -------------------------------------------------------------------------


def test_mark_solved_action_goes_through_the_service(staff_client, ticket, admin_user):
    response = staff_client.post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "mark_solved", "_selected_action": [ticket.pk]},
        follow=True,
    )

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    assert ticket.solved_at is not None
    change = ticket.events.get(type=events.FIELD_CHANGED, data__field="status")
    assert change.actor == admin_user
    assert change.data == {"field": "status", "from": "open", "to": "solved"}
    assert "1 ticket(s) marked solved." in messages_of(response)


def test_mark_solved_reports_refusals_as_messages(staff_client, ticket):
    closed = TicketFactory(status=TicketStatus.CLOSED)

    response = staff_client.post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "mark_solved", "_selected_action": [ticket.pk, closed.pk]},
        follow=True,
    )

    closed.refresh_from_db()
    assert closed.status == TicketStatus.CLOSED
    assert not closed.events.exists()
    texts = messages_of(response)
    assert "1 ticket(s) marked solved." in texts
    assert any(text.startswith(f"#{closed.pk}: This ticket is closed") for text in texts)


def test_add_ticket_goes_through_ticket_create(staff_client, admin_user, group, contact):
    response = staff_client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "requester": contact.pk,
            "subject": "Called about a refund",
            "via": Via.WEB,
            "priority": "high",
            "type": "",
            "group": group.pk,
            "assignee": admin_user.pk,
            "first_comment": "The customer called, refund promised.",
            "first_comment_public": "",
            **management_form("tag_rows", total=2),
            "tag_rows-0-name": "Refund",
            "tag_rows-1-name": "vip",
        },
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Called about a refund")
    assert response.url == reverse("admin:tickets_ticket_changelist")
    assert ticket.status == TicketStatus.OPEN  # ticket_create opens assigned tickets
    assert (ticket.priority, ticket.group, ticket.assignee) == ("high", group, admin_user)
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["refund", "vip"]
    created = ticket.events.get(type=events.TICKET_CREATED)
    assert created.actor == admin_user
    note = ticket.comments.get()
    assert (note.body, note.public, note.author_user) == ("The customer called, refund promised.", False, admin_user)


def change_form_data(ticket, **overrides) -> dict:
    tags = list(ticket.tag_rows.order_by("name"))
    data = {
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority or "",
        "type": ticket.type or "",
        "group": ticket.group_id or "",
        "assignee": ticket.assignee_id or "",
        **management_form("tag_rows", total=len(tags), initial=len(tags)),
        **management_form("comments"),
        **management_form("events"),
    }
    for index, tag in enumerate(tags):
        data |= {
            f"tag_rows-{index}-id": tag.pk,
            f"tag_rows-{index}-ticket": ticket.pk,
            f"tag_rows-{index}-name": tag.name,
        }
    data.update(overrides)
    return data


def test_change_ticket_goes_through_ticket_update(staff_client, ticket, admin_user):
    data = change_form_data(ticket, status="pending", priority="urgent")
    data |= management_form("tag_rows", total=2, initial=1) | {"tag_rows-1-name": "late"}

    response = staff_client.post(change_url(ticket), data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("pending", "urgent")
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["late", "shipping"]
    changes = {e.data["field"]: e for e in ticket.events.filter(type=events.FIELD_CHANGED)}
    assert set(changes) == {"status", "priority", "tags"}
    assert changes["tags"].data == {"field": "tags", "from": ["shipping"], "to": ["late", "shipping"]}
    assert all(e.actor == admin_user for e in changes.values())


def test_removing_a_tag_in_the_inline_goes_through_ticket_update(staff_client, ticket):
    data = change_form_data(ticket) | {"tag_rows-0-DELETE": "on"}

    staff_client.post(change_url(ticket), data)

    assert not ticket.tag_rows.exists()
    assert ticket.events.filter(type=events.FIELD_CHANGED, data__field="tags").exists()


def test_a_change_the_service_refuses_is_reported_and_not_saved(staff_client, ticket):
    outsider = UserFactory(username="outsider")

    response = staff_client.post(change_url(ticket), change_form_data(ticket, assignee=outsider.pk), follow=True)

    ticket.refresh_from_db()
    assert ticket.assignee != outsider
    assert not ticket.events.filter(type=events.FIELD_CHANGED).exists()
    assert "Not saved: outsider is not a member of the group Support." in messages_of(response)


def test_a_bad_tag_is_a_form_error(staff_client, ticket):
    data = change_form_data(ticket) | management_form("tag_rows", total=2, initial=1) | {"tag_rows-1-name": "no way!"}

    response = staff_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert "is not a valid tag" in response.content.decode()
    assert ticket.tag_rows.count() == 1


def test_closed_tickets_are_read_only(staff_client, admin_user, rf):
    closed = TicketFactory(status=TicketStatus.CLOSED, subject="Old one")
    request = rf.get("/")
    request.user = admin_user

    assert not admin.site._registry[Ticket].has_change_permission(request, closed)
    assert staff_client.get(change_url(closed)).status_code == 200
    assert staff_client.post(change_url(closed), change_form_data(closed, subject="New")).status_code == 403


def test_contact_admin_saves_through_services(staff_client, admin_user):
    response = staff_client.post(
        reverse("admin:tickets_contact_add"),
        {"name": "Sofía García", "email": "", "phone": "", "wa_id": "5511987650009", "whatsapp_opt_in": "on"},
    )

    assert response.status_code == 302
    contact = Contact.objects.get(name="Sofía García")
    assert contact.wa_id is None  # read-only in the admin: only the channel or the audited repair sets it
    assert contact.whatsapp_opt_in
    assert contact.whatsapp_opt_in_by == admin_user  # recorded by contact_opt_in_set
    assert contact.whatsapp_opt_in_source == "admin"
    assert contact.created_by == admin_user


# --- Query counts ---------------------------------------------------------------------------------------


def make_tickets(count: int, group, assignee) -> None:
    for _ in range(count):
        ticket = TicketFactory(group=group, assignee=assignee, priority="normal")
        TicketTag.objects.bulk_create([TicketTag(ticket=ticket, name="vip"), TicketTag(ticket=ticket, name="late")])


def changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:tickets_ticket_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_ticket_changelist_query_count_does_not_grow_with_tickets(staff_client, admin_user):
    group = GroupFactory()
    group.members.add(admin_user)
    make_tickets(5, group, admin_user)
    with_5 = changelist_queries(staff_client)

    make_tickets(45, group, admin_user)
    with_50 = changelist_queries(staff_client)

    assert with_50 == with_5


def test_comment_and_event_changelists_query_count_does_not_grow(staff_client, ticket, contact):
    def counts() -> tuple[int, int]:
        result = []
        for name in ("comment", "event"):
            with CaptureQueriesContext(connection) as queries:
                staff_client.get(reverse(f"admin:tickets_{name}_changelist"))
            result.append(len(queries))
        return tuple(result)

    before = counts()
    for index in range(10):
        services.end_user_message_add(conversation_ticket=None, requester=contact, via=Via.WEB, body=f"Hello {index}")

    assert counts() == before
