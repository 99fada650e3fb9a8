"""Inbound messages: a stored delivery's message -> contact, conversation, comment (with its media), opt-in keywords.

Reactions, edits and revokes are in message_updates.py; the download of the media in downloads.py.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_whatsapp import (
    binding,
    contact_language,
    downloads,
    media,
    message_text,
    parsing,
    receipts,
    refusals,
    selectors,
    system_notes,
    window,
)
from channels_whatsapp.models import (
    RefusedEvent,
    WhatsAppAccount,
    WhatsAppConversation,
)
from tickets import channel_writes, redaction
from tickets import services as ticket_services
from tickets.contacts import contact_opt_in_set
from tickets.models import Comment, Contact, Ticket, TicketStatus, Via

logger = logging.getLogger(__name__)


# --- Inbound messages ---------------------------------------------------------------------------------------


def _sender(*, change: parsing.Change, message: parsing.InboundMessage) -> tuple[str, str, str, str]:
    """wa_id, user_id, the name to give a new contact, and the sender's profile name."""
    profile = change.profile_for(message.sender_wa_id, message.sender_user_id)
    wa_id = message.sender_wa_id or (profile.wa_id if profile else "")
    user_id = message.sender_user_id or (profile.user_id if profile else "")
    name = (profile.name if profile else "") or wa_id or user_id or channel_writes.UNNAMED
    return wa_id, user_id, name, profile.name if profile else ""


def _contact_for(*, change: parsing.Change, message: parsing.InboundMessage) -> Contact:
    wa_id, user_id, name, profile_name = _sender(change=change, message=message)
    return channel_writes.contact_ensure(wa_id=wa_id, user_id=user_id, name=name, profile_name=profile_name)


def render_body(message: parsing.InboundMessage) -> str:
    """What the agent reads for each message type (see message_text)."""
    return message_text.render_body(message)


def redact_inbound(*, account: WhatsAppAccount, text: str) -> tuple[str, int]:
    """Card numbers in WhatsApp messages are masked before anything is stored, unless the account opted out."""
    if not account.redact_credit_cards:
        return text, 0
    return redaction.redact(text)


_NO_TARGET_LOCK = frozenset({"reaction", "edit", "revoke", "request_welcome", "system"})


