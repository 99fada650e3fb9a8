"""Services for the delivery state of outbound channel messages (queued -> sent -> delivered -> read, or failed).

Channels call these; they keep the audit trail and, for failures, the agent's notification in one place.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from tickets import events
from tickets.models import Comment, DeliveryStatus

# Progress only moves forward; `failed` is terminal.
RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}

FailureListener = Callable[[Comment, "events.Event"], None]
_failure_listeners: list[FailureListener] = []


def register_failure_listener(listener: FailureListener) -> None:
    """Called inside the transaction for every delivery failure (notifications and live banners hook in here)."""
    if listener not in _failure_listeners:
        _failure_listeners.append(listener)


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
    """Mark a message failed, once. Writes `delivery.failed` and tells the failure listeners."""
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
    for listener in list(_failure_listeners):
        listener(comment, event)
    return True
