"""The 24-hour window (WhatsApp messages only): were customers answered while a free-form reply could still reach
them, which replies came too late, and whose window is about to close unanswered.

A customer message is *answered in the window* when a reply (materialize.Message.is_reply) was added to its ticket
after the message reached us and at most 24 hours after its WhatsApp send time; *answered late* when the first such reply came after
that (a template, or another channel); *unanswered* when no reply came and the window has closed; *waiting* while no
reply came and the window is still open. A message that reached us after its window had closed can only be late or
unanswered."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from channels_whatsapp.insights import facts
from channels_whatsapp.insights.result import Column, MetricResult
from channels_whatsapp.insights.scope import Scope
from channels_whatsapp.models import InsightsOutbound
from tickets.models import Comment, DeliveryStatus, Ticket, Via
from tickets.selectors import UNSOLVED

CLOSING_SOON = dt.timedelta(hours=4)
LIST_LIMIT = 100


def window_compliance(scope: Scope) -> MetricResult:
    window = dt.timedelta(seconds=facts.WINDOW_SECONDS)
    closed_before = scope.now - window
    answered, unanswered = Q(answered_at__isnull=False), Q(answered_at__isnull=True)
    found = {
        row.pop("day"): row
        for row in facts.message_facts(scope, whatsapp_only=True)
        .annotate(day=TruncDate("sent_at", tzinfo=scope.time_zone))
        .values("day")
        .annotate(
            messages=Count("pk"),
            in_window=Count("pk", filter=answered & Q(answered_at__lte=F("sent_at") + window)),
            late=Count("pk", filter=answered & Q(answered_at__gt=F("sent_at") + window)),
            unanswered=Count("pk", filter=unanswered & Q(sent_at__lte=closed_before)),
            waiting=Count("pk", filter=unanswered & Q(sent_at__gt=closed_before)),
        )
        .order_by()
    }
    keys = ("messages", "in_window", "late", "unanswered", "waiting")
    rows = []
    for day in scope.days():
        row = {"day": day, **found.get(day, dict.fromkeys(keys, 0))}
        row["share"] = _share(row)
        rows.append(row)
    totals = {key: sum(row[key] for row in rows) for key in keys}
    totals["share"] = _share(totals)
    columns = [
        Column("day", _("Day"), "date"),
        Column("messages", _("Customer messages")),
        Column("in_window", _("Answered in the window")),
        Column("late", _("Answered after the window")),
        Column("unanswered", _("Window closed without a reply")),
        Column("waiting", _("Window still open")),
        Column("share", _("Share answered in the window"), "share"),
    ]
    return MetricResult(columns=columns, rows=rows, summary=totals)


def _share(counts: dict) -> float | None:
    decided = counts["messages"] - counts["waiting"]
    return counts["in_window"] / decided if decided else None


def window_missed(scope: Scope) -> MetricResult:
    """Replies refused or failed because the window had closed, per ticket, and whether a template reached the
    customer afterwards."""
    missed = facts.outbound_messages(scope).filter(status=DeliveryStatus.FAILED, error_code__in=facts.WINDOW_CODES)
    per_ticket = (
        missed.values("ticket_id")
        .annotate(replies=Count("pk"), last_missed=Max("created_at"))
        .order_by("-last_missed", "-ticket_id")
    )
    totals = missed.aggregate(replies=Count("pk"), tickets=Count("ticket_id", distinct=True))
    rows = list(per_ticket[:LIST_LIMIT])
    listed = [row["ticket_id"] for row in rows]
    subjects = dict(Ticket.objects.filter(pk__in=listed).values_list("pk", "subject"))
    # The newest template that reached each listed ticket's customer: reached later if it came after the last miss.
    reached = dict(
        InsightsOutbound.objects.filter(
            ticket_id__in=listed, status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.READ)
        )
        .exclude(template_name="")
        .values_list("ticket_id")
        .annotate(Max("created_at"))
        .order_by()
    )
    for row in rows:
        later = reached.get(row["ticket_id"])
        row["subject"] = subjects.get(row["ticket_id"], "")
        row["template_later"] = _("yes") if later and later > row["last_missed"] else _("no")
    columns = [
        Column("ticket_id", _("Ticket"), "id"),
        Column("subject", _("Subject"), "text"),
        Column("replies", _("Replies not delivered")),
        Column("last_missed", _("Last one"), "datetime"),
        Column("template_later", _("Reached by a template later"), "text"),
    ]
    return MetricResult(columns=columns, rows=rows, summary={**totals, "listed": len(rows)})


def window_closing(scope: Scope) -> MetricResult:
    """Right now: open WhatsApp tickets whose customer wrote last (no reply since) and whose window closes within
    CLOSING_SOON, soonest first. Not bound to the period."""
    opens_after = scope.now - dt.timedelta(seconds=facts.WINDOW_SECONDS)
    replied_since = Comment.objects.filter(
        facts.REPLY_Q, ticket_id=OuterRef("pk"), created_at__gte=OuterRef("last_customer_message_at")
    )
    tickets = (
        facts.tickets(scope)
        .filter(
            status__in=UNSOLVED,
            via=Via.WHATSAPP,
            last_customer_message_at__gt=opens_after,
            last_customer_message_at__lte=opens_after + CLOSING_SOON,
        )
        .filter(~Exists(replied_since))
        .order_by("last_customer_message_at", "id")
        .values("id", "subject", "last_customer_message_at", group_name=F("group__name"), agent=F("assignee__username"))
    )
    rows = []
    for ticket in tickets[:LIST_LIMIT]:
        closes_at = ticket["last_customer_message_at"] + dt.timedelta(seconds=facts.WINDOW_SECONDS)
        rows.append(
            {
                "ticket_id": ticket["id"],
                "subject": ticket["subject"],
                "group": ticket["group_name"] or "",
                "assignee": ticket["agent"] or "",
                "closes_at": closes_at,
                "minutes_left": max(0, int((closes_at - scope.now).total_seconds() // 60)),
            }
        )
    columns = [
        Column("ticket_id", _("Ticket"), "id"),
        Column("subject", _("Subject"), "text"),
        Column("group", _("Group"), "text"),
        Column("assignee", _("Assignee"), "text"),
        Column("closes_at", _("Window closes"), "datetime"),
        Column("minutes_left", _("Minutes left"), "int"),
    ]
    return MetricResult(columns=columns, rows=rows, summary={"tickets": len(rows)})
