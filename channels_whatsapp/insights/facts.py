"""The rows the metrics count, defined once: a customer's message and its send time, a reply, an outbound message.

- A *customer message* is an end user's comment. Its send time is the sender's own (WhatsApp's `timestamp`), or when
  it reached us where the channel gives none.
- A *reply* is a public comment that an agent, a trigger or an automation sent to the customer and that did not fail.
  An agent's reply is a reply by a person (author role "agent"): first reply time counts only those.
- An *outbound message* is a comment handed to a channel for delivery (it has a delivery status).

Customer messages, first replies and outbound messages are read from their materialized facts (materialize.py).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from channels_whatsapp.insights.scope import Scope
from channels_whatsapp.models import InsightsMessage, InsightsOutbound, InsightsTicket
from tickets.models import AuthorRole, DeliveryStatus, Ticket

# A reply as a query on the comments (for what is read live): the same rule as materialize.Message.is_reply.
REPLY_Q = Q(public=True, author_role__in=(AuthorRole.AGENT, AuthorRole.SYSTEM)) & ~Q(
    delivery_status=DeliveryStatus.FAILED
)
# Codes of a free-form reply refused because the 24-hour window had closed: ours, and the Cloud API's.
WINDOW_CODES = ("window_closed", "131047", "470")
WINDOW_SECONDS = 24 * 60 * 60


def tickets(scope: Scope) -> QuerySet:
    return scope.restrict(Ticket.objects.all())


def message_facts(scope: Scope, *, whatsapp_only: bool = False) -> QuerySet:
    """The materialized customer messages (materialize.py) sent within the period."""
    rows = InsightsMessage.objects.filter(sent_at__gte=scope.start, sent_at__lt=scope.end)
    if whatsapp_only:
        rows = rows.filter(whatsapp=True)
    return scope.restrict(rows, account_field="account_id")


def ticket_facts(scope: Scope) -> QuerySet:
    """The materialized tickets whose first customer message was sent within the period."""
    rows = InsightsTicket.objects.filter(first_sent_at__gte=scope.start, first_sent_at__lt=scope.end)
    return scope.restrict(rows, account_field="account_id")


def outbound_messages(scope: Scope) -> QuerySet:
    """The materialized outbound messages (handed to a channel for delivery) created within the period."""
    rows = InsightsOutbound.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    return scope.restrict(rows, account_field="account_id")
