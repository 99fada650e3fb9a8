"""Shared helpers of the agent page tests."""

from django.urls import reverse

HOME = reverse("tickets:home")


def ticket_url(ticket) -> str:
    return reverse("tickets:ticket", args=[ticket.pk])


def form_data(ticket, **overrides) -> dict:
    """What the ticket page's form posts when the agent changes nothing but what is given."""
    ticket.refresh_from_db()
    data = {
        "status": ticket.status,
        "priority": ticket.priority or "",
        "type": ticket.type or "",
        "group": ticket.group_id or "",
        "assignee": ticket.assignee_id or "",
        "tags": " ".join(ticket.tag_rows.values_list("name", flat=True)),
        "body": "",
        "mode": "public",
    }
    data.update(overrides)
    return data
