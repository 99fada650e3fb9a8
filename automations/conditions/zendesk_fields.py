"""Zendesk conditions added for pasting Zendesk's own rules: `ticket_is_public`, `current_via_id`, `via` / `via_id`
with `includes`, and `assignee_id` / `requester_id` compared with `current_user` or with each other.

People are compared as (kind, id): an assignee is a user, a requester a contact, so "assignee is requester" never
holds (SupportDesk's requesters are never agents), and `current_user` is the agent who made the update, or the
contact whose message it was.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.model import (
    AUTOMATION,
    CHANGE_OPERATORS,
    CURRENT_USER,
    NONE,
    TRIGGER,
    VIA_IDS,
    VIA_NAMES,
    VIAS,
    Condition,
    ConditionError,
    Facts,
    FieldSpec,
    Kind,
    digits,
)

PEOPLE_FIELDS = {"assignee_id": "user", "requester_id": "contact"}
_NOBODY = object()  # never equal to anyone


# --- ticket_is_public ----------------------------------------------------------------------------------------


def _public_parser(operator: str, value: Any, kind: Kind) -> str:
    text = str(value).strip().lower() if isinstance(value, str | bool) else ""
    if text in ("public", "true"):
        return "public"
    if text in ("private", "false"):
        return "private"
    raise ConditionError(_("%(value)s is not public or private.") % {"value": repr(value)})


def _public(condition: Condition, facts: Facts) -> bool:
    result = facts.has_public_comment == (condition.value == "public")
    return result if condition.operator == "is" else not result


TICKET_IS_PUBLIC = FieldSpec(
    "ticket_is_public",
    ("is", "is_not"),
    _public_parser,
    _public,
    default_operator="is",
    values=gettext_lazy("public (the ticket has a public comment) or private"),
)


# --- Channels: via with includes, current_via_id ------------------------------------------------------------------


def via_name(value: Any) -> str:
    """A channel by Zendesk's via id (0, 4, 5, 74) or by name (web, email, api, whatsapp, mail, web_form...)."""
    if isinstance(value, str) and digits(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value in VIA_IDS:
        return VIA_IDS[value]
    if isinstance(value, str) and VIA_NAMES.get(value.strip().lower(), value.strip().lower()) in VIAS:
        return VIA_NAMES.get(value.strip().lower(), value.strip().lower())
    if isinstance(value, int) and not isinstance(value, bool):
        known = ", ".join(f"{number} ({name})" for number, name in VIA_IDS.items())
        raise ConditionError(
            _("via_id %(value)s is not a channel SupportDesk has (%(known)s); or use via by name.")
            % {"value": repr(value), "known": known}
        )
    params = {"value": repr(value), "field": "via", "allowed": ", ".join(VIAS)}
    raise ConditionError(_("%(value)s is not a valid %(field)s (%(allowed)s).") % params)


def via_parser(operator: str, value: Any, kind: Kind) -> Any:
    """`is`/`is_not`: one channel; `includes`/`not_includes`: a list of them (stored as names, in Zendesk's order)."""
    if operator in ("includes", "not_includes"):
        items = value if isinstance(value, list) else str(value).split() if isinstance(value, str | int) else None
        if not items:
            raise ConditionError(_("%(value)s is not a list of channels.") % {"value": repr(value)})
        names = [via_name(item) for item in items]
        return [name for name in VIAS if name in names]
    return via_name(value)


def via_matches(condition: Condition, via: str | None) -> bool:
    if condition.operator in ("includes", "not_includes"):
        found = via in condition.value
        return found if condition.operator == "includes" else not found
    same = via == condition.value
    return same if condition.operator == "is" else not same


VIA = FieldSpec(
    "via",
    ("is", "is_not", "includes", "not_includes"),
    via_parser,
    lambda c, f: via_matches(c, f.via),
    values=", ".join(VIAS),
)
CURRENT_VIA = FieldSpec(
    "current_via_id",
    ("is", "is_not", "includes", "not_includes"),
    via_parser,
    lambda c, f: via_matches(c, f.current_via),
    kinds=(TRIGGER,),
    values=gettext_lazy("the channel of the update: 0 (web), 4 (email), 5 (api), 74 (whatsapp), or a list"),
)


# --- assignee_id and requester_id ----------------------------------------------------------------------------


def _people_parser(name: str):
    other = "requester_id" if name == "assignee_id" else "assignee_id"

    def parse(operator: str, value: Any, kind: Kind) -> Any:
        if operator in ("changed", "not_changed"):
            return None
        if value is None or (isinstance(value, str) and value.strip() in ("", "-")):
            return NONE
        if isinstance(value, str) and value.strip() in (CURRENT_USER, other):
            if value.strip() == CURRENT_USER and kind == AUTOMATION:
                raise ConditionError(_("current_user is the agent making the update; automations run without one."))
            return value.strip()
        if isinstance(value, str) and digits(value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**63 - 1:
            raise ConditionError(
                _('%(value)s is not an id (a number, "current_user", "%(other)s", or "" for none).')
                % {"value": repr(value), "other": other}
            )
        return value

    return parse


def _person(kind: str, person_id: Any) -> Any:
    return None if person_id in (None, NONE) else (kind, person_id)


def _expected(condition: Condition, facts: Facts) -> Any:
    value = condition.value
    if value == CURRENT_USER:
        if facts.current_user_id is not None:
            return ("user", facts.current_user_id)
        return ("contact", facts.current_contact_id) if facts.current_contact_id is not None else _NOBODY
    if value in PEOPLE_FIELDS:
        return _person(PEOPLE_FIELDS[value], getattr(facts, value))
    return _person(PEOPLE_FIELDS[condition.field], value)


def _people(condition: Condition, facts: Facts) -> bool:
    kind = PEOPLE_FIELDS[condition.field]
    expected = _expected(condition, facts)
    op = condition.operator
    if op in ("is", "is_not"):
        same = _person(kind, getattr(facts, condition.field)) == expected
        return same if op == "is" else not same
    pair = facts.changes.get(condition.field)
    changed = pair is not None and pair[0] != pair[1]
    if op in ("changed", "not_changed"):
        return changed if op == "changed" else not changed
    old, new = (_person(kind, pair[0]), _person(kind, pair[1])) if changed else (None, None)
    hit = changed and (new if op in ("value", "not_value") else old) == expected
    return not hit if op.startswith("not_") else hit


PEOPLE = tuple(
    FieldSpec(
        name,
        ("is", "is_not"),
        _people_parser(name),
        _people,
        trigger_operators=CHANGE_OPERATORS,
        values=(
            gettext_lazy('an id, "" for none, current_user, or requester_id')
            if name == "assignee_id"
            else gettext_lazy('an id, "" for none, current_user, or assignee_id')
        ),
    )
    for name in PEOPLE_FIELDS
)

ZENDESK_SPECS = (TICKET_IS_PUBLIC, VIA, CURRENT_VIA, *PEOPLE)
