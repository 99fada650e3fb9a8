"""Services for the delivery state of outbound channel messages (queued -> sent -> delivered -> read, or failed).

Channels call these; they keep the audit trail and, for failures, the agent's notification in one place.
"""

from django.db import transaction
from django.utils import timezone

from tickets import events, realtime
from tickets.models import AuthorRole, Comment, DeliveryStatus, Notification

# Progress only moves forward; `failed` is terminal.
RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}


@transaction.atomic
def delivery_queue(*, comment: Comment) -> Comment:
    comment.delivery_status = DeliveryStatus.QUEUED
    comment.delivery_updated_at = timezone.now()
    comment.save(update_fields=["delivery_status", "delivery_updated_at"])
    return comment


@transaction.atomic
def delivery_advance(*, comment: Comment, status: str) -> bool:
    """Move a message forward (sent < delivered < read). Returns False when it would go backwards or is failed."""
    current = comment.delivery_status
    if status not in RANK:
        return False
    if current == DeliveryStatus.FAILED:
        return False
    if current is not None and RANK.get(current, -1) >= RANK[status]:
        return False
    comment.delivery_status = status
    comment.delivery_updated_at = timezone.now()
    comment.save(update_fields=["delivery_status", "delivery_updated_at"])
    events.delivery_status(comment=comment, status=status, previous=current)
    realtime.broadcast_on_commit(
        [realtime.ticket_group(comment.ticket_id)],
        realtime.delivery_status_frame(ticket_id=comment.ticket_id, comment_id=comment.pk, status=status),
    )
    realtime.ticket_changed_on_commit(comment.ticket)
    if status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        notifications_resolve(comment=comment)
    return True


@transaction.atomic
def notifications_resolve(*, comment: Comment) -> int:
    """`comment` reached the customer: the open failure notifications of earlier messages on its ticket are
    resolved (stored, and a frame to each agent concerned and to the ticket's open pages), and its own, when it had
    failed before (sent again by a retry, or a timeout that was accepted after all). Returns how many."""
    earlier = Notification.objects.filter(
        ticket_id=comment.ticket_id,
        type=events.DELIVERY_FAILED,
        resolved_at__isnull=True,
        comment__created_at__lte=comment.created_at,
    )
    rows = list(earlier.select_for_update().values_list("pk", "user_id", "comment_id"))
    if not rows:
        return 0
    Notification.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(resolved_at=timezone.now())
    frame = realtime.notifications_resolved_frame(
        ticket_id=comment.ticket_id,
        comment_ids=list({comment_id for _, _, comment_id in rows if comment_id is not None}),
        resolved_by=comment.pk,
    )
    groups = [realtime.agent_group(user_id) for user_id in dict.fromkeys(u for _, u, _ in rows)]
    realtime.broadcast_on_commit([*groups, realtime.ticket_group(comment.ticket_id)], frame)
    return len(rows)


@transaction.atomic
def delivery_requeue(*, comment: Comment, actor) -> bool:
    """A failed message is sent again (an agent's retry): `failed` -> `queued`, by a conditional UPDATE, so of two
    requests at once only one wins (False for the other, and for a message that is not failed). Its failure
    notification stays open until the message is delivered (`notifications_resolve`)."""
    previous_code = comment.delivery_error_code
    now = timezone.now()
    updated = Comment.objects.filter(pk=comment.pk, delivery_status=DeliveryStatus.FAILED).update(
        delivery_status=DeliveryStatus.QUEUED,
        delivery_error_code="",
        delivery_error_title="",
        delivery_error_detail="",
        delivery_updated_at=now,
    )
    if not updated:
        return False
    comment.delivery_status = DeliveryStatus.QUEUED
    comment.delivery_error_code = comment.delivery_error_title = comment.delivery_error_detail = ""
    comment.delivery_updated_at = now
    events.delivery_retried(comment=comment, actor=actor, code=previous_code)
    realtime.broadcast_on_commit(
        [realtime.ticket_group(comment.ticket_id)],
        realtime.delivery_status_frame(
            ticket_id=comment.ticket_id, comment_id=comment.pk, status=DeliveryStatus.QUEUED
        ),
    )
    return True


