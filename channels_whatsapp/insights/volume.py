"""What came in: customer messages and new tickets per day, and inbound volume by weekday and hour."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_whatsapp.insights import facts
from channels_whatsapp.insights.result import Column, MetricResult
from channels_whatsapp.insights.scope import Scope


def inbound(scope: Scope) -> MetricResult:
    tz = scope.time_zone
    messages = dict(
        facts.message_facts(scope)
        .annotate(day=TruncDate("sent_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    created = dict(
        facts.tickets(scope)
        .filter(created_at__gte=scope.start, created_at__lt=scope.end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [{"day": day, "messages": messages.get(day, 0), "new_tickets": created.get(day, 0)} for day in scope.days()]
    return MetricResult(
        columns=[
            Column("day", _("Day"), "date"),
            Column("messages", _("Customer messages")),
            Column("new_tickets", _("New tickets")),
        ],
        rows=rows,
        summary={"messages": sum(messages.values()), "new_tickets": sum(created.values())},
    )


def inbound_heatmap(scope: Scope) -> MetricResult:
    """Counted per local hour in SQL (one time-zone conversion a message), then folded into weekday x hour."""
    tz = scope.time_zone
    cells: dict[tuple[int, int], int] = {}
    for hour_start, n in (
        facts.message_facts(scope)
        .annotate(hour_start=TruncHour("sent_at", tzinfo=tz))
        .values_list("hour_start")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        local = timezone.localtime(hour_start, tz)
        key = (local.isoweekday(), local.hour)
        cells[key] = cells.get(key, 0) + n
    rows = [
        {"weekday": weekday, "hour": hour, "messages": cells.get((weekday, hour), 0)}
        for weekday in range(1, 8)
        for hour in range(24)
    ]
    busiest = max(rows, key=lambda row: row["messages"]) if cells else None
    return MetricResult(
        columns=[
            Column("weekday", _("Weekday"), "weekday"),
            Column("hour", _("Hour"), "hour"),
            Column("messages", _("Customer messages")),
        ],
        rows=rows,
        summary={
            "messages": sum(cells.values()),
            "busiest_weekday": busiest and busiest["weekday"],
            "busiest_hour": busiest and busiest["hour"],
        },
    )
