"""The catalogue of condition fields: for each, its operators, how its value is parsed and how it is evaluated.

Hours follow Zendesk (see `automations.conditions.time_fields`); everything else compares the ticket's or the
update's plain values (`Facts`).
"""

from collections.abc import Sequence
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.locale_field import LOCALE_SPEC
from automations.conditions.model import (
    AUTOMATION,
    CHANGE_OPERATORS,
    CURRENT_USER,
    NONE,
    PRIORITY_ORDER,
    ROLES,
    STATUS_ORDER,
    TRIGGER,
    TYPES,
    VIA_NAMES,
    VIAS,
    Condition,
    ConditionError,
    Facts,
    FieldSpec,
    Kind,
    Parser,
    digits,
    text_value,
)
from automations.conditions.time_fields import TIME_SPECS
from automations.conditions.word_fields import WORD_SPECS
from automations.conditions.zendesk_fields import ZENDESK_SPECS
from channels_whatsapp.window import window_at
from tickets.tags import TAG_RULE, split_tags

FIELDS: dict[str, FieldSpec] = {}
NO_VALUE = gettext_lazy("none")
# Zendesk's names for the same conditions; stored under our name.
FIELD_ALIASES = {
    "NEW": "hours_since_created",
    "OPEN": "hours_since_open",
    "PENDING": "hours_since_pending",
    "HOLD": "hours_since_hold",
    "SOLVED": "hours_since_solved",
    "updated_at": "hours_since_updated",
    "requester_updated_at": "hours_since_last_customer_message",
    "requester_is": "requester_role",
    "via_id": "via",
}
# Zendesk conditions SupportDesk does not have, with the reason given to whoever pastes them.
UNSUPPORTED = {
    "CLOSED": gettext_lazy("closed tickets are never changed, so automations skip them"),
    "assigned_at": gettext_lazy("the assignment time is not recorded; use hours_since_updated"),
    "assignee_updated_at": gettext_lazy("use hours_since_updated"),
    "due_date": gettext_lazy("tickets have no due date"),
    "until_due_date": gettext_lazy("tickets have no due date"),
    "organization_id": gettext_lazy("there are no organizations"),
    "brand_id": gettext_lazy("there are no brands"),
    "ticket_form_id": gettext_lazy("there are no ticket forms"),
    "satisfaction_score": gettext_lazy("there are no satisfaction ratings"),
    "recipient": gettext_lazy("there is no e-mail intake"),
    "description_includes_word": gettext_lazy("use comment_includes_word"),
    "reopens": gettext_lazy("reopen counts are not kept"),
    "replies": gettext_lazy("reply counts are not kept"),
    "agent_stations": gettext_lazy("assignment counts are not kept"),
    "group_stations": gettext_lazy("group counts are not kept"),
    "in_business_hours": gettext_lazy("business hours are not configured"),
    "exact_created_at": gettext_lazy("use hours_since_created"),
}


def _register(spec: FieldSpec) -> None:
    FIELDS[spec.name] = spec


def _is_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "-"))


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    raise ConditionError(_("%(value)s is not true or false.") % {"value": repr(value)})


def plain_value(value: Any) -> Any:
    """None for "no value" ("" in the stored JSON), so a ticket's None compares equal to it."""
    return None if value == NONE else value


def _changed(facts: Facts, name: str) -> tuple[bool, Any, Any]:
    old, new = facts.changes.get(name, (None, None))
    return (name in facts.changes and old != new), old, new


def _resolve(value: Any, facts: Facts) -> Any:
    if value == CURRENT_USER:
        return facts.current_user_id if facts.current_user_id is not None else object()  # nobody: never equal
    return plain_value(value)


def change_operator_holds(condition: Condition, facts: Facts) -> bool:
    return _change_operator(condition, facts, condition.field)


def field_spec(name: str) -> FieldSpec | None:
    """The catalogue's field, or a field made on demand (`custom_fields_<id>`: an admin-defined ticket field)."""
    spec = FIELDS.get(name)
    if spec is None and name.startswith("custom_fields_"):
        from automations.conditions.custom_field_conditions import spec_for

        spec = spec_for(name)
    return spec


def _change_operator(condition: Condition, facts: Facts, name: str) -> bool:
    changed, old, new = _changed(facts, name)
    expected = _resolve(condition.value, facts)
    op = condition.operator
    if op == "changed":
        return changed
    if op == "not_changed":
        return not changed
    if op == "value":
        return changed and new == expected
    if op == "value_previous":
        return changed and old == expected
    if op == "not_value":
        return not (changed and new == expected)
    if op == "not_value_previous":
        return not (changed and old == expected)
    raise AssertionError(op)


def _compare(condition: Condition, actual: Any, facts: Facts, order: Sequence[str] = ()) -> bool:
    op = condition.operator
    if op in CHANGE_OPERATORS:
        return _change_operator(condition, facts, condition.field)
    expected = _resolve(condition.value, facts)
    if op == "is":
        return actual == expected
    if op == "is_not":
        return actual != expected
    position = order.index(actual if actual is not None else NONE)
    if op == "less_than":
        return position < order.index(condition.value)
    if op == "greater_than":
        return position > order.index(condition.value)
    raise AssertionError(op)


