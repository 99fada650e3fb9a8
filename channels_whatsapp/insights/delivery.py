"""What reached the customer: outbound messages by outcome, failures by reason, template sends, and consent."""

from __future__ import annotations

from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from channels_whatsapp import failure_reasons
from channels_whatsapp.insights import facts
from channels_whatsapp.insights.result import Column, MetricResult
from channels_whatsapp.insights.scope import Scope
from tickets.models import ContactOptInChange, DeliveryStatus, Ticket

STATUSES = list(DeliveryStatus)


def _by_status() -> dict:
    return {status.value: Count("pk", filter=Q(status=status.value)) for status in STATUSES}


def _status_columns() -> list[Column]:
    return [Column(status.value, status.label) for status in STATUSES]


def delivery_outcomes(scope: Scope) -> MetricResult:
    found = {
        row.pop("day"): row
        for row in facts.outbound_messages(scope)
        .annotate(day=TruncDate("created_at", tzinfo=scope.time_zone))
        .values("day")
        .annotate(**_by_status())
        .order_by()
    }
    empty = {status.value: 0 for status in STATUSES}
    rows = [{"day": day, **found.get(day, empty)} for day in scope.days()]
    totals = {status.value: sum(row[status.value] for row in rows) for status in STATUSES}
    total = sum(totals.values())
    summary = {**totals, "messages": total, "failed_share": totals["failed"] / total if total else None}
    return MetricResult(columns=[Column("day", _("Day"), "date"), *_status_columns()], rows=rows, summary=summary)


def delivery_failures(scope: Scope) -> MetricResult:
    failed = facts.outbound_messages(scope).filter(status=DeliveryStatus.FAILED)
    grouped = (
        failed.values("error_code")
        .annotate(messages=Count("pk"), tickets=Count("ticket_id", distinct=True), title=Max("error_title"))
        .order_by("-messages", "error_code")
    )
    rows = []
    for row in grouped:
        code = row["error_code"] or "unknown"
        reason = failure_reasons.REASONS.get(code) or row["title"] or _("Unknown error")
        rows.append({"code": code, "reason": str(reason), "messages": row["messages"], "tickets": row["tickets"]})
    columns = [
        Column("code", _("Error code"), "text"),
        Column("reason", _("What it means"), "text"),
        Column("messages", _("Messages")),
        Column("tickets", _("Tickets")),
    ]
    return MetricResult(columns=columns, rows=rows, summary={"messages": sum(row["messages"] for row in rows)})


def template_sends(scope: Scope) -> MetricResult:
    grouped = (
        facts.outbound_messages(scope)
        .exclude(template_name="")
        .values("template_name", language=F("template_language"))
        .annotate(**_by_status(), total=Count("pk"))
        .order_by("-total", "template_name", "language")
    )
    rows = [{"template": row.pop("template_name") or _("Unknown template"), **row} for row in grouped]
    columns = [
        Column("template", _("Template"), "text"),
        Column("language", _("Language"), "text"),
        *_status_columns(),
        Column("total", _("Total")),
    ]
    summary = {status.value: sum(row[status.value] for row in rows) for status in STATUSES}
    summary["total"] = sum(row["total"] for row in rows)
    return MetricResult(columns=columns, rows=rows, summary=summary)


def opt_ins(scope: Scope) -> MetricResult:
    """Consent changes per day. With filters, or for an agent, a contact counts when one of its tickets does."""
    changes = ContactOptInChange.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.narrowed:
        changes = changes.filter(Exists(scope.restrict(Ticket.objects.filter(requester_id=OuterRef("contact_id")))))
    found = {
        row.pop("day"): row
        for row in changes.annotate(day=TruncDate("created_at", tzinfo=scope.time_zone))
        .values("day")
        .annotate(opt_ins=Count("id", filter=Q(opted_in=True)), opt_outs=Count("id", filter=Q(opted_in=False)))
        .order_by()
    }
    rows = [{"day": day, **found.get(day, {"opt_ins": 0, "opt_outs": 0})} for day in scope.days()]
    columns = [Column("day", _("Day"), "date"), Column("opt_ins", _("Opt-ins")), Column("opt_outs", _("Opt-outs"))]
    summary = {key: sum(row[key] for row in rows) for key in ("opt_ins", "opt_outs")}
    return MetricResult(columns=columns, rows=rows, summary=summary)
