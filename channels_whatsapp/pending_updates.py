"""Reactions, edits and revokes that arrive before the message they name: kept, then applied when it arrives.

Meta does not promise order, and two workers process webhooks side by side, so a reaction can be processed before
the customer's message it reacts to (or before our send has recorded the wamid it got). Such an event is stored as
a `PendingMessageUpdate`; when the message arrives, its pending events are applied in their WhatsApp timestamp order
through `message_updates.message_update`, the live code path with the live sender binding. After 7 days (Meta's
retry horizon) an event whose message never came becomes a `RefusedEvent` (`target_never_arrived`).

Race safety: the event side ("is the message there? else store pending") and the arrival side ("the message is
there now: apply what is pending") both run under one transaction-scoped lock named after the target wamid. The
event side takes it before looking for the message; the arrival side with the message's receipt (receipts.py), before
writing the message and reading the pending rows. Under READ COMMITTED each statement sees what committed before it started, so whichever side
takes the lock second sees the other's work: either the event finds the message, or the arrival finds the event.
"""

import hashlib
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels_whatsapp import parsing, refusals
from channels_whatsapp.models import PendingMessageUpdate, RefusedEvent, WhatsAppAccount

MAX_AGE = timedelta(days=7)
EXPIRE_BATCH = 500
_LOCK_NAMESPACE = b"supportdesk.whatsapp.target:"


def target_lock(wamid: str) -> None:
    """Serialize, until the end of the current transaction, everything that looks for or arrives as `wamid`.

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the wamid (a collision only makes two unrelated
    messages wait for each other). SQLite runs one writer at a time, so there is nothing to take there.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [target_lock_key(wamid)])


def target_lock_key(wamid: str) -> int:
    """The advisory lock's 64-bit key for `wamid` (also taken by `receipts.receipt_add`)."""
    digest = hashlib.blake2b(_LOCK_NAMESPACE + wamid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def pending_store(
    *, account: WhatsAppAccount, message: parsing.InboundMessage, target_wamid: str, redactions: int, delivery_id
) -> str:
    """Keep an event whose message is not here yet (in the caller's transaction, under `target_lock`)."""
    PendingMessageUpdate.objects.create(
        account=account,
        kind=message.type,
        target_wamid=target_wamid,
        wamid=message.wamid,
        sender_wa_id=message.sender_wa_id,
        sender_user_id=message.sender_user_id,
        timestamp=message.sent_at,
        emoji=message.reaction_emoji if message.type == "reaction" else "",
        text=message.text if message.type == "edit" else "",
        redactions=redactions,
        delivery_id=delivery_id,
    )
    return f"{message.type} for message {target_wamid} not received yet: kept pending"


def as_message(pending: PendingMessageUpdate) -> parsing.InboundMessage:
    """The event as the parser gave it when it arrived: what the live code path reads."""
    target = (
        {"reaction_to": pending.target_wamid} if pending.kind == "reaction" else {"original_id": pending.target_wamid}
    )
    return parsing.InboundMessage(
        wamid=pending.wamid,
        type=pending.kind,
        sender_wa_id=pending.sender_wa_id,
        sender_user_id=pending.sender_user_id,
        sent_at=pending.timestamp,
        text=pending.text,
        reaction_emoji=pending.emoji,
        raw={parsing.REDACTION_COUNT_KEY: pending.redactions} if pending.redactions else {},
        **target,
    )


def pending_apply(*, target_wamid: str) -> list[str]:
    """The message `target_wamid` has just been written (in the caller's transaction): apply what waited for it.

    Each pending row is locked, deleted and applied in the same transaction, so it is applied exactly once even if
    the expiry runs at the same moment. Returns the notes of the applied events (refusals...).
    """
    from channels_whatsapp import message_updates

    if not target_wamid:
        return []
    target_lock(target_wamid)
    waiting = list(
        PendingMessageUpdate.objects.select_for_update()
        .select_related("account")
        .filter(target_wamid=target_wamid)
        .order_by(F("timestamp").asc(nulls_last=True), "id")
    )
    notes = []
    for pending in waiting:
        pending.delete()
        note = message_updates.message_update(
            account=pending.account, message=as_message(pending), delivery_id=pending.delivery_id
        )
        if note:
            notes.append(note)
    return notes


def pending_updates_expire(*, now=None) -> int:
    """Events kept longer than 7 days: their message will not come any more. Each becomes a RefusedEvent
    (`target_never_arrived`, admin-visible) and leaves the pending set. Returns how many expired."""
    cutoff = (now or timezone.now()) - MAX_AGE
    count = 0
    while True:
        with transaction.atomic():
            # skip_locked: a row an arriving message is applying right now is that message's, not ours.
            batch = list(
                PendingMessageUpdate.objects.select_for_update(skip_locked=True)
                .select_related("account")
                .filter(created_at__lt=cutoff)
                .order_by("id")[:EXPIRE_BATCH]
            )
            for pending in batch:
                refusals.event_refuse(
                    account=pending.account,
                    kind=pending.kind,
                    reason=RefusedEvent.Reason.TARGET_NEVER_ARRIVED,
                    wamid=pending.wamid,
                    target_wamid=pending.target_wamid,
                    sender=pending.sender_wa_id or pending.sender_user_id,
                    delivery_id=pending.delivery_id,
                )
            PendingMessageUpdate.objects.filter(pk__in=[p.pk for p in batch]).delete()
        count += len(batch)
        if len(batch) < EXPIRE_BATCH:
            return count
