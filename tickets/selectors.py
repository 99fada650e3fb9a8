"""Every read of the helpdesk core. Selectors own select_related/prefetch_related and ordering."""

from dataclasses import dataclass
from math import ceil

from django.contrib.auth import get_user_model
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext, gettext_lazy

from tickets import events, hooks, list_selectors, search
from tickets.custom_fields import custom_field_filter_q
from tickets.models import Attachment, AuthorRole, Comment, Contact, Event, Group, Ticket, TicketStatus, TicketTag
from tickets.permissions import is_agent, restrict_contacts, restrict_tickets

UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD)


@dataclass(frozen=True)
class TicketView:
    slug: str
    title: "str | Promise"  # translated when shown


TICKET_VIEWS = (
    TicketView("mine", gettext_lazy("Your unsolved tickets")),
    TicketView("unassigned", gettext_lazy("Unassigned tickets")),
    TicketView("open", gettext_lazy("All unsolved tickets")),
    TicketView("pending", gettext_lazy("Pending tickets")),
    TicketView("solved", gettext_lazy("Recently solved tickets")),
)
TICKET_VIEW_SLUGS = [v.slug for v in TICKET_VIEWS]

SORTS = {
    "updated": ("-updated_at", "-id"),
    "-updated": ("updated_at", "id"),
    "created": ("-created_at", "-id"),
    "-created": ("created_at", "id"),
    "priority": ("-priority_rank", "-updated_at", "-id"),
    "id": ("-id",),
    # Only with a search (`q`): best match first.
    "relevance": ("-search_rank", "-updated_at", "-id"),
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


def tickets_search(*, user, q: str, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets `user` may see that match the words `q`, best match first (`search_rank`, higher is better).
    `queryset` narrows the set further (the list's view and filters); visibility is applied either way."""
    base = restrict_tickets(Ticket.objects.all() if queryset is None else queryset, user)
    return search.search(base, q).order_by(*SORTS["relevance"])


def _view_base(view: str | None, user) -> QuerySet[Ticket]:
    """The tickets a view starts from. Every ticket assigned to an agent is visible to them (restrict_tickets), so
    "mine" needs no visibility filter, and PostgreSQL answers it from the (assignee, status) index alone."""
    if view == "mine" and is_agent(user):
        return Ticket.objects.all()
    return tickets_visible(user=user)


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
    row_state: bool = False,
    custom_fields: dict[int, str] | None = None,
) -> QuerySet[Ticket]:
    """`row_state`: each row also says its last message and markers (list_selectors.with_row_state), in the same
    query."""
    qs = _view_base(view, user)
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
    if custom_fields:
        qs = qs.filter(custom_field_filter_q(custom_fields))
    if q and q.strip():
        qs = tickets_search(user=user, q=q, queryset=qs)
    elif sort == "relevance":
        sort = "updated"
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
    if row_state:
        qs = list_selectors.with_row_state(qs, user=user)
    return (
        qs.select_related("requester", "assignee", "group", *hooks.ticket_related())
        .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.order_by("name")))
        .order_by(*SORTS.get(sort, SORTS["updated"]))
    )


# Counts stop here: "1,000+" costs the same at a million tickets as at 1,001. Below the cap every count is exact;
# past it lists keep paging with "next" (see CappedPaginator). docs/BENCHMARKS.md (agent pages at scale) has the why.
COUNT_CAP = 1_000


class CappedCount(int):
    """An int that renders as "1,000+" once it reached the cap (templates show it as it is; JSON as the number)."""

    capped: bool

    def __new__(cls, value: int, cap: int | None = None):
        cap = COUNT_CAP if cap is None else cap
        count = super().__new__(cls, min(value, cap))
        count.capped = value > cap
        return count

    def __str__(self) -> str:
        return f"{int(self):,}+" if self.capped else str(int(self))


def capped_count(queryset: QuerySet, cap: int | None = None) -> CappedCount:
    """COUNT(*) over at most cap + 1 rows: one query whose cost does not grow with the table."""
    cap = COUNT_CAP if cap is None else cap
    return CappedCount(queryset.order_by().values("pk")[: cap + 1].count(), cap)


class _CappedPage(Page):
    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


class CappedPaginator(Paginator):
    """Django's paginator with a capped count (the same two queries: the count and the page's rows).

    Below the cap it is Django's own. Past it, any page can be asked for: each page reads one row more than it shows
    to know whether a next page exists, so `has_next()` and the page range keep working without counting the rest.
    """

    _more_after = 0

    @cached_property
    def count(self) -> CappedCount:
        return capped_count(self.object_list)

    @property
    def num_pages(self) -> int:
        pages = max(1, ceil(int(self.count) / self.per_page))
        return max(pages, self._more_after) if self.count.capped else pages

    def validate_number(self, number) -> int:
        if not self.count.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(gettext("That page number is not an integer")) from exc
        if number < 1:
            raise EmptyPage(gettext("That page number is less than 1"))
        return number

    def get_page(self, number) -> Page:
        try:
            return super().get_page(number)
        except EmptyPage:  # past the last row: the last page within the cap, as Django's own falls back to its last
            return self.page(max(1, ceil(int(self.count) / self.per_page)))

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not self.count.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage(gettext("That page contains no results"))
        if len(rows) > self.per_page:
            self._more_after = number + 1
        return _CappedPage(rows[: self.per_page], number, self)


