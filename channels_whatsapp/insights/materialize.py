"""The facts behind the message metrics, built from the tickets' comments.

Counting, per customer message, the first reply after it (and per ticket the first agent reply) takes a look at each
ticket's conversation: too slow to do per request over 100,000 tickets (seconds; docs/BENCHMARKS.md). So a
ticket's facts are written once to `InsightsMessage`, `InsightsTicket` and `InsightsOutbound`, and rebuilt whenever a
comment is added to it or an event is written on it (a delivery outcome, a new group or assignee). `refresh()` runs
every minute (the django-q2 schedule "insights-refresh") and after the demo seeders; the page says how old its
figures are.

`ticket_facts` and `outbound_facts` are the definitions (docs/insights.md), pure and tested on their own; the rest
moves rows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import groupby

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from channels_whatsapp.models import InsightsMessage, InsightsOutbound, InsightsRefresh, InsightsTicket
from tickets.models import AuthorRole, Comment, DeliveryStatus, Event, Ticket, Via

BATCH = 500
# A refresh looks again at the rows since the refresh before the last; the first build has none before it, so the
# next refresh looks again at this many of its newest comments and events (a few thousand tickets), not all.
FIRST_PASS_RECHECK = 10_000
FIELDS = (
    "id",
    "ticket_id",
    "author_role",
    "public",
    "via",
    "delivery_status",
    "created_at",
    "channel_sent_at",
    "delivery_error_code",
    "delivery_error_title",
    "template",
)


@dataclass(frozen=True)
class Message:
    """What the facts need of one comment."""

    id: int
    ticket_id: int
    author_role: str
    public: bool
    via: str
    delivery_status: str | None
    created_at: dt.datetime
    channel_sent_at: dt.datetime | None
    delivery_error_code: str = ""
    delivery_error_title: str = ""
    template: dict | None = None

    @property
    def from_customer(self) -> bool:
        return self.author_role == AuthorRole.END_USER

    @property
    def is_reply(self) -> bool:
        """Sent to the customer by an agent, a trigger or an automation, and not failed."""
        return (
            self.public
            and self.author_role in (AuthorRole.AGENT, AuthorRole.SYSTEM)
            and self.delivery_status != DeliveryStatus.FAILED
        )

    @property
    def is_agent_reply(self) -> bool:
        return self.is_reply and self.author_role == AuthorRole.AGENT

    @property
    def sent(self) -> dt.datetime:
        return self.channel_sent_at or self.created_at


def _first_at_or_after(moment: dt.datetime, times: list[dt.datetime]) -> dt.datetime | None:
    return min((t for t in times if t >= moment), default=None)


@dataclass(frozen=True)
class Routing:
    """Where the ticket is routed now, copied onto its facts."""

    group_id: int | None = None
    assignee_id: int | None = None
    account_id: int | None = None


NOT_ROUTED = Routing()


def outbound_facts(messages: Iterable[Message], routing: Routing = NOT_ROUTED) -> list[InsightsOutbound]:
    """Each message handed to a channel (it has a delivery status), with its outcome now."""
    where = asdict(routing)
    return [
        InsightsOutbound(
            comment_id=m.id,
            ticket_id=m.ticket_id,
            created_at=m.created_at,
            status=m.delivery_status,
            error_code=m.delivery_error_code or "",
            error_title=(m.delivery_error_title or "")[:255],
            template_name=str((m.template or {}).get("name") or "")[:512],
            template_language=str((m.template or {}).get("language") or "")[:16],
            **where,
        )
        for m in messages
        if m.delivery_status
    ]


def ticket_facts(
    messages: Iterable[Message], routing: Routing = NOT_ROUTED
) -> tuple[list[InsightsMessage], InsightsTicket | None]:
    """The facts of one ticket's comments: each customer message with the first reply added at or after it reached
    us; the ticket's first customer message (by send time) and the first agent reply at or after it reached us."""
    messages = list(messages)
    where = asdict(routing)
    replies = [m.created_at for m in messages if m.is_reply]
    agent_replies = [m.created_at for m in messages if m.is_agent_reply]
    customer = [m for m in messages if m.from_customer]
    facts = [
        InsightsMessage(
            comment_id=m.id,
            ticket_id=m.ticket_id,
            whatsapp=m.via == Via.WHATSAPP,
            sent_at=m.sent,
            arrived_at=m.created_at,
            answered_at=_first_at_or_after(m.created_at, replies),
            **where,
        )
        for m in customer
    ]
    if not customer:
        return facts, None
    first = min(customer, key=lambda m: (m.sent, m.id))
    ticket = InsightsTicket(
        ticket_id=first.ticket_id,
        first_sent_at=first.sent,
        first_reply_at=_first_at_or_after(first.created_at, agent_replies),
        **where,
    )
    return facts, ticket