# Choices: status, priority, type, via ----------------------------------------------------------------------


def _choice_parser(name: str, choices: Sequence[str], *, blank: bool) -> Parser:
    def parse(operator: str, value: Any, kind: Kind) -> Any:
        if operator in ("changed", "not_changed"):
            return None
        if blank and _is_none(value):
            return NONE
        text = text_value(value).lower()
        if name == "via" and text in VIA_NAMES:
            text = VIA_NAMES[text]
        if text not in choices:
            allowed = ", ".join(choices)
            if blank:
                allowed = _('%(choices)s, or "" for none') % {"choices": allowed}
            params = {"value": repr(value), "field": name, "allowed": allowed}
            raise ConditionError(_("%(value)s is not a valid %(field)s (%(allowed)s).") % params)
        return text

    return parse


_register(
    FieldSpec(
        "status",
        ("is", "is_not", "less_than", "greater_than"),
        _choice_parser("status", STATUS_ORDER, blank=False),
        lambda c, f: _compare(c, f.status, f, STATUS_ORDER),
        trigger_operators=CHANGE_OPERATORS,
        values=", ".join(STATUS_ORDER),
    )
)
_register(
    FieldSpec(
        "priority",
        ("is", "is_not", "less_than", "greater_than"),
        _choice_parser("priority", PRIORITY_ORDER[1:], blank=True),
        lambda c, f: _compare(c, f.priority, f, PRIORITY_ORDER),
        trigger_operators=CHANGE_OPERATORS,
        values=format_lazy('"" ({none}), {values}', none=NO_VALUE, values=", ".join(PRIORITY_ORDER[1:])),
    )
)
_register(
    FieldSpec(
        "type",
        ("is", "is_not"),
        _choice_parser("type", TYPES, blank=True),
        lambda c, f: _compare(c, f.type, f),
        trigger_operators=CHANGE_OPERATORS,
        values=format_lazy('"" ({none}), {values}', none=NO_VALUE, values=", ".join(TYPES)),
    )
)
_register(
    FieldSpec(
        "via",
        ("is", "is_not"),
        _choice_parser("via", VIAS, blank=False),
        lambda c, f: _compare(c, f.via, f),
        values=", ".join(VIAS),
    )
)


# Ids: group, assignee, requester -----------------------------------------------------------------------------


def _id_parser(name: str, *, current_user: bool) -> Parser:
    def parse(operator: str, value: Any, kind: Kind) -> Any:
        if operator in ("changed", "not_changed"):
            return None
        if _is_none(value):
            return NONE
        if isinstance(value, str) and value.strip() == CURRENT_USER:
            if not current_user:
                raise ConditionError(_("%(field)s cannot be current_user.") % {"field": name})
            if kind == AUTOMATION:
                raise ConditionError(_("current_user is the agent making the update; automations run without one."))
            return CURRENT_USER
        if isinstance(value, bool):
            raise ConditionError(_("%(value)s is not an id.") % {"value": repr(value)})
        if isinstance(value, str) and digits(value.strip()):
            value = int(value.strip())
        if not isinstance(value, int) or value <= 0 or value > 2**63 - 1:
            if current_user:
                raise ConditionError(
                    _('%(value)s is not an id (a number, "current_user", or "" for none).') % {"value": repr(value)}
                )
            raise ConditionError(_('%(value)s is not an id (a number, or "" for none).') % {"value": repr(value)})
        return value

    return parse


# requester_id names a contact (end users are not agents), so it is never the current user.
for _name, _current_user in (("group_id", False), ("assignee_id", True), ("requester_id", False)):
    _register(
        FieldSpec(
            _name,
            ("is", "is_not"),
            _id_parser(_name, current_user=_current_user),
            (lambda name: lambda c, f: _compare(c, getattr(f, name), f))(_name),
            trigger_operators=CHANGE_OPERATORS,
            values=(
                gettext_lazy('an id, "" for none, or current_user')
                if _current_user
                else gettext_lazy('an id, "" for none')
            ),
        )
    )


# Tags ---------------------------------------------------------------------------------------------------------


def _tags_parser(operator: str, value: Any, kind: Kind) -> str:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        words = [word for item in value for word in item.split()]
    elif isinstance(value, str):
        words = value.split()
    else:
        raise ConditionError(_("%(value)s is not a list of tags (separated by spaces).") % {"value": repr(value)})
    tags, bad = split_tags(words)
    if bad is not None:
        raise ConditionError(_("'%(tag)s' is not a valid tag (%(rule)s).") % {"tag": bad, "rule": TAG_RULE})
    if not tags:
        raise ConditionError(_("give at least one tag."))
    return " ".join(tags)


