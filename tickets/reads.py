"""Read marks: how far each agent has read each ticket (the list's unread marker)."""

from django.db.models import Max
from django.utils import timezone

from tickets import realtime
from tickets.models import Comment, Ticket, TicketRead


def ticket_read_mark(*, user, ticket: Ticket) -> None:
    """The agent has the ticket's conversation in front of them: everything on it so far counts as read.

    Called when the ticket page (or its live conversation fragment) is rendered. It is bookkeeping about the
    viewer, not a change to the ticket: no event, no listeners. Two queries whatever the history (the newest
    comment, one upsert), and the agent's own open lists are told, so their bold row turns plain.
    """
    newest = Comment.objects.filter(ticket=ticket).aggregate(newest=Max("id"))["newest"] or 0
    TicketRead.objects.bulk_create(
        [TicketRead(user=user, ticket=ticket, last_read_comment_id=newest, read_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "ticket"],
        update_fields=["last_read_comment_id", "read_at"],
    )
    realtime.broadcast_on_commit(
        [realtime.list_agent_group(user.pk)], realtime.ticket_changed_frame(ticket_id=ticket.pk)
    )