@transaction.atomic
def delivery_revive(*, comment: Comment, status: str) -> bool:
    """A message we gave up on as unconfirmed turned out to be accepted: clear the failure, then advance."""
    comment.delivery_status = DeliveryStatus.QUEUED
    comment.delivery_error_code = comment.delivery_error_title = comment.delivery_error_detail = ""
    comment.save(
        update_fields=["delivery_status", "delivery_error_code", "delivery_error_title", "delivery_error_detail"]
    )
    return delivery_advance(comment=comment, status=status)


@transaction.atomic
def delivery_fail(*, comment: Comment, code: str, title: str, detail: str = "") -> bool:
    """Mark a message failed, once. Writes `delivery.failed` and notifies the agent (stored and live)."""
    if comment.delivery_status == DeliveryStatus.FAILED:
        return False
    comment.delivery_status = DeliveryStatus.FAILED
    comment.delivery_error_code = str(code)[:40]
    comment.delivery_error_title = title[:255]
    comment.delivery_error_detail = detail
    comment.delivery_updated_at = timezone.now()
    comment.save(
        update_fields=[
            "delivery_status",
            "delivery_error_code",
            "delivery_error_title",
            "delivery_error_detail",
            "delivery_updated_at",
        ]
    )
    event = events.delivery_failed(comment=comment, code=comment.delivery_error_code, title=title, detail=detail)
    _notify_failure(comment=comment, occurred_at=event.created_at)
    realtime.ticket_changed_on_commit(comment.ticket)
    return True


def failure_recipient(comment: Comment):
    """The agent who wrote the message; for a trigger's or automation's message, the ticket's assignee."""
    author = comment.author_user if comment.author_role == AuthorRole.AGENT else None
    if author is not None and author.is_active:
        return author
    assignee = comment.ticket.assignee
    return assignee if assignee is not None and assignee.is_active else None


def _notify_failure(*, comment: Comment, occurred_at) -> None:
    """One stored notification for the recipient; one live frame to them and to everyone with the ticket open."""
    recipient = failure_recipient(comment)
    groups = [realtime.ticket_group(comment.ticket_id)]
    if recipient is not None:
        # A message can fail again after a revive (timeout, then accepted, then failed): the one notification per
        # message then carries the new failure and is shown again, even if the first one was dismissed.
        Notification.objects.update_or_create(
            user=recipient,
            comment=comment,
            type=events.DELIVERY_FAILED,
            defaults={
                "ticket_id": comment.ticket_id,
                "error_code": comment.delivery_error_code,
                "error_title": comment.delivery_error_title,
                "error_detail": comment.delivery_error_detail,
                "created_at": occurred_at,  # on an update; a new row takes auto_now_add's "now"
                "dismissed_at": None,
                "resolved_at": None,
            },
        )
        groups.insert(0, realtime.agent_group(recipient.pk))
    frame = realtime.delivery_failed_frame(
        ticket_id=comment.ticket_id,
        comment_id=comment.pk,
        code=comment.delivery_error_code,
        title=comment.delivery_error_title,
        detail=comment.delivery_error_detail,
        occurred_at=occurred_at,
    )
    realtime.broadcast_on_commit(groups, frame)


@transaction.atomic
def notification_dismiss(*, user, comment_id: int | None = None, notification_id: int | None = None) -> int:
    """Dismiss the user's notifications for one message (or one notification). Returns how many."""
    qs = Notification.objects.filter(user=user, dismissed_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    elif comment_id is not None:
        qs = qs.filter(comment_id=comment_id)
    else:
        return 0
    return qs.update(dismissed_at=timezone.now())


@transaction.atomic
def notification_dismiss_all(*, user) -> int:
    """Dismiss every open notification of the user ("Dismiss all"); the user's other tabs are told. Returns how
    many."""
    dismissed = Notification.objects.filter(user=user, dismissed_at__isnull=True).update(dismissed_at=timezone.now())
    if dismissed:
        realtime.broadcast_on_commit([realtime.agent_group(user.pk)], realtime.notifications_dismissed_frame())
    return dismissed
