"""Status webhooks -> the delivery state of the outbound comment they are about."""

from django.db import IntegrityError, transaction

from channels_whatsapp import binding, parsing, refusals, selectors
from channels_whatsapp.models import RefusedEvent, StatusReceipt, WhatsAppAccount
from tickets import delivery
from tickets.models import Comment, DeliveryStatus

STATUS_MAP = {"sent": DeliveryStatus.SENT, "delivered": DeliveryStatus.DELIVERED, "read": DeliveryStatus.READ}


def _target(*, status: parsing.StatusUpdate) -> tuple[Comment | None, bool]:
    """The comment the status names, locked, and whether it was found by its wamid (else by the callback data).

    The wamid decides; the callback data only stands in before the send recorded a wamid (a timed-out POST), or
    for the further messages of a reply with several files.
    """
    comment_id = selectors.comment_id_by_wamid(status.wamid)
    by_wamid = comment_id is not None
    if not by_wamid:
        comment_id = selectors.comment_id_from_callback(status.callback_data)
    if comment_id is None:
        return None, False
    return selectors.comment_for_binding(comment_id, lock=True), by_wamid


@transaction.atomic
def status_handle(
    *, account: WhatsAppAccount, status: parsing.StatusUpdate, delivery_id: int | None = None
) -> str | None:
    """Apply one status webhook that arrived for `account`: idempotent per (wamid, status), monotonic, `failed`
    terminal, and only to a message we sent from that account to that recipient (anything else is refused)."""
    if status.status not in (*STATUS_MAP, "played", "failed"):
        return None  # unknown statuses are ignored
    comment, by_wamid = _target(status=status)
    if comment is None:
        return f"status '{status.status}' for unknown message {status.wamid}"
    reason = binding.status_refusal(comment=comment, account=account, status=status)
    if reason is None and not by_wamid and not binding.callback_matches(comment=comment, wamid=status.wamid):
        reason = RefusedEvent.Reason.CALLBACK_MISMATCH
    if reason is not None:
        return refusals.event_refuse(
            account=account,
            kind=RefusedEvent.Kind.STATUS,
            reason=reason,
            wamid=status.wamid,
            target_wamid=comment.channel_message_id or "",
            comment=comment,
            sender=status.recipient_id or status.recipient_user_id,
            delivery_id=delivery_id,
        )
    try:
        with transaction.atomic():
            StatusReceipt.objects.create(wamid=status.wamid, status=status.status, timestamp=status.sent_at)
    except IntegrityError:
        return None
    if status.status == "failed":
        error = status.errors[0] if status.errors else parsing.GraphErrorInfo("131000", "Something went wrong", "")
        delivery.delivery_fail(comment=comment, code=error.code or "131000", title=error.title, detail=error.detail)
        return None
    target = STATUS_MAP.get(status.status, DeliveryStatus.READ)  # `played` (voice) counts as read
    if comment.delivery_status == DeliveryStatus.FAILED and comment.delivery_error_code == "timeout":
        delivery.delivery_revive(comment=comment, status=target)
    else:
        delivery.delivery_advance(comment=comment, status=target)
    if not comment.channel_message_id:
        Comment.objects.filter(pk=comment.pk).update(channel_message_id=status.wamid)
        from channels_whatsapp import pending_updates

        # Its wamid is known only now (a timed-out send): a reaction to it that came before is applied now.
        return "; ".join(pending_updates.pending_apply(target_wamid=status.wamid)) or None
    return None
