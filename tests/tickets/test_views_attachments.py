"""The agent pages: attachment downloads."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import TicketFactory, group_with
from tests.tickets.view_helpers import form_data, ticket_url
from tickets import services
from tickets.models import Attachment
from tickets.services import NewComment

pytestmark = pytest.mark.django_db


# --- Attachments ------------------------------------------------------------------------------------------------


def attachment_on(ticket, *, filename, content_type, content=b"data"):
    attachment = Attachment(ticket=ticket, filename=filename, content_type=content_type, size=len(content))
    attachment.file.save(filename, ContentFile(content), save=False)
    attachment.save()
    return attachment


def test_attachment_download(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    pdf = attachment_on(ticket, filename="invoice.pdf", content_type="application/pdf", content=b"%PDF-1.4")
    response = agent_client.get(reverse("tickets:attachment", args=[pdf.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        response["Content-Disposition"].startswith("attachment;") and "invoice.pdf" in response["Content-Disposition"]
    )


def test_images_are_inline_but_svg_is_not(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    png = attachment_on(ticket, filename="photo.png", content_type="image/png")
    svg = attachment_on(ticket, filename="logo.svg", content_type="image/svg+xml")
    assert agent_client.get(reverse("tickets:attachment", args=[png.pk]))["Content-Disposition"].startswith("inline")
    assert agent_client.get(reverse("tickets:attachment", args=[svg.pk]))["Content-Disposition"].startswith(
        "attachment"
    )


def test_attachment_of_an_invisible_ticket_is_404(client, agent, other_agent):
    group = group_with(agent)
    ticket = TicketFactory(group=group)
    attachment = attachment_on(ticket, filename="secret.txt", content_type="text/plain")
    client.force_login(other_agent)
    assert client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("tickets:attachment", args=[999999])).status_code == 404


def test_attachment_without_a_file_is_404(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    missing = Attachment.objects.create(ticket=ticket, filename="lost.jpg", content_type="image/jpeg")
    assert agent_client.get(reverse("tickets:attachment", args=[missing.pk])).status_code == 404


def test_new_comment_dataclass_is_what_the_view_sends(agent_client, agent, monkeypatch):
    """The view hands the service exactly one NewComment with the composer's mode."""
    calls = []
    real = services.ticket_update
    monkeypatch.setattr(services, "ticket_update", lambda **kw: calls.append(kw) or real(**kw))
    ticket = TicketFactory(assignee=agent)
    agent_client.post(ticket_url(ticket), form_data(ticket, body="Note", mode="internal"))
    assert calls[0]["comment"] == NewComment(body="Note", public=False, attachments=[])
    assert calls[0]["actor"] == agent and calls[0]["changes"] == {}
