"""Automation conditions as database queries, so the hourly sweep is one query per automation, not a loop.

`ticket_q(conditions, now)` turns parsed conditions (`automations.conditions`) into a `Q` on `Ticket`. It must agree
with the pure `conditions.matches` on every ticket; the tests check both against the same rows. Time conditions
become comparisons of a timestamp column with a fixed instant computed here, which the column's index can serve:
"hours since X greater than n" (whole hours, rounded down) is ``X <= now - (n + 1) h``.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from automations.conditions.model import NONE, PRIORITY_ORDER, STATUS_ORDER, Condition, Conditions
from automations.custom_field_queries import custom_field_q
from channels_whatsapp.window import WINDOW
from tickets.models import AuthorRole, Comment, TicketStatus, TicketTag, Via

HOUR = timedelta(hours=1)
NOTHING = Q(pk__in=[])
EVERYTHING = Q()


def _choice_q(column: str, condition: Condition, order: tuple[str, ...] = ()) -> Q:
    value = condition.value
    if condition.operator in ("is", "is_not"):
        q = Q(**{f"{column}__isnull": True}) if value == NONE else Q(**{column: value})
        return q if condition.operator == "is" else ~q
    position = order.index(value)
    chosen = order[:position] if condition.operator == "less_than" else order[position + 1 :]
    q = Q(**{f"{column}__in": [v for v in chosen if v != NONE]})
    if NONE in chosen:
        q |= Q(**{f"{column}__isnull": True})
    return q


def _since_q(column: str, operator: str, hours: int, now: datetime) -> Q:
    """Whole hours since `column`, rounded down, compared with `hours` (a NULL column never matches)."""
    if operator == "is":
        return Q(**{f"{column}__lte": now - hours * HOUR, f"{column}__gt": now - (hours + 1) * HOUR})
    if operator == "less_than":
        return Q(**{f"{column}__gt": now - hours * HOUR})
    return Q(**{f"{column}__lte": now - (hours + 1) * HOUR})


def _until_window_q(operator: str, hours: int, now: datetime) -> Q:
    """Whole hours left in an open WhatsApp window (it closes at last_customer_message_at + 24 h)."""
    opened_after = now - WINDOW  # the window is open while last_customer_message_at > now - 24 h
    base = Q(via=Via.WHATSAPP, last_customer_message_at__gt=opened_after)
    column = "last_customer_message_at"
    if operator == "is":
        return base & Q(
            **{f"{column}__gte": opened_after + hours * HOUR, f"{column}__lt": opened_after + (hours + 1) * HOUR}
        )
    if operator == "less_than":
        return base & Q(**{f"{column}__lt": opened_after + hours * HOUR})
    return base & Q(**{f"{column}__gte": opened_after + (hours + 1) * HOUR})


def window_open_q(now: datetime) -> Q:
    return Q(via=Via.WHATSAPP, last_customer_message_at__gt=now - WINDOW)


def customer_waiting_q() -> Q:
    """The latest public message written by a person (customer or agent, not the product's own) is the customer's."""
    latest_role = (
        Comment.objects.filter(
            ticket=OuterRef("pk"), public=True, author_role__in=[AuthorRole.END_USER, AuthorRole.AGENT]
        )
        .order_by("-created_at", "-id")
        .values("author_role")[:1]
    )
    return Q(Exact(Coalesce(Subquery(latest_role), Value("")), Value(AuthorRole.END_USER.value)))


def _tags_q(condition: Condition) -> Q:
    has_one = Exists(TicketTag.objects.filter(ticket=OuterRef("pk"), name__in=condition.value.split()))
    return Q(has_one) if condition.operator == "includes" else ~Q(has_one)


def _requester_locale_q(code: str) -> Q:
    """The requester reads `code`: their own language, or none of their own and `code` is the account's default."""
    q = Q(requester__locale=code)
    return q | Q(requester__locale="") if code == settings.LANGUAGE_CODE else q


def _positive(condition: Condition, q: Q) -> Q:
    return q if condition.operator == "is" else ~q


def condition_q(condition: Condition, now: datetime) -> Q:
    name, op, value = condition.field, condition.operator, condition.value
    if name == "status":
        return _choice_q("status", condition, STATUS_ORDER)
    if name == "priority":
        return _choice_q("priority", condition, PRIORITY_ORDER)
    if name == "type":
        return _choice_q("type", condition)
    if name == "via":
        if op in ("includes", "not_includes"):
            return Q(via__in=value) if op == "includes" else ~Q(via__in=value)
        return _choice_q("via", condition)
    if name in ("assignee_id", "requester_id") and value in ("assignee_id", "requester_id"):
        # An assignee is a user and a requester a contact: they are never the same person.
        return NOTHING if op == "is" else EVERYTHING
    if name in ("group_id", "assignee_id", "requester_id"):
        return _choice_q(name, condition)
    if name == "ticket_is_public":
        public = Exists(Comment.objects.filter(ticket=OuterRef("pk"), public=True))
        return _positive(condition, Q(public) if value == "public" else ~Q(public))
    if name == "current_tags":
        return _tags_q(condition)
    if name.startswith("custom_fields_"):
        return custom_field_q(condition)
    if name == "requester_role":
        return _positive(condition, EVERYTHING if value == "end_user" else NOTHING)  # requesters are contacts
    if name == "locale_id":
        return _positive(condition, _requester_locale_q(value))
    if name == "whatsapp_window":
        return _positive(condition, window_open_q(now) if value == "open" else ~window_open_q(now))
    if name == "customer_waiting":
        return _positive(condition, customer_waiting_q() if value == "true" else ~customer_waiting_q())
    if name == "hours_since_created":
        return _since_q("created_at", op, value, now)
    if name == "hours_since_updated":
        return _since_q("updated_at", op, value, now)
    if name == "hours_since_last_customer_message":
        return _since_q("last_customer_message_at", op, value, now)
    if name == "hours_until_window_closes":
        return _until_window_q(op, value, now)
    if name in ("hours_since_open", "hours_since_pending", "hours_since_hold"):
        status = name.removeprefix("hours_since_")
        return Q(status=status) & _since_q("status_changed_at", op, value, now)
    if name == "hours_since_solved":
        return Q(status=TicketStatus.SOLVED) & _since_q("solved_at", op, value, now)
    raise ValueError(f"condition {name!r} cannot be evaluated as a query (it is for triggers)")


def ticket_q(conditions: Conditions, now: datetime) -> Q:
    """All of `all` and, when `any` is not empty, at least one of `any`."""
    q = EVERYTHING
    for condition in conditions.all:
        q &= condition_q(condition, now)
    if conditions.any:
        any_q = NOTHING
        for condition in conditions.any:
            any_q |= condition_q(condition, now)
        q &= any_q
    return q
