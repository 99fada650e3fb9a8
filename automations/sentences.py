"""Business rules as sentences for people: "When a ticket is created and via is WhatsApp, then notify the requester".

Pure: takes stored definitions and the names of the users, groups and contacts they mention (see
`selectors.names_for`), reads nothing else.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy

from automations.conditions.fields import FIELDS
from automations.conditions.model import PRIORITY_ORDER, STATUS_ORDER, digits

Names = Mapping[str, Mapping[int, str]]

FIELD_LABELS = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "via": "channel",
    "group_id": "group",
    "assignee_id": "assignee",
    "requester_id": "requester",
    "hours_since_created": "hours since created",
    "hours_since_updated": "hours since the last update",
    "hours_since_last_customer_message": "hours since the customer's last message",
    "hours_until_window_closes": "hours until the WhatsApp window closes",
    "hours_since_open": "hours since open",
    "hours_since_pending": "hours since pending",
    "hours_since_hold": "hours since on-hold",
    "hours_since_solved": "hours since solved",
    "locale_id": gettext_lazy("the requester's language"),
}
VALUE_LABELS = {
    "whatsapp": "WhatsApp",
    "web": "web",
    "api": "API",
    "email": "e-mail",
    "hold": "on-hold",
    "end_user": "an end user",
    "agent": "an agent",
    "admin": "an admin",
}
OPERATOR_WORDS = {
    "is": "is",
    "is_not": "is not",
    "less_than": "is less than",
    "greater_than": "is greater than",
    "value": "changed to",
    "value_previous": "changed from",
    "not_value": "did not change to",
    "not_value_previous": "did not change from",
}


def _value(field: str, value: Any, names: Names) -> str:
    if value in ("", None):
        return {"group_id": "no group", "assignee_id": "nobody", "priority": "none", "type": "none"}.get(field, "none")
    if value == "current_user":
        return "the current user"
    if field == "group_id":
        return names.get("groups", {}).get(value, f"group {value}")
    if field == "assignee_id":
        return names.get("users", {}).get(value, f"user {value}")
    if field == "requester_id":
        return names.get("contacts", {}).get(value, f"contact {value}")
    return VALUE_LABELS.get(str(value), str(value))


def condition_sentence(condition: Mapping[str, Any], names: Names) -> str:
    field, op, value = condition.get("field"), condition.get("operator"), condition.get("value")
    label = FIELD_LABELS.get(field, field)
    if field == "update_type":
        created = str(value).lower() == "create"
        return f"the ticket {'is' if op == 'is' else 'is not'} {'created' if created else 'updated'}"
    if field == "current_tags":
        tags = ", ".join(str(value).split())
        return f"tags contain {'at least one of' if op == 'includes' else 'none of'}: {tags}"
    if field in ("comment_includes_word", "subject_includes_word"):
        where = "the comment" if field.startswith("comment") else "the subject"
        words = {
            "includes": "contains at least one of the words",
            "not_includes": "contains none of the words",
            "is": "contains the phrase",
            "is_not": "does not contain the phrase",
        }[op]
        return f"{where} {words} “{value}”"
    if field == "comment_is_public":
        kind = {
            "true": "a public comment",
            "requester_can_see_comment": "a public comment",
            "false": "an internal note",
        }
        phrase = kind.get(value, "a comment")
        return f"the update {'has' if op == 'is' else 'has no'} {phrase}"
    if field == "role":
        return f"the update {'is' if op == 'is' else 'is not'} by {VALUE_LABELS.get(value, value)}"
    if field == "requester_role":
        return f"the requester {'is' if op == 'is' else 'is not'} {VALUE_LABELS.get(value, value)}"
    if field == "whatsapp_window":
        return f"the WhatsApp window {'is' if op == 'is' else 'is not'} {value}"
    if field == "customer_waiting":
        waiting = (value == "true") == (op == "is")
        return "the customer is waiting for a reply" if waiting else "the customer is not waiting for a reply"
    if op == "changed":
        return f"{label} changed"
    if op == "not_changed":
        return f"{label} did not change"
    words = OPERATOR_WORDS.get(op, op)
    if field in ("status", "priority") and op in ("less_than", "greater_than"):
        order = STATUS_ORDER if field == "status" else PRIORITY_ORDER[1:]
        return f"{label} is {'before' if op == 'less_than' else 'after'} {_value(field, value, names)} ({' < '.join(order)})"
    if FIELDS.get(field) is not None and FIELDS[field].time:
        return f"{label} {words} {value}"
    return f"{label} {words} {_value(field, value, names)}"


def conditions_sentence(conditions: Mapping[str, Any], names: Names) -> str:
    all_part = [condition_sentence(c, names) for c in conditions.get("all", [])]
    any_part = [condition_sentence(c, names) for c in conditions.get("any", [])]
    parts = list(all_part)
    if len(any_part) == 1:
        parts.append(any_part[0])
    elif any_part:
        parts.append("at least one of: " + "; or ".join(any_part))
    return ", and ".join(parts) if parts else "always"


def _recipient(target: str, names: Names) -> str:
    if target == "requester_id":
        return "the requester"
    if target == "assignee_id":
        return "the assignee"
    if target == "current_user":
        return "the current user"
    if target == "group_id":
        return "the ticket's group"
    return names.get("users", {}).get(int(target), f"user {target}") if digits(str(target)) else str(target)


def _quote(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def action_sentence(action: Mapping[str, Any], names: Names) -> str:
    field, value = action.get("field"), action.get("value")
    if field in ("status", "priority", "type"):
        if value in ("", None):
            return f"clear the {field}"
        return f"set {field} to {VALUE_LABELS.get(str(value), value)}"
    if field == "group_id":
        return "remove the group" if value in ("", None) else f"set group to {_value('group_id', value, names)}"
    if field == "assignee_id":
        if value in ("", None):
            return "unassign"
        return f"assign to {_value('assignee_id', value, names)}"
    if field == "current_tags":
        return f"add tags {', '.join(str(value).split())}"
    if field == "remove_tags":
        return f"remove tags {', '.join(str(value).split())}"
    if field == "set_tags":
        return f"replace the tags with {', '.join(str(value).split()) or 'nothing'}"
    if field == "subject":
        return f"set the subject to {_quote(value)}"
    if field in ("comment_value", "comment_value_html"):
        text = value[1] if isinstance(value, list) and len(value) == 2 else value
        return f"add a comment {_quote(text)}"
    if field == "comment_mode_is_public":
        return "make the comment public" if value else "make the comment an internal note"
    if field == "notification_user" and isinstance(value, list) and len(value) == 3:
        target, subject, body = value
        via = " (on WhatsApp for WhatsApp tickets, else by e-mail)" if target == "requester_id" else " by e-mail"
        what = _quote(body) if target == "requester_id" or not subject else _quote(subject)
        return f"notify {_recipient(str(target), names)}{via}: {what}"
    if field == "notification_group" and isinstance(value, list) and len(value) == 3:
        target, subject, _body = value
        group = "the ticket's group" if not digits(str(target)) else _value("group_id", int(target), names)
        return f"e-mail the members of {group}: {_quote(subject)}"
    return f"{field}: {value}"


def rule_sentences(rule: Any, *, kind: str, names: Names) -> dict[str, Any]:
    """`{"when": ..., "then": [...]}` for one trigger or automation."""
    opening = "When" if kind == "trigger" else "Every hour, for tickets where"
    when = conditions_sentence(rule.conditions or {}, names)
    return {"when": f"{opening} {when}", "then": [action_sentence(a, names) for a in rule.actions or []]}
