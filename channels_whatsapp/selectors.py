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


def comment_by_wamid(wamid: str) -> Comment | None:
    if not wamid:
        return None
    return Comment.objects.select_related("ticket").filter(channel_message_id=wamid).first()


def comment_for_status(*, wamid: str, callback_data: str) -> Comment | None:
    """Our own comment id travels in `biz_opaque_callback_data`; the wamid is the fallback."""
    if callback_data.startswith("comment:") and callback_data[8:].isdigit():
        comment = Comment.objects.select_related("ticket").filter(pk=int(callback_data[8:])).first()
        if comment is not None:
            return comment
    return comment_by_wamid(wamid)


def accounts_active():
    """The connected numbers an agent may write from, by name."""
    return WhatsAppAccount.objects.filter(active=True).order_by("name", "id")
