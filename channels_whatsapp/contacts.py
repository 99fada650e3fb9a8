"""The WhatsApp channel's part in the core's contact merge (registered in AppConfig.ready)."""

from channels_whatsapp.models import WhatsAppConversation


def contact_merged(source, target) -> None:
    """The duplicate's conversations follow its tickets to the contact that stays (they would be deleted with it)."""
    WhatsAppConversation.objects.filter(contact=source).update(contact=target)