def inbound_message_write(
    *, account: WhatsAppAccount, change: parsing.Change, message: parsing.InboundMessage, delivery_id: int | None = None
) -> str | None:
    """Turn one inbound message into a comment (or an event), exactly once, in the caller's transaction.
    Returns a note for the admin, if any."""
    # Only a message that can be the target of an early reaction, edit or revoke takes its wamid's lock here.
    if not receipts.receipt_add(
        wamid=message.wamid, message_type=message.type, lock=message.type not in _NO_TARGET_LOCK
    ):
        return None  # already processed: redelivery never creates a second comment
    if message.type in ("reaction", "edit", "revoke"):
        from channels_whatsapp import message_updates

        return message_updates.message_update(account=account, message=message, delivery_id=delivery_id)
    if message.type in ("request_welcome",):
        return f"{message.type} from {message.sender_wa_id} (no content)"
    if message.type == "system":
        return _system_message(account=account, message=message, delivery_id=delivery_id)
    received_at = timezone.now()
    sent_at = window.effective_send_time(message.sent_at or received_at, received_at)
    quoted, quotes_ours = None, False
    conversation = contact = None
    ticket_locked = False
    updates_waiting: bool | None = None  # unknown: pending_apply looks
    latest_template = contact_language.UNKNOWN
    if not message.context_id:
        # The usual case, a customer writing on in their conversation: contact, ticket (both locked), the template
        # the customer may be answering and whether events wait for this message, in one query.
        wa_id, user_id, _name, profile_name = _sender(change=change, message=message)
        conversation = selectors.conversation_of_sender(
            account=account, wa_id=wa_id, user_id=user_id, wamid=message.wamid
        )
        if conversation is not None and channel_writes.contact_is_current(
            contact=conversation.contact, wa_id=wa_id, user_id=user_id, profile_name=profile_name
        ):
            contact = conversation.contact
            ticket_locked = True
            updates_waiting = conversation.updates_waiting
            latest_template = conversation.latest_template
            if conversation.ticket.status == TicketStatus.CLOSED:
                # The rows were read before the locks were granted: if another worker held them, it may have opened
                # the follow-up meanwhile, which only a new statement sees. (Closed is final, so an open ticket
                # locked here cannot have led anyone to open another.)
                conversation = selectors.latest_conversation(account=account, contact=contact)
                ticket_locked = False
                latest_template = contact_language.UNKNOWN
    if contact is None:
        contact = _contact_for(change=change, message=message)
        quoted, quotes_ours = _quoted_comment(
            account=account, contact=contact, message=message, delivery_id=delivery_id
        )
        if quotes_ours and quoted.ticket.status != TicketStatus.CLOSED:
            # A swipe-reply to one of our messages answers that conversation, even if a newer ticket was opened since.
            conversation = None
        elif conversation is None or message.context_id:  # the contact may have been found by its other id
            conversation = selectors.latest_conversation(account=account, contact=contact)
    if quotes_ours and quoted.ticket.status != TicketStatus.CLOSED:
        conversation_ticket = quoted.ticket
    else:
        conversation_ticket = conversation.ticket if conversation else None
    contact_language.contact_language_learn(
        contact=contact, quoted=quoted, conversation_ticket=conversation_ticket, latest_template=latest_template
    )
    body = render_body(message)
    body, redactions = redact_inbound(account=account, text=body)
    subject, _masked = redact_inbound(account=account, text=message_text.subject_for(message))
    redactions += int(message.raw.get(parsing.REDACTION_COUNT_KEY) or 0) if isinstance(message.raw, dict) else 0
    details = dict(message.details)
    if message.frequently_forwarded:
        details["frequently_forwarded"] = True
    if message.errors:
        details["errors"] = [{"code": e.code, "title": e.title, "detail": e.detail} for e in message.errors[:10]]

    def link(ticket: Ticket) -> None:
        WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)

    comment = ticket_services.end_user_message_add(
        conversation_ticket=conversation_ticket,
        requester=contact,
        via=Via.WHATSAPP,
        body=body,
        subject=subject,
        sent_at=sent_at,
        channel_message_id=message.wamid,
        forwarded=message.forwarded,
        in_reply_to=quoted,
        message_type=message.type,
        channel_data=details,
        on_ticket_created=link,
        ticket_locked=ticket_locked and conversation_ticket is not None,
    )
    if redactions:
        ticket_services.redaction_recorded(comment=comment, count=redactions)
    if message.type in ("text", "button", "interactive"):
        _opt_in_keyword(contact=contact, comment=comment, text=message.text)
    if message.media is not None and message.media.id:
        _attach_inbound_media(comment=comment, account=account, message=message)
    for error in message_text.errors_for_notes(message):  # what the comment itself does not already say
        ticket_services.system_note_add(
            ticket=comment.ticket,
            body=_inbound_error_note(error),
            data={"code": error.code, "title": error.title, "detail": error.detail},
            note=system_notes.INBOUND_ERROR,
        )
    from channels_whatsapp import pending_updates

    # Reactions, edits and revokes that came before this message: applied now, in their timestamp order.
    if updates_waiting is False:
        return None
    return "; ".join(pending_updates.pending_apply(target_wamid=message.wamid)) or None


inbound_message_handle = transaction.atomic(inbound_message_write)
inbound_message_handle.__doc__ = "`inbound_message_write` in its own transaction (a savepoint inside the caller's)."


def _quoted_comment(
    *, account: WhatsAppAccount, contact: Contact, message: parsing.InboundMessage, delivery_id: int | None
) -> tuple[Comment | None, bool]:
    """The comment a reply quotes (`context.id`), if it may be linked, and whether it is one of our messages.

    Only a message of this conversation counts: ours sent from this number to this customer, or the customer's own
    on this number. A quote of anything else is not linked, not used for routing, and recorded as refused.
    """
    comment_id = selectors.comment_id_by_wamid(message.context_id)
    if comment_id is None:
        return None, False
    quoted = selectors.comment_for_binding(comment_id)
    reason = binding.quote_refusal(comment=quoted, account=account, contact=contact)
    if reason is not None:
        refusals.event_refuse(
            account=account,
            kind=RefusedEvent.Kind.QUOTE,
            reason=reason,
            wamid=message.wamid,
            target_wamid=message.context_id,
            comment=quoted,
            sender=message.sender_wa_id or message.sender_user_id,
            delivery_id=delivery_id,
        )
        return None, False
    return quoted, binding.is_outbound(quoted)


