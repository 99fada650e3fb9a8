"""What is waiting right now (open tickets by age and status), and who solved what in the period."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, F, IntegerField, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from channels_whatsapp.insights import facts
from channels_whatsapp.insights.result import Column, MetricResult
from channels_whatsapp.insights.scope import Scope
from tickets.models import TicketStatus
from tickets.selectors import UNSOLVED

OPEN_STATUSES = UNSOLVED
# (upper bound of the age, label): a ticket is in the first bucket whose bound its age is under.
AGE_BUCKETS = (
    (dt.timedelta(days=1), lambda: _("Under 1 day")),
    (dt.timedelta(days=3), lambda: _("1 to 3 days")),
    (dt.timedelta(days=7), lambda: _("3 to 7 days")),
    (dt.timedelta(days=30), lambda: _("7 to 30 days")),
    (None, lambda: _("Over 30 days")),
)


def backlog(scope: Scope) -> MetricResult:
    bucket = Case(
        *(
            When(created_at__gt=scope.now - bound, then=Value(index))
            for index, (bound, _label) in enumerate(AGE_BUCKETS)
            if bound is not None
        ),
        default=Value(len(AGE_BUCKETS) - 1),
        output_field=IntegerField(),
    )
    counts = {
        (row["bucket"], row["status"]): row["n"]
        for row in facts.tickets(scope)
        .filter(status__in=OPEN_STATUSES)
        .values("status", bucket=bucket)
        .annotate(n=Count("id"))
        .order_by()
    }
    rows = []
    for index, (_bound, label) in enumerate(AGE_BUCKETS):
        row = {"age": label(), **{status.value: counts.get((index, status.value), 0) for status in OPEN_STATUSES}}
        row["total"] = sum(row[status.value] for status in OPEN_STATUSES)
        rows.append(row)
    columns = [
        Column("age", pgettext("ticket age", "Age"), "text"),
        *(Column(status.value, status.label, "int") for status in OPEN_STATUSES),
        Column("total", _("Total"), "int"),
    ]
    by_status = {status.value: sum(row[status.value] for row in rows) for status in OPEN_STATUSES}
    return MetricResult(columns=columns, rows=rows, summary={"tickets": sum(by_status.values()), **by_status})


def solved_per_agent(scope: Scope) -> MetricResult:
    solved = (
        facts.tickets(scope)
        .filter(solved_at__gte=scope.start, solved_at__lt=scope.end)
        .filter(status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED))
        .values(agent_id=F("assignee_id"), username=F("assignee__username"))
        .annotate(first=F("assignee__first_name"), last=F("assignee__last_name"), solved=Count("id"))
        .order_by("-solved", "username")
    )
    rows = []
    for row in solved:
        name = f"{row['first']} {row['last']}".strip() or row["username"] or _("Unassigned")
        rows.append({"agent": name, "agent_id": row["agent_id"], "solved": row["solved"]})
    columns = [
        Column("agent", _("Agent"), "text"),
        Column("agent_id", _("Agent id"), "id"),
        Column("solved", _("Solved")),
    ]
    return MetricResult(columns=columns, rows=rows, summary={"solved": sum(row["solved"] for row in rows)})
