from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tickets.models import Comment


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
