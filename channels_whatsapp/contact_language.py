"""The customer's language, learnt from WhatsApp: a customer who answers a template reads that template's language
(`de_DE` -> "de"), unless an agent chose the contact's language. Languages the product does not ship are ignored."""

from tickets import languages
from tickets.contacts import LOCALE_BY_AGENT, LOCALE_FROM_TEMPLATE, contact_locale_set
from tickets.models import AuthorRole, Comment, Contact, Ticket

UNKNOWN = object()  # the latest template of the conversation is not known yet: read it


def _answered_template(*, quoted: Comment | None, conversation_ticket: Ticket | None, latest_template) -> dict | None:
    """The template the message answers: the one it quotes, else our latest public message if it was a template."""
    if quoted is not None and quoted.author_role != AuthorRole.END_USER:
        return quoted.template
    if conversation_ticket is None:
        return None
    if latest_template is not UNKNOWN:  # read with the conversation (selectors.conversation_of_sender)
        return latest_template if isinstance(latest_template, dict) else None
    latest = (
        Comment.objects.filter(ticket_id=conversation_ticket.pk, public=True)
        .exclude(author_role=AuthorRole.END_USER)
        .order_by("-id")
        .values_list("template", flat=True)
        .first()
    )
    return latest if isinstance(latest, dict) else None


def contact_language_learn(
    *, contact: Contact, quoted: Comment | None, conversation_ticket: Ticket | None, latest_template=UNKNOWN
) -> None:
    if contact.locale_source == LOCALE_BY_AGENT:
        return
    template = _answered_template(
        quoted=quoted, conversation_ticket=conversation_ticket, latest_template=latest_template
    )
    language = languages.supported_language((template or {}).get("language"))
    if language:
        contact_locale_set(contact=contact, locale=language, source=LOCALE_FROM_TEMPLATE)
