"""The agent pages: the one submit of the ticket page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import ContactFactory, TicketFactory, group_with
from tests.tickets.view_helpers import HOME, form_data, ticket_url
from tickets import events
from tickets.models import Comment, Event, Ticket, TicketStatus, TicketTag

pytestmark = pytest.mark.django_db


# --- The one submit -------------------------------------------------------------------------------------------


def test_public_reply_is_saved_and_redirects(agent_client, agent):
    ticket = TicketFactory(status=TicketStatus.NEW, requester=ContactFactory(email=""))
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body="We are on it.", mode="public"))
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    comment = ticket.comments.get()
    assert (comment.body, comment.public, comment.author_user) == ("We are on it.", True, agent)
    assert Event.objects.filter(ticket=ticket, type=events.COMMENT_ADDED, actor=agent).exists()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN  # a public reply opens a new ticket
    page = agent_client.get(response["Location"]).content.decode()
    assert "We are on it." in page
    assert f"Ticket #{ticket.pk} updated." not in page  # no toast for one's own change


def test_internal_note_with_attachments(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    files = [
        SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
        SimpleUploadedFile("shot.png", b"\x89PNG fake", content_type="image/png"),
    ]
    response = agent_client.post(
        ticket_url(ticket), {**form_data(ticket, body="Check logs", mode="internal"), "attachments": files}
    )
    assert response.status_code == 302
    comment = ticket.comments.get()
    assert comment.public is False
    assert sorted(comment.attachments.values_list("filename", flat=True)) == ["notes.txt", "shot.png"]
    html = agent_client.get(ticket_url(ticket)).content.decode()
    for attachment in comment.attachments.all():
        assert f'href="/attachments/{attachment.pk}/"' in html
    assert "Comment added (internal note, 2 attachments)" in html


def test_property_change_without_comment(agent_client, agent):
    group = group_with(agent)
    ticket = TicketFactory(status=TicketStatus.OPEN)
    data = form_data(
        ticket, status="pending", priority="high", type="incident", group=group.pk, assignee=agent.pk, tags="VIP refund"
    )
    response = agent_client.post(ticket_url(ticket), data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.type, ticket.group, ticket.assignee) == (
        "pending",
        "high",
        "incident",
        group,
        agent,
    )
    assert sorted(ticket.tag_rows.values_list("name", flat=True)) == ["refund", "vip"]
    changed = set(Event.objects.filter(ticket=ticket, type=events.FIELD_CHANGED).values_list("data__field", flat=True))
    assert changed == {"status", "priority", "type", "group_id", "assignee_id", "tags"}
    assert not ticket.comments.exists()


def test_unchanged_submit_changes_nothing(agent_client, agent):
    ticket = TicketFactory(assignee=agent, priority="low")
    TicketTag.objects.create(ticket=ticket, name="keep")
    response = agent_client.post(ticket_url(ticket), form_data(ticket))
    assert response.status_code == 302
    assert not Event.objects.filter(ticket=ticket).exists()


def test_assignee_outside_the_group_is_refused_and_nothing_saved(agent_client, agent, other_agent):
    group = group_with(agent, name="Billing")
    ticket = TicketFactory(group=group, assignee=agent, status=TicketStatus.OPEN)
    before = Event.objects.count()
    response = agent_client.post(
        ticket_url(ticket), form_data(ticket, assignee=other_agent.pk, status="pending", body="Handing over")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a member of the group Billing" in html
    assert 'class="field-error"' in html
    assert "Handing over" in html  # the agent's text is kept for another try
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, "open")
    assert Event.objects.count() == before
    assert not ticket.comments.exists()


def test_invalid_choice_is_a_400(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    response = agent_client.post(ticket_url(ticket), form_data(ticket, status="deleted", body="x"))
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not ticket.comments.exists()


def test_closed_ticket_is_read_only(agent_client, agent):
    ticket = TicketFactory(assignee=agent, status=TicketStatus.CLOSED)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "composer" not in html and 'name="body"' not in html
    assert "This ticket is closed" in html
    response = agent_client.post(ticket_url(ticket), form_data(ticket, body="Too late"))
    assert response.status_code == 400
    assert b"This ticket is closed and can no longer be changed" in response.content
    assert not ticket.comments.exists()


def test_get_never_changes_state(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    before = (Ticket.objects.values_list("updated_at", "status").get(pk=ticket.pk), Event.objects.count())
    params = form_data(ticket, status="solved", body="via GET?", mode="public")
    assert agent_client.get(ticket_url(ticket), params).status_code == 200
    assert agent_client.get(HOME, params).status_code == 200
    after = (Ticket.objects.values_list("updated_at", "status").get(pk=ticket.pk), Event.objects.count())
    assert after == before
    assert not Comment.objects.exists()


def test_csrf_is_enforced(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    ticket = TicketFactory(assignee=agent)
    response = client.post(ticket_url(ticket), form_data(ticket, body="No token"))
    assert response.status_code == 403
    assert not ticket.comments.exists()
    client.get(ticket_url(ticket))  # sets the CSRF cookie, as a browser's page load does
    token = client.cookies["csrftoken"].value
    response = client.post(ticket_url(ticket), {**form_data(ticket, body="With token"), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert ticket.comments.get().body == "With token"


def test_ticket_of_another_group_is_404(client, agent, other_agent):
    group = group_with(agent, name="Alice only")
    ticket = TicketFactory(group=group, assignee=agent)
    client.force_login(other_agent)
    assert client.get(ticket_url(ticket)).status_code == 404
    assert client.post(ticket_url(ticket), form_data(ticket, body="sneaky")).status_code == 404
    assert not ticket.comments.exists()
    assert client.get(reverse("tickets:ticket", args=[999999])).status_code == 404
