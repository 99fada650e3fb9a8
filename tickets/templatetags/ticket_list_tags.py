"""Presentation of the ticket list's rows: the last message's one-line preview."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import AuthorRole

register = template.Library()

# What an uncaptioned file says in the preview, by the channel's message type.
FILE_KINDS = {
    "image": gettext_lazy("Photo"),
    "video": gettext_lazy("Video"),
    "audio": gettext_lazy("Voice message"),
    "document": gettext_lazy("Document"),
    "sticker": gettext_lazy("Sticker"),
}


def preview_text(
    *,
    body: str | None,
    role: str | None,
    author_id: int | None,
    author_name: str | None,
    message_type: str | None,
    attachment_name: str | None,
    viewer_id: int | None,
) -> str:
    """One line: who wrote last ("You", the agent's first name; nothing for the customer) and what they wrote, or
    what they sent when it was a file alone. Empty when the ticket has no public message yet."""
    if role is None:
        return ""
    text = " ".join((body or "").split())
    if not text:
        kind = FILE_KINDS.get(message_type or "")
        if attachment_name:
            text = _("%(kind)s: %(name)s") % {"kind": kind or _("Attachment"), "name": attachment_name}
        else:
            text = str(kind or _("Attachment"))
    if role == AuthorRole.END_USER:
        return text
    if role == AuthorRole.AGENT and author_id is not None and author_id == viewer_id:
        return _("You: %(text)s") % {"text": text}
    name = author_name if role == AuthorRole.AGENT and author_name else "SupportDesk"
    return _("%(name)s: %(text)s") % {"name": name, "text": text}


@register.simple_tag
def ticket_preview(ticket, viewer) -> str:
    """The preview of a row annotated by `list_selectors.with_row_state` (autoescaped by the template)."""
    return preview_text(
        body=getattr(ticket, "last_body", None),
        role=getattr(ticket, "last_role", None),
        author_id=getattr(ticket, "last_author_id", None),
        author_name=getattr(ticket, "last_author_name", None),
        message_type=getattr(ticket, "last_message_type", None),
        attachment_name=getattr(ticket, "last_attachment_name", None),
        viewer_id=getattr(viewer, "pk", None),
    )


@register.filter
def wait_time(since) -> str:
    """How long the customer has waited, in its largest unit alone ("42 minutes", "3 hours", "2 days")."""
    if not since:
        return ""
    if timezone.now() - since < timedelta(minutes=1):
        return _("less than a minute")
    return timesince(since, depth=1)