@transaction.atomic
def rebuild(ticket_ids: list[int]) -> None:
    """Replace the facts of these tickets with facts built from their comments as they are now."""
    InsightsMessage.objects.filter(ticket_id__in=ticket_ids).delete()
    InsightsTicket.objects.filter(ticket_id__in=ticket_ids).delete()
    InsightsOutbound.objects.filter(ticket_id__in=ticket_ids).delete()
    rows = (
        Comment.objects.filter(ticket_id__in=ticket_ids).order_by("ticket_id", "created_at", "id").values_list(*FIELDS)
    )
    routings = {
        ticket_id: Routing(group_id, assignee_id, account_id)
        for ticket_id, group_id, assignee_id, account_id in Ticket.objects.filter(id__in=ticket_ids).values_list(
            "id", "group_id", "assignee_id", "whatsapp__account_id"
        )
    }
    message_facts, ticket_facts_, outbound = [], [], []
    for ticket_id, group in groupby(
        (Message(*row) for row in rows.iterator(chunk_size=2000)), key=lambda m: m.ticket_id
    ):
        messages = list(group)
        routing = routings.get(ticket_id, NOT_ROUTED)
        facts, ticket = ticket_facts(messages, routing)
        outbound.extend(outbound_facts(messages, routing))
        message_facts.extend(facts)
        if ticket is not None:
            ticket_facts_.append(ticket)
    InsightsMessage.objects.bulk_create(message_facts, batch_size=1000)
    InsightsTicket.objects.bulk_create(ticket_facts_, batch_size=1000)
    InsightsOutbound.objects.bulk_create(outbound, batch_size=1000)


def _changed_tickets(state: InsightsRefresh, after_ticket: int) -> list[int]:
    """Tickets with a comment or an event since the refresh before the last one (ids up to this pass's), above
    `after_ticket`, in id order."""
    comments = Comment.objects.filter(id__gt=state.previous_comment_id, id__lte=state.pass_comment_id)
    events = Event.objects.filter(id__gt=state.previous_event_id, id__lte=state.pass_event_id)
    changed = set(comments.filter(ticket_id__gt=after_ticket).values_list("ticket_id", flat=True).distinct())
    changed |= set(events.filter(ticket_id__gt=after_ticket).values_list("ticket_id", flat=True).distinct())
    return sorted(changed)


def refresh(*, budget_seconds: float = 40.0) -> bool:
    """Bring the facts up to date with every comment and event committed when this pass began. A pass that needs
    longer than `budget_seconds` (the first one, over a large desk) stops after a batch and the next call goes on from
    the ticket it reached. Returns whether the pass is complete. One refresh at a time: the state row stays locked."""
    started = time.monotonic()
    with transaction.atomic():
        state, _created = InsightsRefresh.objects.select_for_update().get_or_create(pk=1)
        if state.pass_comment_id == 0:
            state.pass_comment_id = Comment.objects.aggregate(m=Max("id"))["m"] or 0
            state.pass_event_id = Event.objects.aggregate(m=Max("id"))["m"] or 0
            state.pass_ticket_id = 0
        changed = _changed_tickets(state, state.pass_ticket_id)
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            rebuild(batch)
            state.pass_ticket_id = batch[-1]
            if time.monotonic() - started > budget_seconds and start + BATCH < len(changed):
                state.save()
                return False
        if state.refreshed_at is None:  # after the first build, look again only at its newest rows
            state.previous_comment_id = max(0, state.pass_comment_id - FIRST_PASS_RECHECK)
            state.previous_event_id = max(0, state.pass_event_id - FIRST_PASS_RECHECK)
        else:
            state.previous_comment_id, state.previous_event_id = state.last_comment_id, state.last_event_id
        state.last_comment_id, state.last_event_id = state.pass_comment_id, state.pass_event_id
        state.pass_comment_id = state.pass_event_id = state.pass_ticket_id = 0
        state.refreshed_at = timezone.now()
        state.save()
    return True


def refreshed_at() -> dt.datetime | None:
    return InsightsRefresh.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def refresh_all() -> None:
    """Rebuild every ticket's facts from scratch (after a bulk import, or rows changed behind the services' back):
    forget how far the facts were built, then refresh until the pass is complete."""
    with transaction.atomic():
        InsightsRefresh.objects.update_or_create(
            pk=1,
            defaults=dict.fromkeys(
                (
                    "last_comment_id",
                    "last_event_id",
                    "previous_comment_id",
                    "previous_event_id",
                    "pass_comment_id",
                    "pass_event_id",
                    "pass_ticket_id",
                ),
                0,
            )
            | {"refreshed_at": None},
        )
    while not refresh():
        pass
