"""First reply time: from the send time of a ticket's first customer message to the first reply by an agent
(a person: a trigger's auto-response is not counted here, though it does count for the window)."""

from __future__ import annotations

from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_whatsapp.insights import facts
from channels_whatsapp.insights.aggregates import Percentile, SecondsBetween
from channels_whatsapp.insights.result import Column, MetricResult
from channels_whatsapp.insights.scope import Scope


def _first_replies(scope: Scope):
    """Tickets whose first customer message was sent in the period (materialized: materialize.ticket_facts), with
    `reply_seconds` (null while no agent has replied)."""
    return facts.ticket_facts(scope).annotate(reply_seconds=SecondsBetween(F("first_reply_at"), F("first_sent_at")))


def _aggregates():
    return {
        "tickets": Count("pk"),
        "replied": Count("first_reply_at"),
        "median_seconds": Percentile("reply_seconds", 0.5),
        "p90_seconds": Percentile("reply_seconds", 0.9),
    }


# Lazy: built at import, translated where each metric turns them into columns (a plain gettext here kept English).
COLUMNS = [
    Column("tickets", gettext_lazy("Tickets"), "int"),
    Column("replied", gettext_lazy("Replied"), "int"),
    Column("median_seconds", gettext_lazy("Median"), "seconds"),
    Column("p90_seconds", gettext_lazy("90th percentile"), "seconds"),
]


def _summary(scope: Scope) -> dict:
    totals = _first_replies(scope).aggregate(**_aggregates())
    return {key: round(value) if isinstance(value, float) else value for key, value in totals.items()}


def first_reply_time(scope: Scope) -> MetricResult:
    by_day = {
        row.pop("day"): row
        for row in _first_replies(scope)
        .annotate(day=TruncDate("first_sent_at", tzinfo=scope.time_zone))
        .values("day")
        .annotate(**_aggregates())
        .order_by()
    }
    empty = {"tickets": 0, "replied": 0, "median_seconds": None, "p90_seconds": None}
    rows = [{"day": day, **by_day.get(day, empty)} for day in scope.days()]
    columns = [Column("day", _("Day"), "date"), *(Column(c.key, str(c.label), c.type) for c in COLUMNS)]
    return MetricResult(columns=columns, rows=rows, summary=_summary(scope))


def first_reply_time_by_group(scope: Scope) -> MetricResult:
    rows = [
        {"group": row.pop("group_name") or _("No group"), **row}
        for row in _first_replies(scope).values(group_name=F("group__name")).annotate(**_aggregates()).order_by()
    ]
    rows.sort(key=lambda row: (row["group"] == _("No group"), row["group"]))
    columns = [Column("group", _("Group"), "text"), *(Column(c.key, str(c.label), c.type) for c in COLUMNS)]
    return MetricResult(columns=columns, rows=rows, summary=_summary(scope))
