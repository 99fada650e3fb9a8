"""Core writes a channel asks for: a contact found or made by its channel ids, a channel's change to a comment
already stored (an edit, a reaction, a revoke), a channel's file attached and then stored.

The channel decides what happened; these write the rows, their audit events and, on commit, the frame an open
ticket page re-renders from. System notes are `services.system_note_add`; card-number audits are
`services.redaction_recorded`.
"""

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from tickets import events, realtime
from tickets.models import Attachment, Comment, Contact

UNNAMED = "WhatsApp user"

COMMENT_EDITED = "edited"
COMMENT_REACTION = "reaction"
COMMENT_REVOKED = "revoked"
COMMENT_ATTACHMENT = "attachment"


def _comment_updated(comment_id: int, ticket_id: int, change: str) -> None:
    realtime.broadcast_on_commit(
        [realtime.ticket_group(ticket_id)],
        realtime.comment_updated_frame(ticket_id=ticket_id, comment_id=comment_id, change=change),
    )


# --- Contacts -------------------------------------------------------------------------------------------------


def contact_ensure(*, wa_id: str, user_id: str, name: str, profile_name: str = "") -> Contact:
    """The contact a channel message comes from, by its WhatsApp id or user id; made when new, race-safe.

    In the caller's transaction, and returned locked: one worker at a time per customer, so two first messages arriving together never open two
    tickets. A profile name replaces a placeholder name; an id the contact lacks is added unless another contact
    holds it (the unique constraint would refuse the message).
    """
    contact = None
    if wa_id:
        contact = Contact.objects.filter(wa_id=wa_id).first()
    if contact is None and user_id:
        contact = Contact.objects.filter(whatsapp_user_id=user_id).first()
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    name=name[:200], wa_id=wa_id or None, whatsapp_user_id=user_id or None, phone=wa_id and f"+{wa_id}"
                )
        except IntegrityError:  # created concurrently by another worker
            contact = Contact.objects.get(wa_id=wa_id) if wa_id else Contact.objects.get(whatsapp_user_id=user_id)
    updates = {}
    if profile_name and contact.name in ("", contact.wa_id, UNNAMED):
        updates["name"] = profile_name[:200]
    if user_id and not contact.whatsapp_user_id and not Contact.objects.filter(whatsapp_user_id=user_id).exists():
        updates["whatsapp_user_id"] = user_id
    if wa_id and not contact.wa_id and not Contact.objects.filter(wa_id=wa_id).exists():
        updates["wa_id"] = wa_id
    if updates:
        Contact.objects.filter(pk=contact.pk).update(**updates)
    return Contact.objects.select_for_update().get(pk=contact.pk)


def contact_is_current(*, contact: Contact, wa_id: str, user_id: str, profile_name: str = "") -> bool:
    """Whether `contact_ensure` would leave this contact (found by `wa_id`, else `user_id`) as it is: then a caller
    that already holds it, locked, can skip it."""
    if profile_name and contact.name in ("", contact.wa_id, UNNAMED):
        return False
    return not (user_id and not contact.whatsapp_user_id) and not (wa_id and not contact.wa_id)


def contact_number_change(*, contact: Contact, wa_id: str) -> bool:
    """The customer's WhatsApp number changed: theirs now, unless another contact already has it."""
    if Contact.objects.filter(wa_id=wa_id).exists():
        return False
    Contact.objects.filter(pk=contact.pk).update(wa_id=wa_id, phone=f"+{wa_id}")
    return True


# --- Comments -------------------------------------------------------------------------------------------------


def comment_reaction_set(*, comment: Comment, emoji: str, by: str = "customer") -> Comment:
    """A reaction to a stored message (`emoji` "" removes it), in the caller's transaction."""
    events.message_reaction(comment=comment, emoji=emoji)
    reactions = {**(comment.channel_data.get("reactions") or {}), by: emoji}
    comment.channel_data = {**comment.channel_data, "reactions": {k: v for k, v in reactions.items() if v}}
    comment.save(update_fields=["channel_data"])
    _comment_updated(comment.pk, comment.ticket_id, COMMENT_REACTION)
    return comment


def comment_edit(*, comment: Comment, body: str) -> Comment:
    """The sender edited their message: the new text, the original kept beside it."""
    events.message_edited(comment=comment)
    comment.channel_data = {**comment.channel_data, "edited": True, "original_body": comment.body}
    comment.body = body
    comment.save(update_fields=["channel_data", "body"])
    _comment_updated(comment.pk, comment.ticket_id, COMMENT_EDITED)
    return comment


def comment_revoke(*, comment: Comment) -> Comment:
    """The sender deleted their message for everyone: the comment stays, marked revoked."""
    events.message_revoked(comment=comment)
    comment.channel_data = {**comment.channel_data, "revoked": True}
    comment.save(update_fields=["channel_data"])
    _comment_updated(comment.pk, comment.ticket_id, COMMENT_REVOKED)
    return comment


# --- Attachments ----------------------------------------------------------------------------------------------


def channel_attachment_add(
    *, comment: Comment, filename: str, content_type: str, sha256: str, channel_media_id: str
) -> Attachment:
    """A file a channel message announced, its content not downloaded yet (size 0, no file)."""
    return Attachment.objects.create(
        ticket=comment.ticket,
        comment=comment,
        filename=filename[:255],
        content_type=content_type[:120] or "application/octet-stream",
        size=0,
        sha256=sha256,
        channel_media_id=channel_media_id,
    )


@transaction.atomic
def attachment_content_store(*, attachment_id: int, content: bytes, content_type: str = "") -> Attachment:
    """The announced file's content, downloaded and checked by the channel: stored once, shown live."""
    attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
    if attachment.file:
        return attachment
    attachment.file.save(attachment.filename, ContentFile(content), save=False)
    attachment.size = len(content)
    if content_type:
        attachment.content_type = content_type[:120]
    attachment.save()
    if attachment.comment_id is not None:
        _comment_updated(attachment.comment_id, attachment.ticket_id, COMMENT_ATTACHMENT)
    return attachment
