"""Presentation helpers of the agent pages: event sentences, delivery ticks, the WhatsApp window."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import events
from tickets.hooks import channel_info
from tickets.models import AuthorRole, DeliveryStatus, Event, TicketPriority, TicketStatus, TicketType, Via

register = template.Library()

FIELD_LABELS = {
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "type": gettext_lazy("type"),
    "tags": gettext_lazy("tags"),
    "subject": gettext_lazy("subject"),
    "group_id": gettext_lazy("group"),
    "assignee_id": gettext_lazy("assignee"),
    "requester_id": gettext_lazy("requester"),
}
# Stored values -> the labels the pages show ("hold" -> "On-hold").
VALUE_LABELS = {
    "status": dict(TicketStatus.choices),
    "priority": dict(TicketPriority.choices),
    "type": dict(TicketType.choices),
}
# Who a rule's notification went to (`recipient` of a notification.sent row) and by which channel.
RECIPIENT_LABELS = {
    "requester_id": gettext_lazy("the requester"),
    "assignee_id": gettext_lazy("the assignee"),
    "current_user": gettext_lazy("the current user"),
    "group_id": gettext_lazy("the ticket's group"),
}
CHANNEL_LABELS = {"whatsapp": gettext_lazy("WhatsApp"), "email": gettext_lazy("e-mail")}
DELIVERY_SYMBOLS = {
    DeliveryStatus.QUEUED: "\u23f1",  # stopwatch
    DeliveryStatus.SENT: "\u2713",
    DeliveryStatus.DELIVERED: "\u2713\u2713",
    DeliveryStatus.READ: "\u2713\u2713",
    DeliveryStatus.FAILED: "\u2717",
}
# Raster images only: an SVG shown inline could run script in our origin.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
COMMENT_KINDS = {"public": "public reply", "internal": "internal note", AuthorRole.END_USER: "customer message"}


def actor_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _value(field: str, value: Any, names: dict) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if field == "assignee_id":
        return names.get("users", {}).get(value, f"agent #{value}")
    if field == "group_id":
        return names.get("groups", {}).get(value, f"group #{value}")
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(VALUE_LABELS.get(field, {}).get(value, value))


def _titled(data: dict, *keys: str) -> str:
    for key in keys:
        if data.get(key):
            return str(data[key])
    return ""


def _generic(event: Event) -> str:
    details = ", ".join(f"{key}={value}" for key, value in sorted(event.data.items()))
    return f"{event.type} ({details})" if details else event.type


def _notification(data: dict, names: dict) -> str:
    recipient = str(data.get("recipient") or "")
    if recipient in RECIPIENT_LABELS:
        to = str(RECIPIENT_LABELS[recipient])
    elif recipient.isdigit():
        to = names.get("users", {}).get(int(recipient)) or _("agent #%(id)s") % {"id": recipient}
    else:
        to = ""
    channel = data.get("channel")
    via = str(CHANNEL_LABELS.get(channel, channel or ""))
    if to and via:
        return _("Notification sent to %(to)s (%(via)s)") % {"to": to, "via": via}
    if to:
        return _("Notification sent to %(to)s") % {"to": to}
    return _("Notification sent (%(via)s)") % {"via": via} if via else _("Notification sent")


def describe_event(event: Event, names: dict | None = None) -> str:
    """One readable sentence for an audit row; an unknown type reads as its name plus its data."""
    names = names or {}
    data = event.data or {}
    actor = actor_name(event.actor)
    kind = event.type
    if kind == events.FIELD_CHANGED and "field" in data:
        field = data["field"]
        label = str(FIELD_LABELS.get(field, field.removesuffix("_id").replace("_", " ")))
        old, new = _value(field, data.get("from"), names), _value(field, data.get("to"), names)
        if actor:
            return _("%(actor)s changed %(field)s from %(old)s to %(new)s") % {
                "actor": actor,
                "field": label,
                "old": old,
                "new": new,
            }
        return _("%(field)s changed from %(old)s to %(new)s") % {"field": label.capitalize(), "old": old, "new": new}
    if kind == events.TICKET_CREATED:
        via = dict(Via.choices).get(data.get("via"), data.get("via") or "")
        text = f"Ticket created via {via}" if via else "Ticket created"
        if data.get("follow_up_of"):
            text += f" as a follow-up of #{data['follow_up_of']}"
        return text
    if kind == events.COMMENT_ADDED:
        if data.get("author_role") == AuthorRole.END_USER:
            what = COMMENT_KINDS[AuthorRole.END_USER]
        elif data.get("author_role") == AuthorRole.SYSTEM:
            what = "system note"
        else:
            what = COMMENT_KINDS["public" if data.get("public", True) else "internal"]
        count = data.get("attachments") or 0
        files = f", {count} attachment{'s' if count != 1 else ''}" if count else ""
        return f"Comment added ({what}{files})"
    if kind == events.DELIVERY_FAILED:
        # Plain words first, as on the bubble and the banner; the code last, for whoever looks it up.
        title, code = str(data.get("title") or ""), str(data.get("code") or "")
        reason = f"{title} ({code})" if title and code else title or code
        text = _("Not delivered: %(reason)s") % {"reason": reason} if reason else _("Not delivered")
        return f"{text}. {data['detail']}" if data.get("detail") else text
    if kind == events.DELIVERY_RETRIED:
        code = str(data.get("code") or "")
        return (
            _("Failed message sent again (it had failed with %(code)s)") % {"code": code}
            if code
            else _("Failed message sent again")
        )
    if kind == events.DELIVERY_STATUS:
        status, previous = data.get("status"), data.get("previous")
        if previous:
            return f"Delivery status changed from {previous} to {status}"
        return f"Delivery status: {status}"
    if kind in (events.MACRO_APPLIED, events.TRIGGER_FIRED, events.AUTOMATION_FIRED):
        noun = kind.split(".")[0]
        verb = "applied" if kind == events.MACRO_APPLIED else "fired"
        ident = data.get(f"{noun}_id") or data.get("id")
        title = _titled(data, "title", "name", f"{noun}_title") or (f"#{ident}" if ident else "")
        return f"{noun.capitalize()} {verb}: {title}" if title else f"{noun.capitalize()} {verb}"
    if kind == events.REDACTION_APPLIED:
        count = data.get("count")
        if count:
            where = {"comment": "the customer's message", "filename": "a file name"}.get(data.get("where"), "a message")
            noun = "credit card number" if count == 1 else "credit card numbers"
            return f"{count} {noun} masked in {where}"
        what = _titled(data, "kind", "what", "reason")
        return f"Sensitive data redacted ({what})" if what else "Sensitive data redacted"
    if kind == events.NOTIFICATION_SENT:
        return _notification(data, names)
    if kind == events.MESSAGE_REACTION:
        emoji = _titled(data, "emoji", "reaction")
        return f"Customer reacted {emoji}" if emoji else "Customer removed a reaction"
    if kind == events.CONTACT_REPAIRED:
        who = f"{actor} changed" if actor else "Changed"
        return f"{who} the customer's WhatsApp number from {data.get('from') or '-'} to {data.get('to') or '-'}"
    if kind == events.CONTACT_MERGED:
        who = f"{actor} merged" if actor else "Merged"
        return f"{who} contact #{data.get('from_contact_id')} into the requester #{data.get('to_contact_id')}"
    if kind == events.MESSAGE_EDITED:
        return "Customer edited a message"
    if kind == events.MESSAGE_REVOKED:
        return "Customer deleted a message"
    return _generic(event)


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
    return f"{int(seconds // 3600)}h" if seconds >= 3600 else f"{max(1, int(seconds // 60))}m"


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
    return STATUS_CHOICES.get(status, status)
