"""Reads of the live ticket list: what each row says about its conversation, and which list groups an agent joins.

Everything a row shows is computed in the list's own query (scalar subqueries per row, each an index walk on
`comment_ticket_created` or the read mark's unique key), so a page of 25 or 100 rows costs the same one query.
"""

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, Substr

from tickets import realtime
from tickets.models import Attachment, AuthorRole, Comment, DeliveryStatus, Group, Ticket, TicketRead, TicketStatus
from tickets.permissions import is_admin, is_agent

PREVIEW_CHARS = 200  # the row shows one line; the rest never leaves the database
WAITING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD)


def _newest(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    return comments.order_by("-created_at", "-id")


def _conversation(ticket_ref) -> QuerySet[Comment]:
    """What the customer and the agents said to each other: public comments by people. Internal notes never
    preview, and automatic messages (a trigger's "we got your message") would hide the customer's words."""
    return Comment.objects.filter(
        ticket_id=ticket_ref, public=True, author_role__in=[AuthorRole.AGENT, AuthorRole.END_USER]
    )


def with_row_state(queryset: QuerySet[Ticket], *, user) -> QuerySet[Ticket]:
    """Annotate each ticket with its last message (`last_body`, `last_role`, `last_author_id`, `last_author_name`,
    `last_message_type`, `last_attachment_name`) and the row's markers: `customer_waiting` (the customer spoke
    last: no agent has answered in public since), `delivery_failed` (the latest outbound message failed) and `unread`
    (a customer message newer than `user`'s read mark)."""
    last = _newest(_conversation(OuterRef("pk")))
    last_id_inner = _newest(_conversation(OuterRef(OuterRef("pk")))).values("id")[:1]
    author_name = Coalesce(NullIf(F("author_user__first_name"), Value("")), F("author_user__username"))
    last_outbound = _newest(Comment.objects.filter(ticket_id=OuterRef("pk"), delivery_status__isnull=False))
    last_customer = _newest(Comment.objects.filter(ticket_id=OuterRef("pk"), author_role=AuthorRole.END_USER))
    read_mark = TicketRead.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk).values("last_read_comment_id")
    return (
        queryset.annotate(
            last_body=Subquery(last.annotate(start=Substr("body", 1, PREVIEW_CHARS)).values("start")[:1]),
            last_role=Subquery(last.values("author_role")[:1]),
            last_author_id=Subquery(last.values("author_user_id")[:1]),
            last_author_name=Subquery(last.annotate(name=author_name).values("name")[:1], output_field=CharField()),
            last_message_type=Subquery(last.values("message_type")[:1]),
            last_attachment_name=Subquery(
                Attachment.objects.filter(comment_id=Subquery(last_id_inner)).order_by("id").values("filename")[:1]
            ),
        )
        .alias(  # not selected: each is read once, inside the marker it decides
            last_outbound_status=Subquery(last_outbound.values("delivery_status")[:1]),
            last_customer_comment_id=Subquery(last_customer.values("id")[:1], output_field=IntegerField()),
            read_up_to=Coalesce(Subquery(read_mark[:1], output_field=IntegerField()), Value(0)),
        )
        .annotate(
            customer_waiting=Case(
                When(
                    Q(last_role=AuthorRole.END_USER)
                    & Q(status__in=WAITING_STATUSES)
                    & Q(last_customer_message_at__isnull=False),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            delivery_failed=Case(
                When(last_outbound_status=DeliveryStatus.FAILED, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            unread=Case(
                When(last_customer_comment_id__gt=F("read_up_to"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )


def list_groups(*, user) -> list[str]:
    """The list groups (tickets.realtime) a list page of `user` joins: those of the tickets they may see now."""
    if not is_agent(user):
        return []
    admin = is_admin(user)
    group_ids = [] if admin else list(Group.objects.filter(members=user).values_list("id", flat=True))
    return realtime.list_groups_for(admin=admin, user_id=user.pk, group_ids=group_ids)
