"""Inbound reactions, edits and deletions (revokes): changes to a message already on a ticket, never a new one."""

from channels_whatsapp import binding, inbound, parsing, pending_updates, refusals, selectors
from channels_whatsapp.models import InboundReceipt, RefusedEvent, WhatsAppAccount
from tickets import channel_writes
from tickets import services as ticket_services

KINDS = {"reaction": RefusedEvent.Kind.REACTION, "edit": RefusedEvent.Kind.EDIT, "revoke": RefusedEvent.Kind.REVOKE}


def message_update(
    *, account: WhatsAppAccount, message: parsing.InboundMessage, delivery_id: int | None = None
) -> str | None:
    """Apply one reaction, edit or revoke (in the caller's transaction); returns a note for the admin, if any.

    Only the message's own sender on the same number may edit or delete it; a reaction may also come from the
    recipient of one of our messages. Anything else is refused and recorded, and the comment stays as it was.
    An event for a message not here yet is kept pending and applied here when it arrives (see pending_updates).
    """
    target_id = message.reaction_to or message.original_id
    if not target_id or len(target_id) > parsing.WAMID_MAX:  # no message is ever stored under such an id
        return f"{message.type} for unknown message {target_id[:200]}"
    pending_updates.target_lock(target_id)  # before looking: see pending_updates for the race this closes
    comment_id = selectors.comment_id_by_wamid(target_id)
    if comment_id is None:
        if InboundReceipt.objects.filter(wamid=target_id).exists():  # it came, and is no message on a ticket
            return f"{message.type} for unknown message {target_id}"
        redactions = int(message.raw.get(parsing.REDACTION_COUNT_KEY) or 0) if isinstance(message.raw, dict) else 0
        return pending_updates.pending_store(
            account=account, message=message, target_wamid=target_id, redactions=redactions, delivery_id=delivery_id
        )
    target = selectors.comment_for_binding(comment_id, lock=True)
    reason = binding.update_refusal(comment=target, account=account, message=message)
    if reason is not None:
        return refusals.event_refuse(
            account=account,
            kind=KINDS[message.type],
            reason=reason,
            wamid=message.wamid,
            target_wamid=target_id,
            comment=target,
            sender=message.sender_wa_id or message.sender_user_id,
            delivery_id=delivery_id,
        )
    if message.type == "reaction":
        channel_writes.comment_reaction_set(comment=target, emoji=message.reaction_emoji)
    elif message.type == "edit":
        new_text, redactions = inbound.redact_inbound(account=account, text=message.text)
        redactions += int(message.raw.get(parsing.REDACTION_COUNT_KEY) or 0)
        channel_writes.comment_edit(comment=target, body=new_text)
        if redactions:
            ticket_services.redaction_recorded(comment=target, count=redactions)
    else:
        channel_writes.comment_revoke(comment=target)
    return None
