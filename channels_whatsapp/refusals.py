"""The writer of refused webhook events: what a webhook asked to change and may not (see binding.py)."""

import logging

from channels_whatsapp.models import RefusedEvent, WhatsAppAccount
from tickets.models import Comment

logger = logging.getLogger(__name__)


def event_refuse(
    *,
    account: WhatsAppAccount,
    kind: str,
    reason: str,
    wamid: str = "",
    target_wamid: str = "",
    comment: Comment | None = None,
    sender: str = "",
    delivery_id: int | None = None,
) -> str:
    """Record the refusal for admins and log it; returns the note kept on the webhook delivery.

    Identifiers and codes only: the payload's text (an error text, an edit's new body) is the sender's choice and
    stays in the (masked) webhook store. The log line names no person: a wamid encodes the customer's number.
    """
    refused = RefusedEvent.objects.create(
        account=account,
        phone_number_id=account.phone_number_id[:64],
        kind=kind,
        reason=reason,
        wamid=wamid[:200],
        target_wamid=target_wamid[:200],
        comment=comment,
        sender=sender[:64],
        delivery_id=delivery_id,
    )
    logger.warning(
        "Refused WhatsApp %s on account %s: %s (refused event %s, webhook delivery %s)",
        kind,
        account.pk,
        reason,
        refused.pk,
        delivery_id,
    )
    return f"{kind} refused ({reason}): refused event {refused.pk}"
