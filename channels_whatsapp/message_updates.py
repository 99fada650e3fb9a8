"""Inbound reactions, edits and deletions (revokes): changes to a message already on a ticket, never a new one."""

from channels_whatsapp import binding, inbound, parsing, pending_updates, refusals, selectors
from channels_whatsapp.models import InboundReceipt, RefusedEvent, WhatsAppAccount
from tickets import events

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
        events.record(
            ticket=target.ticket,
            type=events.MESSAGE_REACTION,
            data={"comment_id": target.pk, "emoji": message.reaction_emoji, "removed": not message.reaction_emoji},
        )
        reactions = dict(target.channel_data.get("reactions") or {})
        reactions["customer"] = message.reaction_emoji
        target.channel_data = {**target.channel_data, "reactions": {k: v for k, v in reactions.items() if v}}
        target.save(update_fields=["channel_data"])
    elif message.type == "edit":
        new_text, redactions = inbound.redact_inbound(account=account, text=message.text)
        redactions += int(message.raw.get(parsing.REDACTION_COUNT_KEY) or 0)
        events.record(ticket=target.ticket, type=events.MESSAGE_EDITED, data={"comment_id": target.pk})
        target.channel_data = {**target.channel_data, "edited": True, "original_body": target.body}
        target.body = new_text
        target.save(update_fields=["channel_data", "body"])
        if redactions:
            inbound.redaction_recorded(comment=target, count=redactions)
    else:
        events.record(ticket=target.ticket, type=events.MESSAGE_REVOKED, data={"comment_id": target.pk})
        target.channel_data = {**target.channel_data, "revoked": True}
        target.save(update_fields=["channel_data"])
    return None
