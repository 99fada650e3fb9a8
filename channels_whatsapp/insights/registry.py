"""Every metric by its URL name, with what the page needs to draw it. Charts are described, not drawn, here:
`chart` names the kind (bar, stacked_bar, line, heatmap, hbar, stacked_hbar or table) and which columns it plots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from channels_whatsapp.insights import backlog, delivery, replies, volume, window
from channels_whatsapp.insights.result import MetricResult
from channels_whatsapp.insights.scope import Scope


@dataclass(frozen=True)
class Metric:
    slug: str
    section: str
    title: Promise
    description: Promise
    chart: dict
    compute: Callable[[Scope], MetricResult]
    # False for what is counted right now (the backlog, windows closing), whatever the period.
    period_bound: bool = True


SECTIONS = {
    "window": _("The 24-hour window"),
    "volume": _("Inbound"),
    "replies": _("First reply time"),
    "delivery": _("Delivery"),
    "templates": _("Templates and consent"),
    "backlog": _("Backlog"),
}

METRICS = {
    metric.slug: metric
    for metric in (
        Metric(
            "window_compliance",
            "window",
            _("Window compliance"),
            _("Customer messages by whether a reply reached them within 24 hours of their send time."),
            {"kind": "stacked_bar", "x": "day", "series": ["in_window", "late", "unanswered", "waiting"]},
            window.window_compliance,
        ),
        Metric(
            "window_missed",
            "window",
            _("Replies that missed the window"),
            _("Free-form replies not delivered because the 24-hour window had closed, by ticket."),
            {"kind": "table"},
            window.window_missed,
        ),
        Metric(
            "window_closing",
            "window",
            _("Window closing without a reply"),
            _("Tickets whose customer is waiting for a reply and whose window closes within 4 hours, right now."),
            {"kind": "table"},
            window.window_closing,
            period_bound=False,
        ),
        Metric(
            "inbound",
            "volume",
            _("Customer messages and new tickets per day"),
            _("Customer messages by the day they were sent, and tickets by the day they were created."),
            {"kind": "bar", "x": "day", "series": ["messages", "new_tickets"]},
            volume.inbound,
        ),
        Metric(
            "inbound_heatmap",
            "volume",
            _("Customer messages by weekday and hour"),
            _("When customers write, by their send time in your time zone."),
            {"kind": "heatmap", "x": "hour", "y": "weekday", "value": "messages"},
            volume.inbound_heatmap,
        ),
        Metric(
            "first_reply_time",
            "replies",
            _("First reply time per day"),
            _("From the customer's first message (its WhatsApp send time) to the first reply by an agent."),
            {"kind": "line", "x": "day", "series": ["median_seconds", "p90_seconds"]},
            replies.first_reply_time,
        ),
        Metric(
            "first_reply_time_by_group",
            "replies",
            _("First reply time per group"),
            _("The same measure, per group the ticket belongs to."),
            {"kind": "hbar", "x": "group", "series": ["median_seconds", "p90_seconds"]},
            replies.first_reply_time_by_group,
        ),
        Metric(
            "delivery_outcomes",
            "delivery",
            _("Delivery outcomes per day"),
            _("Messages sent to customers by how far they got: sent, delivered, read, or failed."),
            {"kind": "stacked_bar", "x": "day", "series": ["queued", "sent", "delivered", "read", "failed"]},
            delivery.delivery_outcomes,
        ),
        Metric(
            "delivery_failures",
            "delivery",
            _("Failures by reason"),
            _("Messages that could not be delivered, by error code, in plain words."),
            {"kind": "hbar", "x": "code", "series": ["messages"]},
            delivery.delivery_failures,
        ),
        Metric(
            "template_sends",
            "templates",
            _("Template sends"),
            _("Template messages by template and language, and how far they got."),
            {"kind": "stacked_hbar", "x": "template", "series": ["queued", "sent", "delivered", "read", "failed"]},
            delivery.template_sends,
        ),
        Metric(
            "opt_ins",
            "templates",
            _("Opt-ins and opt-outs"),
            _("Customers who agreed to or stopped WhatsApp messages from the business, per day."),
            {"kind": "bar", "x": "day", "series": ["opt_ins", "opt_outs"]},
            delivery.opt_ins,
        ),
        Metric(
            "backlog",
            "backlog",
            _("Open tickets by age and status"),
            _("Tickets not yet solved, right now, by how long ago they were created."),
            {"kind": "stacked_bar", "x": "age", "series": ["new", "open", "pending", "hold"]},
            backlog.backlog,
            period_bound=False,
        ),
        Metric(
            "solved_per_agent",
            "backlog",
            _("Solved per agent"),
            _("Tickets solved within the period, by the agent they were assigned to."),
            {"kind": "hbar", "x": "agent", "series": ["solved"]},
            backlog.solved_per_agent,
        ),
    )
}
