"""Which webhook events may touch which comments: every event is bound to its number and its person.

A webhook names the message it is about by wamid (a status also by the callback data we sent), and a name is no
proof: any number connected to the app can post a status, a reaction or an edit naming any id. So an event applies
only to a message of the connected number it arrived on, and of the person it comes from:

- a status, to a message we sent from that number to that recipient;
- an edit or a deletion, to a message that customer wrote to that number;
- a reaction, to either of those;
- a quoted reply, to either of those (only a quote of one of our messages routes the reply to its ticket).

Each check reads only what `selectors.comment_for_binding` loaded and returns None (allowed) or the refusal reason.
"""

from channels_whatsapp import parsing
from channels_whatsapp.models import RefusedEvent, WhatsAppAccount
from tickets.models import AuthorRole, Comment, Contact, Via

Reason = RefusedEvent.Reason


def _conversation(comment: Comment):
    return getattr(comment.ticket, "whatsapp", None)  # None for a ticket of another channel


def is_outbound(comment: Comment) -> bool:
    """A public message of ours handed to WhatsApp: never an internal note, a customer message, another channel."""
    return (
        comment.public
        and comment.author_role != AuthorRole.END_USER
        and comment.delivery_status is not None
        and _conversation(comment) is not None
    )


def is_customer_message(comment: Comment) -> bool:
    return (
        comment.author_role == AuthorRole.END_USER
        and comment.via == Via.WHATSAPP
        and _conversation(comment) is not None
    )


def _sending_account_id(comment: Comment) -> int:
    send = getattr(comment, "whatsapp_send", None)
    return send.account_id if send is not None else _conversation(comment).account_id


def same_person(contact: Contact | None, *, wa_id: str, user_id: str = "") -> bool:
    """The contact holds this WhatsApp id (phone-based wa_id, or business-scoped user id)."""
    if contact is None:
        return False
    wa_id = wa_id.lstrip("+")
    return bool(
        (wa_id and contact.wa_id and wa_id == contact.wa_id.lstrip("+"))
        or (user_id and contact.whatsapp_user_id and user_id == contact.whatsapp_user_id)
    )


def _addressed_to(comment: Comment) -> set[str]:
    """The `to` / `recipient` our send used (still right after the customer changed number in between)."""
    send = getattr(comment, "whatsapp_send", None)
    payloads = send.payload if send is not None and isinstance(send.payload, list) else []
    return {
        str(payload.get(key) or "").lstrip("+")
        for payload in payloads
        if isinstance(payload, dict)
        for key in ("to", "recipient")
    } - {""}


def status_refusal(*, comment: Comment, account: WhatsAppAccount, status: parsing.StatusUpdate) -> str | None:
    if not is_outbound(comment):
        return Reason.NOT_OUTBOUND
    if _sending_account_id(comment) != account.pk:
        return Reason.WRONG_ACCOUNT
    recipient = _conversation(comment).contact
    if same_person(recipient, wa_id=status.recipient_id, user_id=status.recipient_user_id or status.recipient_id):
        return None
    named = {status.recipient_id.lstrip("+"), status.recipient_user_id} - {""}
    return None if named & _addressed_to(comment) else Reason.WRONG_RECIPIENT


def callback_matches(*, comment: Comment, wamid: str) -> bool:
    """Found through the callback data only: the send recorded this wamid, or has not recorded its wamid yet."""
    send = getattr(comment, "whatsapp_send", None)
    if send is None:
        return False
    if wamid in (send.wamids or []):
        return True
    return not comment.channel_message_id


def update_refusal(*, comment: Comment, account: WhatsAppAccount, message: parsing.InboundMessage) -> str | None:
    """A reaction, edit or revoke (`message.type`) naming `comment`."""
    if message.type == "reaction" and is_outbound(comment):
        if _sending_account_id(comment) != account.pk:
            return Reason.WRONG_ACCOUNT
        recipient = _conversation(comment).contact
        if not same_person(recipient, wa_id=message.sender_wa_id, user_id=message.sender_user_id):
            return Reason.WRONG_RECIPIENT
        return None
    if not is_customer_message(comment):
        # Only its author edits or deletes a message: never one of ours, a note, or another channel's.
        return Reason.NOT_OUTBOUND if message.type == "reaction" else Reason.WRONG_SENDER
    if _conversation(comment).account_id != account.pk:
        return Reason.WRONG_ACCOUNT
    if not same_person(comment.author_contact, wa_id=message.sender_wa_id, user_id=message.sender_user_id):
        return Reason.WRONG_SENDER
    return None


def quote_refusal(*, comment: Comment, account: WhatsAppAccount, contact: Contact) -> str | None:
    """A customer's message quoting `comment`: ours to this customer, or this customer's own, on this number."""
    conversation = _conversation(comment)
    if is_outbound(comment):
        if _sending_account_id(comment) != account.pk:
            return Reason.WRONG_ACCOUNT
        if conversation.contact_id != contact.pk:
            return Reason.WRONG_RECIPIENT
        return None
    if is_customer_message(comment):
        if conversation.account_id != account.pk:
            return Reason.WRONG_ACCOUNT
        if comment.author_contact_id != contact.pk:
            return Reason.WRONG_SENDER
        return None
    return Reason.NOT_OUTBOUND
