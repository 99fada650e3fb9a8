"""Every read of the helpdesk core. Selectors own select_related/prefetch_related and ordering."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from tickets import events, hooks
from tickets.models import Attachment, Comment, Contact, Event, Group, Ticket, TicketStatus, TicketTag
from tickets.permissions import restrict_tickets

UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD)


@dataclass(frozen=True)
class TicketView:
    slug: str
    title: str


TICKET_VIEWS = (
    TicketView("mine", "Your unsolved tickets"),
    TicketView("unassigned", "Unassigned tickets"),
    TicketView("open", "All unsolved tickets"),
    TicketView("pending", "Pending tickets"),
    TicketView("solved", "Recently solved tickets"),
)
TICKET_VIEW_SLUGS = [v.slug for v in TICKET_VIEWS]

SORTS = {
    "updated": ("-updated_at", "-id"),
    "-updated": ("updated_at", "id"),
    "created": ("-created_at", "-id"),
    "-created": ("created_at", "id"),
    "priority": ("-priority_rank", "-updated_at", "-id"),
    "id": ("-id",),
}


def _view_q(slug: str, user) -> Q:
    return {
        "mine": Q(assignee=user, status__in=UNSOLVED),
        "unassigned": Q(assignee__isnull=True, status__in=UNSOLVED),
        "open": Q(status__in=UNSOLVED),
        "pending": Q(status=TicketStatus.PENDING),
        "solved": Q(status=TicketStatus.SOLVED),
    }[slug]


def tickets_visible(*, user) -> QuerySet[Ticket]:
    return restrict_tickets(Ticket.objects.all(), user)


def ticket_list(
    *,
    user,
    view: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    via: str | None = None,
    group_id: int | None = None,
    assignee_id: int | None = None,
    requester_id: int | None = None,
    tag: str | None = None,
    q: str | None = None,
    sort: str = "updated",
) -> QuerySet[Ticket]:
    qs = tickets_visible(user=user)
    if view:
        qs = qs.filter(_view_q(view, user))
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if via:
        qs = qs.filter(via=via)
    if group_id:
        qs = qs.filter(group_id=group_id)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if requester_id:
        qs = qs.filter(requester_id=requester_id)
    if tag:
        qs = qs.filter(tag_rows__name=tag.lower())
    if q:
        query = Q(subject__icontains=q) | Q(requester__name__icontains=q)
        if q.lstrip("#").isdigit():
            query |= Q(pk=int(q.lstrip("#")))
        qs = qs.filter(query)
    if sort == "priority" or sort == "-priority":
        from django.db.models import Case, IntegerField, Value, When

        qs = qs.annotate(
            priority_rank=Case(
                When(priority="urgent", then=Value(4)),
                When(priority="high", then=Value(3)),
                When(priority="normal", then=Value(2)),
                When(priority="low", then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        sort = "priority"
    return (
        qs.select_related("requester", "assignee", "group", *hooks.ticket_related())
        .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.order_by("name")))
        .order_by(*SORTS.get(sort, SORTS["updated"]))
    )


def ticket_view_counts(*, user) -> dict[str, int]:
    """Every view's count in one aggregate query."""
    qs = tickets_visible(user=user)
    return qs.aggregate(**{slug: Count("id", filter=_view_q(slug, user)) for slug in TICKET_VIEW_SLUGS})


def ticket_get(*, user, ticket_id: int) -> Ticket | None:
    return (
        tickets_visible(user=user)
        .select_related("requester", "assignee", "group", "follow_up_of", *hooks.ticket_related())
        .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.order_by("name")))
        .filter(pk=ticket_id)
        .first()
    )


def ticket_comments(*, ticket: Ticket, public_only: bool = False) -> QuerySet[Comment]:
    qs = (
        Comment.objects.filter(ticket=ticket)
        .select_related("author_user", "author_contact", "in_reply_to")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    return qs.filter(public=True) if public_only else qs


def ticket_events(*, ticket: Ticket, kind: str | None = None) -> QuerySet[Event]:
    qs = Event.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "id")
    if kind == "delivery":
        qs = qs.filter(type__in=events.DELIVERY_TYPES)
    return qs


def contact_list(*, q: str | None = None) -> QuerySet[Contact]:
    qs = Contact.objects.all().order_by("name", "id")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(wa_id__icontains=q))
    return qs


def attachment_for_download(*, user, attachment_id: int) -> Attachment | None:
    attachment = Attachment.objects.select_related("ticket").filter(pk=attachment_id).first()
    if attachment is None or not tickets_visible(user=user).filter(pk=attachment.ticket_id).exists():
        return None
    return attachment


def agents_for_assignment() -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


def groups_all() -> QuerySet[Group]:
    return Group.objects.all().order_by("name")


def open_notifications(*, user, limit: int = 20):
    from tickets.models import Notification

    return Notification.objects.filter(user=user, dismissed_at__isnull=True).order_by("-created_at", "-id")[:limit]


def open_notification_frames(*, user, limit: int = 20) -> list[dict]:
    """Undismissed notifications as the same frames the WebSocket sends, oldest first."""
    from tickets import realtime

    frames = [
        realtime.delivery_failed_frame(
            ticket_id=n.ticket_id,
            comment_id=n.comment_id,
            code=n.error_code,
            title=n.error_title,
            detail=n.error_detail,
            occurred_at=n.created_at,
        )
        for n in open_notifications(user=user, limit=limit)
    ]
    return frames[::-1]