def _keywords(setting: str) -> set[str]:
    return {k.strip().upper() for k in getattr(settings, setting) if k.strip()}


def _opt_in_keyword(*, contact: Contact, comment: Comment, text: str) -> None:
    """A message that is just STOP (or START, configurable) records an opt-out (or opt-in)."""
    word = " ".join(text.split()).upper().strip(".!")
    if word in _keywords("WHATSAPP_OPT_OUT_KEYWORDS"):
        opt_in = False
    elif word in _keywords("WHATSAPP_OPT_IN_KEYWORDS"):
        opt_in = True
    else:
        return
    contact_opt_in_set(contact=contact, opted_in=opt_in, source=f"whatsapp keyword {word}")
    data = {"opt_in": opt_in, "keyword": word}
    ticket_services.system_note_add(
        ticket=comment.ticket, body=system_notes.opt_in_keyword_text(data), data=data, note=system_notes.OPT_IN_KEYWORD
    )


def _inbound_error_note(error: parsing.GraphErrorInfo) -> str:
    return message_text.error_text(error)


def _system_message(
    *, account: WhatsAppAccount, message: parsing.InboundMessage, delivery_id: int | None
) -> str | None:
    kind = message.details.get("kind", "")
    new_wa_id = message.details.get("wa_id", "")
    contact = Contact.objects.filter(wa_id=message.sender_wa_id).first() if message.sender_wa_id else None
    if contact is None:
        return f"system message '{kind}' for unknown sender"
    # Bound like every other event: only a number this customer talks to may tell us their number changed.
    conversation = selectors.latest_conversation(account=account, contact=contact)
    if conversation is None:
        return refusals.event_refuse(
            account=account,
            kind=RefusedEvent.Kind.SYSTEM,
            reason=RefusedEvent.Reason.WRONG_ACCOUNT,
            wamid=message.wamid,
            sender=message.sender_wa_id,
            delivery_id=delivery_id,
        )
    if kind == "user_changed_number" and new_wa_id:
        channel_writes.contact_number_change(contact=contact, wa_id=new_wa_id)
    latest = conversation.ticket
    if latest.status != "closed":
        ticket_services.system_note_add(
            ticket=latest,
            body=message_text.system_text(kind=kind, text=message.text, new_wa_id=new_wa_id),
            data={"kind": kind, "new_wa_id": new_wa_id, "text": message.text[:1000]},
            note=system_notes.SYSTEM_MESSAGE,
        )
    return None


# --- Media ---------------------------------------------------------------------------------------------------


def _attach_inbound_media(*, comment: Comment, account: WhatsAppAccount, message: parsing.InboundMessage) -> None:
    m = message.media
    filename = m.filename or f"{message.type}-{message.wamid[-12:]}{_extension(m.mime_type)}"
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()  # the sender's name for it, never a path
    if filename in ("", ".", ".."):
        filename = f"{message.type}{_extension(m.mime_type)}"
    filename, _masked = redact_inbound(account=account, text=filename)
    attachment = channel_writes.channel_attachment_add(
        comment=comment,
        filename=filename,
        content_type=media.base_mime(m.mime_type),
        sha256=m.sha256,
        channel_media_id=m.id,
    )
    # Text never waits for media: the download is its own task.
    transaction.on_commit(lambda: downloads.enqueue_media_download(attachment.pk))


def _extension(mime_type: str) -> str:
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "video/mp4": ".mp4",
        "audio/ogg": ".ogg",
        "audio/mpeg": ".mp3",
        "audio/aac": ".aac",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
    }.get(media.base_mime(mime_type), "")
