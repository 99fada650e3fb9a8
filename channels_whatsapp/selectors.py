from django.db.models import Exists, OuterRef, Subquery

from channels_whatsapp.models import PendingMessageUpdate, WhatsAppAccount, WhatsAppConversation
from tickets.models import AuthorRole, Comment


def account_for_phone_number(phone_number_id: str) -> WhatsAppAccount | None:
    if not phone_number_id:
        return None
    return WhatsAppAccount.objects.filter(phone_number_id=phone_number_id, active=True).first()


def latest_conversation(*, account: WhatsAppAccount, contact) -> WhatsAppConversation | None:
    """The contact's newest ticket on this number: the one a new message joins (or follows up)."""
    return (
        WhatsAppConversation.objects.select_related("ticket")
        .filter(account=account, contact=contact)
        .order_by("-ticket_id")
        .first()
    )


def conversation_of_sender(
    *, account: WhatsAppAccount, wa_id: str, user_id: str, wamid: str
) -> WhatsAppConversation | None:
    """What a customer's next message needs, in one query: the newest conversation on this number of the contact
    with `wa_id` (else `user_id`, the contact `contact_ensure` would find), its contact and ticket, both locked (one
    worker at a time per customer, and the ticket as `end_user_message_add` locks it), annotated with
    `latest_template` (the template of our latest public message there, or None) and `updates_waiting` (reactions,
    edits or revokes kept for `wamid`; read under the wamid's target lock, which the receipt took).
    """
    if wa_id:
        sender = {"contact__wa_id": wa_id}
    elif user_id:
        sender = {"contact__whatsapp_user_id": user_id}
    else:
        return None
    latest_template = (
        Comment.objects.filter(ticket_id=OuterRef("ticket_id"), public=True)
        .exclude(author_role=AuthorRole.END_USER)
        .order_by("-id")
        .values("template")[:1]
    )
    return (
        WhatsAppConversation.objects.select_related("contact", "ticket")
        .select_for_update(of=("contact", "ticket"))
        .filter(account=account, **sender)
        .annotate(
            latest_template=Subquery(latest_template),
            updates_waiting=Exists(PendingMessageUpdate.objects.filter(target_wamid=wamid)),
        )
        .order_by("-ticket_id")
        .first()
    )


def conversation_for_ticket(ticket_id: int) -> WhatsAppConversation | None:
    return WhatsAppConversation.objects.select_related("account", "contact").filter(ticket_id=ticket_id).first()


# What the sender-binding checks read (channels_whatsapp/binding.py): the ticket's conversation (number and
# contact), the comment's author and its send (the number it went out from and every wamid it got).
_BINDING_RELATED = ("ticket", "ticket__whatsapp__contact", "author_contact", "whatsapp_send")


def comment_on_ticket(*, ticket_id: int, comment_id: int) -> Comment | None:
    """A message of a ticket the caller was already allowed to see (the ticket comes from `ticket_get`)."""
    return Comment.objects.filter(pk=comment_id, ticket_id=ticket_id).first()


def comment_id_by_wamid(wamid: str) -> int | None:
    if not wamid:
        return None
    return Comment.objects.filter(channel_message_id=wamid).values_list("pk", flat=True).first()


def comment_id_from_callback(callback_data: str) -> int | None:
    """Our comment id as we put it in `biz_opaque_callback_data` ("comment:<id>"): a hint, proof of nothing."""
    if callback_data.startswith("comment:") and callback_data[8:].isdigit() and len(callback_data) < 30:
        return Comment.objects.filter(pk=int(callback_data[8:])).values_list("pk", flat=True).first()
    return None


def comment_for_binding(comment_id: int, *, lock: bool = False) -> Comment | None:
    """One comment with everything the binding checks need, in one query; `lock` takes the comment's row lock."""
    qs = Comment.objects.select_related(*_BINDING_RELATED)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.filter(pk=comment_id).first()


def message_by_wamid(wamid: str) -> Comment | None:
    comment_id = comment_id_by_wamid(wamid)
    return comment_for_binding(comment_id) if comment_id is not None else None


def accounts_active():
    """The connected numbers an agent may write from, by name."""
    return WhatsAppAccount.objects.filter(active=True).order_by("name", "id")
