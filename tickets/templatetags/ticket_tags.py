"""Presentation helpers of the agent pages: event sentences (worded in `tickets.event_log`), delivery ticks, the
WhatsApp window."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tickets import events
from tickets.event_log import actor_name, describe_event
from tickets.hooks import channel_info, system_note_text
from tickets.models import AuthorRole, DeliveryStatus, Event, TicketStatus

register = template.Library()

DELIVERY_SYMBOLS = {
    DeliveryStatus.QUEUED: "\u23f1",  # stopwatch
    DeliveryStatus.SENT: "\u2713",
    DeliveryStatus.DELIVERED: "\u2713\u2713",
    DeliveryStatus.READ: "\u2713\u2713",
    DeliveryStatus.FAILED: "\u2717",
}
# Raster images only: an SVG shown inline could run script in our origin.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@register.filter
def event_sentence(event: Event, names: dict | None = None) -> str:
    return describe_event(event, names)


@register.filter
def event_actor(event: Event, names: dict | None = None) -> str:
    """Who did it, unless the sentence already says so. Without an actor, the customer or the product did it."""
    if event.actor is not None:
        return "" if event.type == events.FIELD_CHANGED else actor_name(event.actor)
    data = event.data or {}
    by_customer = event.type == events.TICKET_CREATED or data.get("author_role") == AuthorRole.END_USER
    if by_customer and (names or {}).get("requester"):
        return names["requester"]
    return "SupportDesk"


@register.filter
def whatsapp_window(ticket) -> dict | None:
    """The channel's window state when a channel app registered one, else None. Reads only the ticket's fields."""
    info = channel_info(ticket)
    window = info.get("window") if isinstance(info, dict) else None
    if not isinstance(window, dict):
        return None
    expires_at = window.get("expires_at")
    if isinstance(expires_at, str):
        expires_at = parse_datetime(expires_at)
    if not isinstance(expires_at, datetime):
        expires_at = None
    return {"open": bool(window.get("open")), "expires_at": expires_at, "left": _short_left(expires_at)}


def _short_left(expires_at: datetime | None) -> str:
    """ "5h" or "35m": what a list cell has room for."""
    if expires_at is None:
        return ""
    seconds = (expires_at - timezone.now()).total_seconds()
    if seconds <= 0:
        return ""
    if seconds >= 3600:
        return pgettext("time left, short", "%(hours)dh") % {"hours": int(seconds // 3600)}
    return pgettext("time left, short", "%(minutes)dm") % {"minutes": max(1, int(seconds // 60))}


@register.filter
def time_left(expires_at: datetime | None) -> str:
    """ "3 h 12 min", "45 min", "less than a minute": the same wording as the composer's live countdown
    (`formatLeft` in static/js/composer-util.js), so the header and the composer never disagree."""
    if not isinstance(expires_at, datetime):
        return ""
    minutes = int((expires_at - timezone.now()).total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


@register.filter
def delivery_symbol(status: str) -> str:
    return DELIVERY_SYMBOLS.get(status, "")


@register.filter
def comment_kind(comment) -> str:
    """customer | agent | auto | note | system: which bubble the conversation draws. A public comment without an
    author is a rule's automatic reply, sent to the customer like an agent's; a private one is a system note."""
    if comment.author_role == AuthorRole.END_USER:
        return "customer"
    if comment.author_role == AuthorRole.SYSTEM:
        return "auto" if comment.public else "system"
    return "agent" if comment.public else "note"


@register.filter
def comment_text(comment) -> str:
    """What a bubble says: a system note written from data is worded now, in the reader's language; every other
    message as it was stored (what the customer received stays as sent)."""
    if comment.author_role == AuthorRole.SYSTEM and not comment.public:
        data = comment.channel_data if isinstance(comment.channel_data, dict) else {}
        note = data.get("note")
        if isinstance(note, str):
            return system_note_text(note, data) or comment.body
    return comment.body


# A message that reached us later than this after its sender sent it says so on its bubble.
LATE_AFTER = timedelta(minutes=2)


@register.filter
def comment_sent_at(comment) -> datetime:
    """The sender's own send time: WhatsApp's `timestamp` for a customer's message, the time the Cloud API accepted
    ours; the time it was written for everything else (a queued message, a note)."""
    return comment.channel_sent_at or comment.created_at


def _delay_text(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    if minutes < 60:
        return _("%(count)d min") % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("%(count)d h") % {"count": hours}
    return _("%(count)d d") % {"count": hours // 24}


@register.filter
def received_late(comment) -> str:
    """'received 30 h later' for a customer's message that reached us more than LATE_AFTER after it was sent."""
    if comment.author_role != AuthorRole.END_USER or comment.channel_sent_at is None:
        return ""
    delay = comment.created_at - comment.channel_sent_at
    if delay <= LATE_AFTER:
        return ""
    return _("received %(delay)s later") % {"delay": _delay_text(delay)}


@register.filter
def is_inline_image(content_type: str) -> bool:
    return content_type in INLINE_IMAGE_TYPES


STATUS_CHOICES = dict(TicketStatus.choices)


@register.filter
def status_label(status: str) -> str:
    return str(STATUS_CHOICES.get(status, status))
