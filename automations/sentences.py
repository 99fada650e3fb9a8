"""Business rules as sentences for people: "When a ticket is created and via is WhatsApp, then notify the requester".

Pure: takes stored definitions and the names of the users, groups and contacts they mention (see
`selectors.names_for`), reads nothing else. Every condition and action is one translatable phrase with named
placeholders, so languages with another word order (German puts the verb elsewhere) can say it whole.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from automations.conditions.fields import FIELDS
from automations.conditions.model import PRIORITY_ORDER, STATUS_ORDER, digits

Names = Mapping[str, Mapping[int, str]]

FIELD_LABELS = {
    "status": pgettext_lazy("rule field", "status"),
    "priority": pgettext_lazy("rule field", "priority"),
    "type": pgettext_lazy("rule field", "type"),
    "via": pgettext_lazy("rule field", "channel"),
    "group_id": pgettext_lazy("rule field", "group"),
    "assignee_id": pgettext_lazy("rule field", "assignee"),
    "requester_id": pgettext_lazy("rule field", "requester"),
    "hours_since_created": gettext_lazy("hours since created"),
    "hours_since_updated": gettext_lazy("hours since the last update"),
    "hours_since_last_customer_message": gettext_lazy("hours since the customer's last message"),
    "hours_until_window_closes": gettext_lazy("hours until the WhatsApp window closes"),
    "hours_since_open": gettext_lazy("hours since open"),
    "hours_since_pending": gettext_lazy("hours since pending"),
    "hours_since_hold": gettext_lazy("hours since on-hold"),
    "hours_since_solved": gettext_lazy("hours since solved"),
    "locale_id": gettext_lazy("the requester's language"),
    "current_via_id": gettext_lazy("the channel of the update"),
}
# The values of status, priority and type by their stored names (English shows the stored name itself).
CHOICE_LABELS = {
    "status": {
        "new": pgettext_lazy("ticket status", "new"),
        "open": pgettext_lazy("ticket status", "open"),
        "pending": pgettext_lazy("ticket status", "pending"),
        "hold": pgettext_lazy("ticket status", "hold"),
        "solved": pgettext_lazy("ticket status", "solved"),
        "closed": pgettext_lazy("ticket status", "closed"),
    },
    "priority": {
        "low": pgettext_lazy("ticket priority", "low"),
        "normal": pgettext_lazy("ticket priority", "normal"),
        "high": pgettext_lazy("ticket priority", "high"),
        "urgent": pgettext_lazy("ticket priority", "urgent"),
    },
    "type": {
        "question": pgettext_lazy("ticket type", "question"),
        "incident": pgettext_lazy("ticket type", "incident"),
        "problem": pgettext_lazy("ticket type", "problem"),
        "task": pgettext_lazy("ticket type", "task"),
    },
}
VALUE_LABELS = {
    "whatsapp": "WhatsApp",
    "web": pgettext_lazy("channel", "web"),
    "api": "API",
    "email": pgettext_lazy("channel", "e-mail"),
    "hold": pgettext_lazy("ticket status", "on-hold"),
}
# One whole phrase per operator: %(field)s is the field's label, %(value)s the value.
OPERATOR_PHRASES = {
    "is": gettext_lazy("%(field)s is %(value)s"),
    "is_not": gettext_lazy("%(field)s is not %(value)s"),
    "less_than": gettext_lazy("%(field)s is less than %(value)s"),
    "greater_than": gettext_lazy("%(field)s is greater than %(value)s"),
    "value": gettext_lazy("%(field)s changed to %(value)s"),
    "value_previous": gettext_lazy("%(field)s changed from %(value)s"),
    "not_value": gettext_lazy("%(field)s did not change to %(value)s"),
    "not_value_previous": gettext_lazy("%(field)s did not change from %(value)s"),
}
# Who made the update / who the requester is, by role and operator (whole phrases: the role's grammar differs).
ROLE_PHRASES = {
    ("role", "is", "end_user"): gettext_lazy("the update is by an end user"),
    ("role", "is", "agent"): gettext_lazy("the update is by an agent"),
    ("role", "is", "admin"): gettext_lazy("the update is by an admin"),
    ("role", "is_not", "end_user"): gettext_lazy("the update is not by an end user"),
    ("role", "is_not", "agent"): gettext_lazy("the update is not by an agent"),
    ("role", "is_not", "admin"): gettext_lazy("the update is not by an admin"),
    ("requester_role", "is", "end_user"): gettext_lazy("the requester is an end user"),
    ("requester_role", "is", "agent"): gettext_lazy("the requester is an agent"),
    ("requester_role", "is", "admin"): gettext_lazy("the requester is an admin"),
    ("requester_role", "is_not", "end_user"): gettext_lazy("the requester is not an end user"),
    ("requester_role", "is_not", "agent"): gettext_lazy("the requester is not an agent"),
    ("requester_role", "is_not", "admin"): gettext_lazy("the requester is not an admin"),
}
WORD_PHRASES = {
    ("comment", "includes"): gettext_lazy("the comment contains at least one of the words “%(words)s”"),
    ("comment", "not_includes"): gettext_lazy("the comment contains none of the words “%(words)s”"),
    ("comment", "is"): gettext_lazy("the comment contains the phrase “%(words)s”"),
    ("comment", "is_not"): gettext_lazy("the comment does not contain the phrase “%(words)s”"),
    ("subject", "includes"): gettext_lazy("the subject contains at least one of the words “%(words)s”"),
    ("subject", "not_includes"): gettext_lazy("the subject contains none of the words “%(words)s”"),
    ("subject", "is"): gettext_lazy("the subject contains the phrase “%(words)s”"),
    ("subject", "is_not"): gettext_lazy("the subject does not contain the phrase “%(words)s”"),
}
COMMENT_PHRASES = {
    ("is", "public"): gettext_lazy("the update has a public comment"),
    ("is_not", "public"): gettext_lazy("the update has no public comment"),
    ("is", "note"): gettext_lazy("the update has an internal note"),
    ("is_not", "note"): gettext_lazy("the update has no internal note"),
    ("is", "any"): gettext_lazy("the update has a comment"),
    ("is_not", "any"): gettext_lazy("the update has no comment"),
}
WINDOW_PHRASES = {
    ("is", "open"): gettext_lazy("the WhatsApp window is open"),
    ("is", "closed"): gettext_lazy("the WhatsApp window is closed"),
    ("is_not", "open"): gettext_lazy("the WhatsApp window is not open"),
    ("is_not", "closed"): gettext_lazy("the WhatsApp window is not closed"),
}
SET_PHRASES = {
    "status": gettext_lazy("set status to %(value)s"),
    "priority": gettext_lazy("set priority to %(value)s"),
    "type": gettext_lazy("set type to %(value)s"),
}
CLEAR_PHRASES = {
    "status": gettext_lazy("clear the status"),
    "priority": gettext_lazy("clear the priority"),
    "type": gettext_lazy("clear the type"),
}


def _choice(field: str, value: Any) -> str:
    text = str(value)
    if text in VALUE_LABELS:
        return str(VALUE_LABELS[text])
    return str(CHOICE_LABELS.get(field, {}).get(text, text))


def _value(field: str, value: Any, names: Names) -> str:
    if value in ("", None):
        return {
            "group_id": pgettext("no value", "no group"),
            "assignee_id": pgettext("no value", "nobody"),
        }.get(field, pgettext("no value", "none"))
    if value == "current_user":
        return _("the current user")
    if value == "current_groups":
        return _("the current user's group")
    if field in ("assignee_id", "requester_id") and value in ("assignee_id", "requester_id"):
        return (
            pgettext("rule value", "the requester")
            if value == "requester_id"
            else pgettext("rule value", "the assignee")
        )
    if field == "group_id":
        return names.get("groups", {}).get(value) or _("group %(id)s") % {"id": value}
    if field == "assignee_id":
        return names.get("users", {}).get(value) or _("user %(id)s") % {"id": value}
    if field == "requester_id":
        return names.get("contacts", {}).get(value) or _("contact %(id)s") % {"id": value}
    return _choice(field, value)


def _list(value: Any) -> str:
    return ", ".join(str(value).split())


def condition_sentence(condition: Mapping[str, Any], names: Names) -> str:
    field, op, value = condition.get("field"), condition.get("operator"), condition.get("value")
    label = str(FIELD_LABELS.get(field, field))
    positive = op == "is"
    if field == "update_type":
        created = str(value).lower() == "create"
        if created:
            return _("the ticket is created") if positive else _("the ticket is not created")
        return _("the ticket is updated") if positive else _("the ticket is not updated")
    if field == "current_tags":
        if op == "includes":
            return _("tags contain at least one of: %(tags)s") % {"tags": _list(value)}
        return _("tags contain none of: %(tags)s") % {"tags": _list(value)}
    if field in ("comment_includes_word", "subject_includes_word"):
        where = "comment" if field.startswith("comment") else "subject"
        return str(WORD_PHRASES[(where, op)]) % {"words": value}
    if field == "comment_is_public":
        kind = {"true": "public", "requester_can_see_comment": "public", "false": "note"}.get(value, "any")
        return str(COMMENT_PHRASES[("is" if positive else "is_not", kind)])
    if field in ("role", "requester_role"):
        phrase = ROLE_PHRASES.get((field, "is" if positive else "is_not", value))
        if phrase is not None:
            return str(phrase)
    if field == "whatsapp_window":
        phrase = WINDOW_PHRASES.get(("is" if positive else "is_not", value))
        if phrase is not None:
            return str(phrase)
    if field == "ticket_is_public":
        public = (value == "public") == positive
        return _("the ticket has a public comment") if public else _("the ticket has no public comment")
    if field in ("via", "current_via_id") and op in ("includes", "not_includes"):
        params = {"field": label, "values": ", ".join(_choice(field, v) for v in value or [])}
        if op == "includes":
            return _("%(field)s is one of: %(values)s") % params
        return _("%(field)s is none of: %(values)s") % params
    if field == "customer_waiting":
        waiting = (value == "true") == positive
        return _("the customer is waiting for a reply") if waiting else _("the customer is not waiting for a reply")
    if op == "changed":
        return _("%(field)s changed") % {"field": label}
    if op == "not_changed":
        return _("%(field)s did not change") % {"field": label}
    if field in ("status", "priority") and op in ("less_than", "greater_than"):
        order = STATUS_ORDER if field == "status" else PRIORITY_ORDER[1:]
        params = {
            "field": label,
            "value": _value(field, value, names),
            "order": " < ".join(str(CHOICE_LABELS[field][name]) for name in order),
        }
        if op == "less_than":
            return _("%(field)s is before %(value)s (%(order)s)") % params
        return _("%(field)s is after %(value)s (%(order)s)") % params
    shown = value if FIELDS.get(field) is not None and FIELDS[field].time else _value(field, value, names)
    phrase = OPERATOR_PHRASES.get(op)
    if phrase is None:
        return f"{label} {op} {shown}"
    return str(phrase) % {"field": label, "value": shown}


def conditions_sentence(conditions: Mapping[str, Any], names: Names) -> str:
    all_part = [condition_sentence(c, names) for c in conditions.get("all", [])]
    any_part = [condition_sentence(c, names) for c in conditions.get("any", [])]
    parts = list(all_part)
    if len(any_part) == 1:
        parts.append(any_part[0])
    elif any_part:
        # Translators: the separator between alternative conditions ("a; or b; or c").
        either = pgettext("rule conditions", "; or ").join(any_part)
        parts.append(_("at least one of: %(conditions)s") % {"conditions": either})
    # Translators: the separator between conditions that must all hold ("a, and b, and c").
    return pgettext("rule conditions", ", and ").join(parts) if parts else _("always")


def _recipient(target: str, names: Names) -> str:
    # The recipient of "notify %(recipient)s ...": some languages decline it differently from a condition's value.
    if target == "requester_id":
        return pgettext("notification recipient", "the requester")
    if target == "assignee_id":
        return pgettext("notification recipient", "the assignee")
    if target == "current_user":
        return pgettext("notification recipient", "the current user")
    if target == "group_id":
        return pgettext("notification recipient", "the ticket's group")
    if target == "requester_and_ccs":
        return pgettext("notification recipient", "the requester and CCs")
    if target == "all_agents":
        return pgettext("notification recipient", "all agents")
    if digits(str(target)):
        return names.get("users", {}).get(int(target)) or _("user %(id)s") % {"id": target}
    return str(target)


def _quote(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def action_sentence(action: Mapping[str, Any], names: Names) -> str:
    field, value = action.get("field"), action.get("value")
    if field in ("status", "priority", "type"):
        if value in ("", None):
            return str(CLEAR_PHRASES[field])
        return str(SET_PHRASES[field]) % {"value": _choice(field, value)}
    if field == "group_id":
        if value in ("", None):
            return _("remove the group")
        return _("set group to %(group)s") % {"group": _value("group_id", value, names)}
    if field == "assignee_id":
        if value in ("", None):
            return _("unassign")
        return _("assign to %(assignee)s") % {"assignee": _value("assignee_id", value, names)}
    if field == "current_tags":
        return _("add tags %(tags)s") % {"tags": _list(value)}
    if field == "remove_tags":
        return _("remove tags %(tags)s") % {"tags": _list(value)}
    if field == "set_tags":
        return _("replace the tags with %(tags)s") % {"tags": _list(value) or pgettext("no tags", "nothing")}
    if field == "subject":
        return _("set the subject to %(subject)s") % {"subject": _quote(value)}
    if field in ("comment_value", "comment_value_html"):
        text = value[1] if isinstance(value, list) and len(value) == 2 else value
        return _("add a comment %(text)s") % {"text": _quote(text)}
    if field in ("reply_public", "reply_internal"):
        text = value.get("body") or value.get("html_body", "") if isinstance(value, dict) else value
        text = text[1] if isinstance(text, list) and len(text) == 2 else text
        if field == "reply_public":
            return _("add a public comment %(text)s") % {"text": _quote(text)}
        return _("add an internal note %(text)s") % {"text": _quote(text)}
    if field == "follower":
        return _("add %(user)s as a follower") % {"user": _value("assignee_id", value, names)}
    if field == "comment_mode_is_public":
        return _("make the comment public") if value else _("make the comment an internal note")
    if field == "notification_user" and isinstance(value, list) and len(value) == 3:
        target, subject, body = value
        to_customer = target in ("requester_id", "requester_and_ccs")
        what = _quote(body) if to_customer or not subject else _quote(subject)
        params = {"recipient": _recipient(str(target), names), "text": what}
        if target == "requester_id":
            return _("notify %(recipient)s (on WhatsApp for WhatsApp tickets, else by e-mail): %(text)s") % params
        if target == "requester_and_ccs":
            return (
                _("notify %(recipient)s (the requester on WhatsApp for WhatsApp tickets, CCs by e-mail): %(text)s")
                % params
            )
        return _("notify %(recipient)s by e-mail: %(text)s") % params
    if field == "notification_group" and isinstance(value, list) and len(value) == 3:
        target, subject, _body = value
        if not digits(str(target)):
            return _("e-mail the members of the ticket's group: %(subject)s") % {"subject": _quote(subject)}
        params = {"group": _value("group_id", int(target), names), "subject": _quote(subject)}
        return _("e-mail the members of %(group)s: %(subject)s") % params
    if field == "notification_webhook" and isinstance(value, list) and len(value) == 2:
        ident = str(value[0])
        name = names.get("webhooks", {}).get(int(ident)) if digits(ident) else None
        return _("call the webhook %(webhook)s") % {"webhook": name or _("webhook %(id)s") % {"id": ident}}
    return f"{field}: {value}"


def rule_sentences(rule: Any, *, kind: str, names: Names) -> dict[str, Any]:
    """`{"when": ..., "then": [...]}` for one trigger or automation."""
    when = conditions_sentence(rule.conditions or {}, names)
    if kind == "trigger":
        opening = _("When %(conditions)s") % {"conditions": when}
    else:
        opening = _("Every hour, for tickets where %(conditions)s") % {"conditions": when}
    return {"when": opening, "then": [action_sentence(a, names) for a in rule.actions or []]}
