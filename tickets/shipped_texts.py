"""The texts SupportDesk ships for people outside the agent pages (the auto-reply to a new WhatsApp request, the
e-mail telling an agent about an assignment), in every shipped language.

They are stored in English inside the shipped rules (automations/migrations/0003_default_rules.py), where an
administrator may edit them. At send time a text that is still exactly a shipped one is written in the recipient's
language instead: the contact's (`tickets.languages.contact_language`), or the agent's profile language. An edited
text is the administrator's own and is sent as written. Placeholders are kept, and filled after the choice.
"""

from django.conf import settings

AUTO_REPLY_SUBJECT = "We received your request (#{{ticket.id}})"
AUTO_REPLY_BODY = (
    "Thanks for your message! We have received it as ticket #{{ticket.id}}, "
    "and an agent will reply here as soon as possible."
)
ASSIGNED_SUBJECT = "[#{{ticket.id}}] Assigned to you: {{ticket.title}}"
ASSIGNED_BODY = (
    "Ticket #{{ticket.id}} \u201c{{ticket.title}}\u201d from {{ticket.requester.name}} "
    "is now assigned to you.\n\n{{ticket.url}}"
)

# English text -> {language: the same text in that language}.
TRANSLATIONS: dict[str, dict[str, str]] = {
    AUTO_REPLY_SUBJECT: {"de": "Wir haben Ihre Anfrage erhalten (#{{ticket.id}})"},
    AUTO_REPLY_BODY: {
        "de": "Vielen Dank für Ihre Nachricht! Wir haben sie als Ticket #{{ticket.id}} erhalten, "
        "und ein Agent antwortet Ihnen hier so bald wie möglich."
    },
    ASSIGNED_SUBJECT: {"de": "[#{{ticket.id}}] Ihnen zugewiesen: {{ticket.title}}"},
    ASSIGNED_BODY: {
        "de": "Das Ticket #{{ticket.id}} \u201e{{ticket.title}}\u201c von {{ticket.requester.name}} "
        "ist jetzt Ihnen zugewiesen.\n\n{{ticket.url}}"
    },
}


def is_shipped(text: str) -> bool:
    return text in TRANSLATIONS


def localized(text: str, language: str | None) -> str:
    """`text` in `language` when it is a shipped text we have in that language; otherwise `text` unchanged."""
    return TRANSLATIONS.get(text, {}).get(language or settings.LANGUAGE_CODE, text)