def _tags(condition: Condition, facts: Facts) -> bool:
    found = any(tag in facts.tags for tag in condition.value.split())  # facts.tags may be read on first use
    return found if condition.operator == "includes" else not found


_register(
    FieldSpec(
        "current_tags",
        ("includes", "not_includes"),
        _tags_parser,
        _tags,
        values=gettext_lazy("tags separated by spaces (includes: at least one of them; not_includes: none of them)"),
    )
)


# Words in the update's comment or the subject -----------------------------------------------------------------


for _spec in WORD_SPECS:  # comment_includes_word, subject_includes_word (word_fields.py)
    _register(_spec)


# The update: its type, its comment, who made it ---------------------------------------------------------------


def _update_type_parser(operator: str, value: Any, kind: Kind) -> str:
    text = text_value(value).lower()
    if text not in ("create", "change"):
        raise ConditionError(_("%(value)s is not Create or Change.") % {"value": repr(value)})
    return text.capitalize()


def _positive(condition: Condition, result: bool) -> bool:
    return result if condition.operator == "is" else not result


_register(
    FieldSpec(
        "update_type",
        ("is", "is_not"),
        _update_type_parser,
        lambda c, f: _positive(c, (f.update_type or "") == c.value.lower()),
        kinds=(TRIGGER,),
        default_operator="is",
        values=gettext_lazy("Create or Change"),
    )
)

COMMENT_PUBLIC_VALUES = ("true", "false", "not_relevant", "requester_can_see_comment")


def _comment_public_parser(operator: str, value: Any, kind: Kind) -> str:
    if isinstance(value, str) and value.strip().lower() in COMMENT_PUBLIC_VALUES:
        return value.strip().lower()
    try:
        return _flag(value)
    except ConditionError:
        raise ConditionError(
            _("%(value)s is not one of %(allowed)s.")
            % {"value": repr(value), "allowed": ", ".join(COMMENT_PUBLIC_VALUES)}
        ) from None


def _comment_public(condition: Condition, facts: Facts) -> bool:
    public = facts.comment_public
    result = {
        "true": public is True,
        "requester_can_see_comment": public is True,
        "false": public is False,
        "not_relevant": public is not None,  # Zendesk: "present", public or private
    }[condition.value]
    return _positive(condition, result)


_register(
    FieldSpec(
        "comment_is_public",
        ("is", "is_not"),
        _comment_public_parser,
        _comment_public,
        kinds=(TRIGGER,),
        default_operator="is",
        values=", ".join(COMMENT_PUBLIC_VALUES),
    )
)


def _role_parser(operator: str, value: Any, kind: Kind) -> str:
    text = text_value(value).lower().replace("-", "_")
    if text not in ROLES:
        raise ConditionError(
            _("%(value)s is not a role (%(allowed)s).") % {"value": repr(value), "allowed": ", ".join(ROLES)}
        )
    return text


def _role_matches(role: str | None, expected: str) -> bool:
    if expected == "agent":
        return role in ("agent", "admin")  # an admin is an agent too
    return role == expected


_register(
    FieldSpec(
        "role",
        ("is", "is_not"),
        _role_parser,
        lambda c, f: _positive(c, _role_matches(f.current_user_role, c.value)),
        kinds=(TRIGGER,),
        values=gettext_lazy("end_user, agent (agents and admins), admin"),
    )
)
_register(
    FieldSpec(
        "requester_role",
        ("is", "is_not"),
        _role_parser,
        lambda c, f: _positive(c, _role_matches(f.requester_role, c.value)),
        values=gettext_lazy("end_user, agent, admin (requesters are contacts: always end_user)"),
    )
)


# WhatsApp ------------------------------------------------------------------------------------------------------


def window_open(facts: Facts) -> bool:
    return facts.via == "whatsapp" and window_at(facts.last_customer_message_at, facts.now).open


def _window_parser(operator: str, value: Any, kind: Kind) -> str:
    text = text_value(value).lower()
    if text not in ("open", "closed"):
        raise ConditionError(_("%(value)s is not open or closed.") % {"value": repr(value)})
    return text


_register(
    FieldSpec(
        "whatsapp_window",
        ("is", "is_not"),
        _window_parser,
        lambda c, f: _positive(c, window_open(f) == (c.value == "open")),
        values=gettext_lazy(
            "open or closed (only a WhatsApp ticket whose customer wrote in the last 24 hours is open)"
        ),
    )
)
_register(
    FieldSpec(
        "customer_waiting",
        ("is", "is_not"),
        lambda op, value, kind: _flag(value),
        lambda c, f: _positive(c, f.customer_waiting == (c.value == "true")),
        values=gettext_lazy("true or false (true: the latest public message of a person is the customer's)"),
    )
)


for _spec in (
    *WORD_SPECS,
    *TIME_SPECS,
    LOCALE_SPEC,
    *ZENDESK_SPECS,
):  # the Zendesk ones replace via, assignee_id, requester_id
    _register(_spec)