def ticket_view_counts(*, user) -> dict[str, int]:
    """Every view's count (capped at COUNT_CAP) in one query: one scalar subquery per view, each stopping after
    COUNT_CAP + 1 rows, where an aggregate over the visible tickets would scan all of them."""
    selects, params = [], []
    for index, slug in enumerate(TICKET_VIEW_SLUGS):
        rows = _view_base(slug, user).order_by().filter(_view_q(slug, user)).values("pk")[: COUNT_CAP + 1]
        sql, view_params = rows.query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS v{index})")  # noqa: S608 - SQL and params from the ORM
        params.extend(view_params)
    with connections[Ticket.objects.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {slug: CappedCount(value) for slug, value in zip(TICKET_VIEW_SLUGS, row, strict=True)}


def ticket_get(*, user, ticket_id: int) -> Ticket | None:
    return (
        tickets_visible(user=user)
        .select_related("requester", "assignee", "group", "follow_up_of", *hooks.ticket_related())
        .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.order_by("name")))
        .filter(pk=ticket_id)
        .first()
    )


def ticket_comments(*, ticket: Ticket, public_only: bool = False, viewer=None) -> QuerySet[Comment]:
    """With a `viewer`, each comment carries `in_reply_to_visible`: whether the viewer may see the ticket of the
    message it quotes (the `can_view_ticket` rules, as a subquery), so a page shows a quote's text only then, and
    `rule_title`: the title of the trigger or automation that sent it as an automatic reply (else None)."""
    qs = (
        Comment.objects.filter(ticket=ticket)
        .select_related("author_user", "author_contact", "in_reply_to")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    if viewer is not None:
        visible = Value(False)
        if is_agent(viewer):
            quoted_ticket = restrict_tickets(Ticket.objects.filter(pk=OuterRef("in_reply_to__ticket_id")), viewer)
            visible = Case(
                When(Q(in_reply_to__ticket_id=ticket.pk) | Exists(quoted_ticket), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        sent_by_rule = (
            Event.objects.filter(ticket_id=ticket.pk, type=events.NOTIFICATION_SENT)
            .annotate(sent_comment_id=KeyTextTransform("comment_id", "data"))
            .filter(sent_comment_id=Cast(OuterRef("pk"), CharField()))
            .order_by("id")
            .annotate(rule_title=KeyTextTransform("title", "data"))
            .values("rule_title")[:1]
        )
        rule_title = Case(
            When(author_role=AuthorRole.SYSTEM, public=True, then=Subquery(sent_by_rule)), output_field=CharField()
        )
        qs = qs.annotate(in_reply_to_visible=visible, rule_title=rule_title)
    return qs.filter(public=True) if public_only else qs


def ticket_events(*, ticket: Ticket, kind: str | None = None) -> QuerySet[Event]:
    qs = Event.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "id")
    if kind == "delivery":
        qs = qs.filter(type__in=events.DELIVERY_TYPES)
    return qs


def contacts_visible(*, user) -> QuerySet[Contact]:
    """The contacts this user may read and edit: the only way any page, API call or form reaches a contact."""
    return restrict_contacts(Contact.objects.all(), user)


def contact_list(*, user, q: str | None = None) -> QuerySet[Contact]:
    qs = contacts_visible(user=user).order_by("name", "id")
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

    return Notification.objects.filter(user=user, dismissed_at__isnull=True, resolved_at__isnull=True).order_by(
        "-created_at", "-id"
    )[:limit]


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


def contact_get(*, user, contact_id: int) -> Contact | None:
    """One contact for the contact page, with who recorded their WhatsApp opt-in; None when not visible."""
    return contacts_visible(user=user).select_related("whatsapp_opt_in_by").filter(pk=contact_id).first()


def open_whatsapp_ticket_elsewhere(*, user, contact: Contact) -> bool:
    """Whether the customer has an unsolved WhatsApp ticket this user cannot see (outreach must not fork it)."""
    from tickets.models import Via

    unsolved = Ticket.objects.filter(requester=contact, via=Via.WHATSAPP, status__in=UNSOLVED)
    return unsolved.exclude(pk__in=tickets_visible(user=user).values("pk")).exists()


def with_collaborators(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets with their CCs and followers prefetched (two queries per page, whatever its size)."""
    return queryset.prefetch_related(
        Prefetch("email_ccs", queryset=Contact.objects.only("id")),
        Prefetch("followers", queryset=get_user_model().objects.only("id")),
    )
