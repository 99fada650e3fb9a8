"""The event log's sentences. Events are stored as a type plus data (`tickets.events`) and worded here, when they are
shown, in the reader's language: an old row reads in German as well as a new one."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from tickets import events
from tickets.models import AuthorRole, Event, TicketPriority, TicketStatus, TicketType, Via

FIELD_LABELS = {
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "type": gettext_lazy("type"),
    "tags": gettext_lazy("tags"),
    "subject": gettext_lazy("subject"),
    "group_id": gettext_lazy("group"),
    "assignee_id": gettext_lazy("assignee"),
    "requester_id": gettext_lazy("requester"),
    "email_cc_ids": gettext_lazy("CCs"),
    "follower_ids": gettext_lazy("followers"),
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
COMMENT_KINDS = {
    "public": gettext_lazy("public reply"),
    "internal": gettext_lazy("internal note"),
    AuthorRole.END_USER: gettext_lazy("customer message"),
    AuthorRole.SYSTEM: gettext_lazy("system note"),
}
# Delivery states inside a sentence ("Delivery status changed from sent to delivered"): lower case, unlike the labels.
DELIVERY_WORDS = {
    "queued": pgettext_lazy("delivery status in a sentence", "queued"),
    "sent": pgettext_lazy("delivery status in a sentence", "sent"),
    "delivered": pgettext_lazy("delivery status in a sentence", "delivered"),
    "read": pgettext_lazy("delivery status in a sentence", "read"),
    "failed": pgettext_lazy("delivery status in a sentence", "failed"),
}
REDACTION_PLACES = {
    "comment": gettext_lazy("the customer's message"),
    "filename": gettext_lazy("a file name"),
}


def actor_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _value(field: str, value: Any, names: dict) -> str:
    if value is None or value == "" or value == []:
        return _("(none)")
    if field == "assignee_id":
        return names.get("users", {}).get(value) or _("agent #%(id)s") % {"id": value}
    if field == "group_id":
        return names.get("groups", {}).get(value) or _("group #%(id)s") % {"id": value}
    if field == "follower_ids" and isinstance(value, list | tuple):
        return ", ".join(_value("assignee_id", v, names) for v in value)
    if isinstance(value, list | tuple):
        return " ".join(f"#{v}" if field == "email_cc_ids" else str(v) for v in value)
    return str(VALUE_LABELS.get(field, {}).get(value, value))


def _titled(data: dict, *keys: str) -> str:
    for key in keys:
        if data.get(key):
            return str(data[key])
    return ""


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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


def _field_changed(data: dict, actor: str, names: dict) -> str:
    field = data["field"]
    # An admin-defined ticket field's event carries its title as it was then.
    label = data.get("title") or str(FIELD_LABELS.get(field, field.removesuffix("_id").replace("_", " ")))
    old, new = _value(field, data.get("from"), names), _value(field, data.get("to"), names)
    if actor:
        return _("%(actor)s changed %(field)s from %(old)s to %(new)s") % {
            "actor": actor,
            "field": label,
            "old": old,
            "new": new,
        }
    return _("%(field)s changed from %(old)s to %(new)s") % {"field": label.capitalize(), "old": old, "new": new}


def _ticket_created(data: dict) -> str:
    via = str(dict(Via.choices).get(data.get("via"), data.get("via") or ""))
    follow_up_of = data.get("follow_up_of")
    if via and follow_up_of:
        return _("Ticket created via %(via)s as a follow-up of #%(ticket)s") % {"via": via, "ticket": follow_up_of}
    if via:
        return _("Ticket created via %(via)s") % {"via": via}
    if follow_up_of:
        return _("Ticket created as a follow-up of #%(ticket)s") % {"ticket": follow_up_of}
    return _("Ticket created")


def _comment_added(data: dict) -> str:
    role = data.get("author_role")
    if role in (AuthorRole.END_USER, AuthorRole.SYSTEM):
        kind = COMMENT_KINDS[role]
    else:
        kind = COMMENT_KINDS["public" if data.get("public", True) else "internal"]
    count = _count(data.get("attachments")) or 0
    if not count:
        return _("Comment added (%(kind)s)") % {"kind": kind}
    return ngettext(
        "Comment added (%(kind)s, %(count)s attachment)", "Comment added (%(kind)s, %(count)s attachments)", count
    ) % {"kind": kind, "count": count}


def _delivery_failed(data: dict) -> str:
    # Plain words first, as on the bubble and the banner; the code last, for whoever looks it up.
    title, code = str(data.get("title") or ""), str(data.get("code") or "")
    reason = f"{title} ({code})" if title and code else title or code
    text = _("Not delivered: %(reason)s") % {"reason": reason} if reason else _("Not delivered")
    return f"{text}. {data['detail']}" if data.get("detail") else text


def _delivery_word(status: Any) -> str:
    return str(DELIVERY_WORDS.get(status, status))


def _delivery_status(data: dict) -> str:
    status, previous = data.get("status"), data.get("previous")
    if previous:
        return _("Delivery status changed from %(previous)s to %(status)s") % {
            "previous": _delivery_word(previous),
            "status": _delivery_word(status),
        }
    return _("Delivery status: %(status)s") % {"status": _delivery_word(status)}


def _rule_or_macro(kind: str, data: dict) -> str:
    noun = kind.split(".")[0]
    ident = data.get(f"{noun}_id") or data.get("id")
    title = _titled(data, "title", "name", f"{noun}_title") or (f"#{ident}" if ident else "")
    if kind == events.MACRO_APPLIED:
        return _("Macro applied: %(title)s") % {"title": title} if title else _("Macro applied")
    if kind == events.TRIGGER_FIRED:
        return _("Trigger fired: %(title)s") % {"title": title} if title else _("Trigger fired")
    return _("Automation fired: %(title)s") % {"title": title} if title else _("Automation fired")


def _redaction(data: dict) -> str:
    count = _count(data.get("count"))
    if count:
        where = str(REDACTION_PLACES.get(data.get("where"), _("a message")))
        return ngettext(
            "%(count)s credit card number masked in %(where)s",
            "%(count)s credit card numbers masked in %(where)s",
            count,
        ) % {"count": count, "where": where}
    what = _titled(data, "kind", "what", "reason")
    return _("Sensitive data redacted (%(what)s)") % {"what": what} if what else _("Sensitive data redacted")


def _contact_changed(kind: str, data: dict, actor: str) -> str:
    if kind == events.CONTACT_REPAIRED:
        words = {"actor": actor, "old": data.get("from") or "-", "new": data.get("to") or "-"}
        if actor:
            return _("%(actor)s changed the customer's WhatsApp number from %(old)s to %(new)s") % words
        return _("Changed the customer's WhatsApp number from %(old)s to %(new)s") % words
    words = {"actor": actor, "source": data.get("from_contact_id"), "target": data.get("to_contact_id")}
    if actor:
        return _("%(actor)s merged contact #%(source)s into the requester #%(target)s") % words
    return _("Merged contact #%(source)s into the requester #%(target)s") % words


def describe_event(event: Event, names: dict | None = None) -> str:
    """One readable sentence for an audit row; an unknown type reads as its name plus its data."""
    names = names or {}
    data = event.data or {}
    actor = actor_name(event.actor)
    kind = event.type
    if kind == events.FIELD_CHANGED and "field" in data:
        return _field_changed(data, actor, names)
    if kind == events.TICKET_CREATED:
        return _ticket_created(data)
    if kind == events.COMMENT_ADDED:
        return _comment_added(data)
    if kind == events.DELIVERY_FAILED:
        return _delivery_failed(data)
    if kind == events.DELIVERY_RETRIED:
        code = str(data.get("code") or "")
        return (
            _("Failed message sent again (it had failed with %(code)s)") % {"code": code}
            if code
            else _("Failed message sent again")
        )
    if kind == events.DELIVERY_STATUS:
        return _delivery_status(data)
    if kind in (events.MACRO_APPLIED, events.TRIGGER_FIRED, events.AUTOMATION_FIRED):
        return _rule_or_macro(kind, data)
    if kind == events.REDACTION_APPLIED:
        return _redaction(data)
    if kind == events.NOTIFICATION_SENT:
        return _notification(data, names)
    if kind == events.MESSAGE_REACTION:
        emoji = _titled(data, "emoji", "reaction")
        return _("Customer reacted %(emoji)s") % {"emoji": emoji} if emoji else _("Customer removed a reaction")
    if kind in (events.CONTACT_REPAIRED, events.CONTACT_MERGED):
        return _contact_changed(kind, data, actor)
    if kind == events.MESSAGE_EDITED:
        return _("Customer edited a message")
    if kind == events.MESSAGE_REVOKED:
        return _("Customer deleted a message")
    return _generic(event)
