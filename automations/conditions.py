"""Trigger and automation conditions in Zendesk's JSON, as pure functions: no models, no database.

A definition's conditions are ``{"all": [...], "any": [...]}`` of ``{"field", "operator", "value"}``: every condition
under ``all`` must hold, and at least one under ``any`` (when there are any). Three steps:

* `parse_conditions(raw, kind=...)` when a rule is saved: checks every condition and returns them normalised
  (`Conditions`), or raises `ConditionsInvalid` with one message per bad condition naming its place, e.g.
  ``conditions.all[1]: unknown operator 'greater' for field 'status' (is, is_not, less_than, ...)``.
* `matches(conditions, facts)` when a trigger runs: `Facts` is a plain snapshot of the ticket and of the update.
  (Automations are evaluated as database queries by `automations.queries`, which must agree with `matches`.)
* `automation_problems(conditions, actions)`: Zendesk's rule that an automation needs a time condition and a way to
  stop matching (a nullifying condition or action), or it would act on the same tickets every hour.

Hours follow Zendesk: the elapsed time counts in whole hours, rounded down. ``hours_since_created is 24`` holds from
24 h 0 min to 24 h 59 min; ``less_than 2`` before 2 h; ``greater_than 96`` from 97 h on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from channels_whatsapp.window import window_at

Kind = Literal["trigger", "automation"]
TRIGGER: Kind = "trigger"
AUTOMATION: Kind = "automation"

STATUS_ORDER = ("new", "open", "pending", "hold", "solved", "closed")  # Zendesk's order for less/greater than
PRIORITY_ORDER = ("", "low", "normal", "high", "urgent")  # "" is no priority: the lowest, as Zendesk's "-"
TYPES = ("question", "incident", "problem", "task")
VIAS = ("whatsapp", "web", "api", "email")
ROLES = ("end_user", "agent", "admin")
# Zendesk's numeric channel ids (via_id) of the channels SupportDesk has, and Zendesk's via names.
VIA_IDS = {0: "web", 4: "email", 5: "api", 74: "whatsapp"}
VIA_NAMES = {"web_form": "web", "mail": "email", "web_service": "api"}
CURRENT_USER = "current_user"
NONE = ""  # Zendesk writes "no group", "nobody", "no priority" as ""
MAX_CONDITIONS = 100
MAX_HOURS = 100_000
HOUR = timedelta(hours=1)
TAG_RE = re.compile(r"^[\w\-:./]{1,80}$")  # the core's tag rule (tickets.services), repeated to stay pure
_WORD_RE = re.compile(r"\w+")

CHANGE_OPERATORS = ("changed", "not_changed", "value", "value_previous", "not_value", "not_value_previous")
OPERATOR_ALIASES = {
    "changed_to": "value",
    "changed_from": "value_previous",
    "not_changed_to": "not_value",
    "not_changed_from": "not_value_previous",
}
TIME_OPERATORS = ("is", "less_than", "greater_than")


class ConditionError(ValueError):
    """One condition is wrong (the message is prefixed with its place by `parse_conditions`)."""


class ConditionsInvalid(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__(messages[0] if messages else "Invalid conditions.")
        self.messages = messages


# --- What is stored and what is evaluated -------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "operator": self.operator, "value": self.value}


@dataclass(frozen=True)
class Conditions:
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()

    def __iter__(self) -> Iterator[Condition]:
        yield from self.all
        yield from self.any

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {"all": [c.as_json() for c in self.all], "any": [c.as_json() for c in self.any]}

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(c.field for c in self)


@dataclass(frozen=True)
class Facts:
    """A ticket and, for a trigger, the update being made: plain values only.

    `changes` maps a field (status, priority, type, group_id, assignee_id, requester_id) to (old, new) for what
    changed in this update so far (on creation every field that has a value counts as changed from None).
    `comment_public` is None when the update carries no comment.
    """

    now: datetime
    status: str
    via: str
    priority: str | None = None
    type: str | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    requester_id: int | None = None
    subject: str = ""
    tags: frozenset[str] = frozenset()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status_changed_at: datetime | None = None
    solved_at: datetime | None = None
    last_customer_message_at: datetime | None = None
    customer_waiting: bool = False
    requester_role: str = "end_user"
    # The update (triggers only)
    update_type: str | None = None  # "create" or "change"
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    comment_public: bool | None = None
    comment_body: str = ""
    current_user_id: int | None = None
    current_user_role: str | None = None  # end_user, agent, admin; None for the product itself


# --- Field specifications -----------------------------------------------------------------------------------

Parser = Callable[[str, Any, Kind], Any]
Evaluator = Callable[[Condition, Facts], bool]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    operators: tuple[str, ...]
    parse: Parser  # (operator, raw value, kind) -> normalised value; raises ConditionError
    evaluate: Evaluator
    kinds: tuple[Kind, ...] = (TRIGGER, AUTOMATION)
    trigger_operators: tuple[str, ...] = ()  # only triggers see an update, so only they have "changed"
    default_operator: str | None = None  # Zendesk omits the operator of update_type and comment_is_public
    time: bool = False
    values: str = ""  # the allowed values, for messages


FIELDS: dict[str, FieldSpec] = {}
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
    "CLOSED": "closed tickets are never changed, so automations skip them",
    "assigned_at": "the assignment time is not recorded; use hours_since_updated",
    "assignee_updated_at": "use hours_since_updated",
    "due_date": "tickets have no due date",
    "until_due_date": "tickets have no due date",
    "organization_id": "there are no organizations",
    "brand_id": "there are no brands",
    "ticket_form_id": "there are no ticket forms",
    "locale_id": "contacts have no locale",
    "satisfaction_score": "there are no satisfaction ratings",
    "recipient": "there is no e-mail intake",
    "current_via_id": "use role (who made the update) or via",
    "ticket_is_public": "every ticket is public",
    "description_includes_word": "use comment_includes_word",
    "reopens": "reopen counts are not kept",
    "replies": "reply counts are not kept",
    "agent_stations": "assignment counts are not kept",
    "group_stations": "group counts are not kept",
    "in_business_hours": "business hours are not configured",
    "exact_created_at": "use hours_since_created",
}


def _register(spec: FieldSpec) -> None:
    FIELDS[spec.name] = spec


def digits(text: str) -> bool:
    """ASCII digits only: superscripts and other scripts' digits pass `str.isdigit` but are no ids."""
    return text.isascii() and text.isdigit()


def _is_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "-"))


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConditionError(f"{value!r} is not a text.")
    return str(value).strip()


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    raise ConditionError(f"{value!r} is not true or false.")


def _hours_value(value: Any) -> int:
    if isinstance(value, bool):
        raise ConditionError(f"{value!r} is not a number of hours.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and digits(value.strip()):
        number = int(value.strip())
    else:
        raise ConditionError(f'{value!r} is not a whole number of hours (e.g. 24 or "24").')
    if not 0 <= number <= MAX_HOURS:
        raise ConditionError(f"{number} hours is out of range (0 to {MAX_HOURS}).")
    return number


def _plain(value: Any) -> Any:
    """None for "no value" ("" in the stored JSON), so a ticket's None compares equal to it."""
    return None if value == NONE else value


def _changed(facts: Facts, name: str) -> tuple[bool, Any, Any]:
    old, new = facts.changes.get(name, (None, None))
    return (name in facts.changes and old != new), old, new


def _resolve(value: Any, facts: Facts) -> Any:
    if value == CURRENT_USER:
        return facts.current_user_id if facts.current_user_id is not None else object()  # nobody: never equal
    return _plain(value)


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
        text = _text(value).lower()
        if name == "via" and text in VIA_NAMES:
            text = VIA_NAMES[text]
        if text not in choices:
            allowed = ", ".join(choices) + (', or "" for none' if blank else "")
            raise ConditionError(f"{value!r} is not a valid {name} ({allowed}).")
        return text

    return parse


def _via_id_parser(operator: str, value: Any, kind: Kind) -> str:
    if isinstance(value, bool):
        raise ConditionError(f"{value!r} is not a via id.")
    if isinstance(value, str) and digits(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or value not in VIA_IDS:
        known = ", ".join(f"{number} ({name})" for number, name in VIA_IDS.items())
        raise ConditionError(f"via_id {value!r} is not a channel SupportDesk has ({known}); or use via by name.")
    return VIA_IDS[value]


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
        values='"" (none), ' + ", ".join(PRIORITY_ORDER[1:]),
    )
)
_register(
    FieldSpec(
        "type",
        ("is", "is_not"),
        _choice_parser("type", TYPES, blank=True),
        lambda c, f: _compare(c, f.type, f),
        trigger_operators=CHANGE_OPERATORS,
        values='"" (none), ' + ", ".join(TYPES),
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
                raise ConditionError(f"{name} cannot be current_user.")
            if kind == AUTOMATION:
                raise ConditionError("current_user is the agent making the update; automations run without one.")
            return CURRENT_USER
        if isinstance(value, bool):
            raise ConditionError(f"{value!r} is not an id.")
        if isinstance(value, str) and digits(value.strip()):
            value = int(value.strip())
        if not isinstance(value, int) or value <= 0 or value > 2**63 - 1:
            extra = ', "current_user"' if current_user else ""
            raise ConditionError(f'{value!r} is not an id (a number{extra}, or "" for none).')
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
            values='an id, "" for none' + (", or current_user" if _current_user else ""),
        )
    )


# Tags ---------------------------------------------------------------------------------------------------------


def _tags_parser(operator: str, value: Any, kind: Kind) -> str:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        words = [word for item in value for word in item.split()]
    elif isinstance(value, str):
        words = value.split()
    else:
        raise ConditionError(f"{value!r} is not a list of tags (separated by spaces).")
    tags: list[str] = []
    for word in words:
        tag = word.lower()
        if not TAG_RE.match(tag):
            raise ConditionError(f"'{word}' is not a valid tag (letters, digits, - _ : . / only).")
        if tag not in tags:
            tags.append(tag)
    if not tags:
        raise ConditionError("give at least one tag.")
    return " ".join(tags)


def _tags(condition: Condition, facts: Facts) -> bool:
    found = bool(set(condition.value.split()) & facts.tags)
    return found if condition.operator == "includes" else not found


_register(
    FieldSpec(
        "current_tags",
        ("includes", "not_includes"),
        _tags_parser,
        _tags,
        values="tags separated by spaces (includes: at least one of them; not_includes: none of them)",
    )
)


# Words in the update's comment or the subject -----------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _phrase_in(haystack: Sequence[str], phrase: Sequence[str]) -> bool:
    if not phrase:
        return False
    size = len(phrase)
    return any(list(haystack[i : i + size]) == list(phrase) for i in range(len(haystack) - size + 1))


def _words_parser(operator: str, value: Any, kind: Kind) -> str:
    text = " ".join(_text(value).split())
    if not words(text):
        raise ConditionError("give at least one word.")
    return text


def text_matches(operator: str, value: str, text: str) -> bool:
    """Zendesk's word conditions: whole words, any case.

    includes: at least one of the space-separated words; not_includes: none of them; is: the whole text as a phrase
    (consecutive words); is_not: not that phrase.
    """
    haystack = words(text)
    if operator in ("includes", "not_includes"):
        found = any(_phrase_in(haystack, words(word)) for word in value.split())
        return found if operator == "includes" else not found
    found = _phrase_in(haystack, words(value))
    return found if operator == "is" else not found


_register(
    FieldSpec(
        "comment_includes_word",
        ("includes", "not_includes", "is", "is_not"),
        _words_parser,
        lambda c, f: text_matches(c.operator, c.value, f.comment_body if f.comment_public is not None else ""),
        kinds=(TRIGGER,),
        values="words separated by spaces (includes/not_includes) or a phrase (is/is_not)",
    )
)
_register(
    FieldSpec(
        "subject_includes_word",
        ("includes", "not_includes", "is", "is_not"),
        _words_parser,
        lambda c, f: text_matches(c.operator, c.value, f.subject),
        kinds=(TRIGGER,),
        values="words separated by spaces (includes/not_includes) or a phrase (is/is_not)",
    )
)


# The update: its type, its comment, who made it ---------------------------------------------------------------


def _update_type_parser(operator: str, value: Any, kind: Kind) -> str:
    text = _text(value).lower()
    if text not in ("create", "change"):
        raise ConditionError(f"{value!r} is not Create or Change.")
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
        values="Create or Change",
    )
)

COMMENT_PUBLIC_VALUES = ("true", "false", "not_relevant", "requester_can_see_comment")


def _comment_public_parser(operator: str, value: Any, kind: Kind) -> str:
    if isinstance(value, str) and value.strip().lower() in COMMENT_PUBLIC_VALUES:
        return value.strip().lower()
    try:
        return _flag(value)
    except ConditionError:
        raise ConditionError(f"{value!r} is not one of {', '.join(COMMENT_PUBLIC_VALUES)}.") from None


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
    text = _text(value).lower().replace("-", "_")
    if text not in ROLES:
        raise ConditionError(f"{value!r} is not a role ({', '.join(ROLES)}).")
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
        values="end_user, agent (agents and admins), admin",
    )
)
_register(
    FieldSpec(
        "requester_role",
        ("is", "is_not"),
        _role_parser,
        lambda c, f: _positive(c, _role_matches(f.requester_role, c.value)),
        values="end_user, agent, admin (requesters are contacts: always end_user)",
    )
)


# WhatsApp ------------------------------------------------------------------------------------------------------


def window_open(facts: Facts) -> bool:
    return facts.via == "whatsapp" and window_at(facts.last_customer_message_at, facts.now).open


def _window_parser(operator: str, value: Any, kind: Kind) -> str:
    text = _text(value).lower()
    if text not in ("open", "closed"):
        raise ConditionError(f"{value!r} is not open or closed.")
    return text


_register(
    FieldSpec(
        "whatsapp_window",
        ("is", "is_not"),
        _window_parser,
        lambda c, f: _positive(c, window_open(f) == (c.value == "open")),
        values="open or closed (only a WhatsApp ticket whose customer wrote in the last 24 hours is open)",
    )
)
_register(
    FieldSpec(
        "customer_waiting",
        ("is", "is_not"),
        lambda op, value, kind: _flag(value),
        lambda c, f: _positive(c, f.customer_waiting == (c.value == "true")),
        values="true or false (true: the latest public message of a person is the customer's)",
    )
)


# Time (automations) --------------------------------------------------------------------------------------------


def hours_match(operator: str, hours: int, elapsed: timedelta | None) -> bool:
    """Zendesk's hour arithmetic: whole hours, rounded down. `elapsed` None means the condition does not apply."""
    if elapsed is None:
        return False  # a moment in the future (never in practice) is less than any hours, and "is" no hour
    if operator == "is":
        return hours * HOUR <= elapsed < (hours + 1) * HOUR
    if operator == "less_than":
        return elapsed < hours * HOUR
    if operator == "greater_than":
        return elapsed >= (hours + 1) * HOUR
    raise AssertionError(operator)


def _since(moment: datetime | None, now: datetime) -> timedelta | None:
    return None if moment is None else now - moment


def _in_status(status: str, moment: Callable[[Facts], datetime | None]) -> Callable[[Facts], timedelta | None]:
    def elapsed(facts: Facts) -> timedelta | None:
        return _since(moment(facts), facts.now) if facts.status == status else None

    return elapsed


def until_window_closes(facts: Facts) -> timedelta | None:
    """Time left in an open WhatsApp window; None when there is no open window."""
    if facts.via != "whatsapp":
        return None
    window = window_at(facts.last_customer_message_at, facts.now)
    return window.expires_at - facts.now if window.open and window.expires_at else None


TIME_FIELDS: dict[str, Callable[[Facts], timedelta | None]] = {
    "hours_since_created": lambda f: _since(f.created_at, f.now),
    "hours_since_updated": lambda f: _since(f.updated_at, f.now),
    "hours_since_last_customer_message": lambda f: _since(f.last_customer_message_at, f.now),
    "hours_until_window_closes": until_window_closes,
    "hours_since_open": _in_status("open", lambda f: f.status_changed_at),
    "hours_since_pending": _in_status("pending", lambda f: f.status_changed_at),
    "hours_since_hold": _in_status("hold", lambda f: f.status_changed_at),
    "hours_since_solved": _in_status("solved", lambda f: f.solved_at),
}


def _time_parser(operator: str, value: Any, kind: Kind) -> int:
    return _hours_value(value)


for _name, _elapsed in TIME_FIELDS.items():
    _register(
        FieldSpec(
            _name,
            TIME_OPERATORS,
            _time_parser,
            (lambda elapsed: lambda c, f: hours_match(c.operator, c.value, elapsed(f)))(_elapsed),
            kinds=(AUTOMATION,),
            time=True,
            values="a whole number of hours",
        )
    )


# --- Parsing ---------------------------------------------------------------------------------------------------


def _unknown_field(name: str, kind: Kind) -> str:
    if name in UNSUPPORTED:
        return f"field '{name}' is a Zendesk condition SupportDesk does not have: {UNSUPPORTED[name]}."
    if name.startswith(("custom_fields_", "user.custom_fields_", "organization.custom_fields_")):
        return f"field '{name}': there are no custom fields."
    known = ", ".join(n for n, spec in FIELDS.items() if kind in spec.kinds)
    return f"unknown field '{name}' (known for {kind}s: {known})."


def parse_condition(item: Any, *, kind: Kind, group: str = "all") -> Condition:
    if not isinstance(item, dict):
        raise ConditionError(f'{item!r} is not an object {{"field": ..., "operator": ..., "value": ...}}.')
    extra = set(item) - {"field", "operator", "value"}
    if extra:
        raise ConditionError(f"unexpected key(s) {', '.join(sorted(map(str, extra)))}.")
    raw_name = item.get("field")
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise ConditionError('"field" is missing.')
    raw_name = raw_name.strip()
    name = FIELD_ALIASES.get(raw_name, raw_name)
    spec = FIELDS.get(name)
    if spec is None:
        raise ConditionError(_unknown_field(raw_name, kind))
    if kind not in spec.kinds:
        if spec.time:
            raise ConditionError(f"'{raw_name}' is a time condition: only automations have them.")
        raise ConditionError(
            f"'{raw_name}' describes an update (who made it, what it said): only triggers have it; "
            "an automation runs on its own, without an update."
        )
    operator = item.get("operator")
    if operator is None or operator == "":
        if spec.default_operator is None:
            raise ConditionError(f"\"operator\" is missing for field '{raw_name}'.")
        operator = spec.default_operator
    if not isinstance(operator, str):
        raise ConditionError(f"{operator!r} is not an operator.")
    operator = OPERATOR_ALIASES.get(operator.strip(), operator.strip())
    allowed = spec.operators + (spec.trigger_operators if kind == TRIGGER else ())
    if operator not in allowed:
        hint = ""
        if operator.endswith("_business_hours"):
            hint = " Business hours are not configured in SupportDesk."
        elif operator in spec.trigger_operators:
            hint = " Only triggers see what an update changed."
        raise ConditionError(f"unknown operator '{operator}' for field '{raw_name}' ({', '.join(allowed)}).{hint}")
    if spec.time and group != "all":
        raise ConditionError(f"time condition '{raw_name}' must be under all (as in Zendesk), not any.")
    if raw_name == "via_id":
        value = _via_id_parser(operator, item.get("value"), kind)
    elif operator in ("changed", "not_changed"):
        value = None
    else:
        if "value" not in item:
            raise ConditionError(f"\"value\" is missing for field '{raw_name}' ({spec.values}).")
        value = spec.parse(operator, item["value"], kind)
    if operator in ("less_than", "greater_than") and name == "priority" and value == NONE:
        raise ConditionError("less_than and greater_than need a priority (low, normal, high, urgent).")
    return Condition(field=name, operator=operator, value=value)


def parse_conditions(raw: Any, *, kind: Kind) -> Conditions:
    """Check and normalise a definition's conditions; raise `ConditionsInvalid` with every problem found."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConditionsInvalid(['conditions: must be an object {"all": [...], "any": [...]}.'])
    errors: list[str] = []
    extra = set(raw) - {"all", "any"}
    if extra:
        errors.append(f"conditions: unexpected key(s) {', '.join(sorted(map(str, extra)))} (all, any).")
    groups: dict[str, list[Condition]] = {"all": [], "any": []}
    total = 0
    for group in ("all", "any"):
        items = raw.get(group)
        if items is None:
            continue
        if not isinstance(items, list):
            errors.append(f"conditions.{group}: must be a list of conditions.")
            continue
        total += len(items)
        for index, item in enumerate(items):
            try:
                groups[group].append(parse_condition(item, kind=kind, group=group))
            except ConditionError as error:
                errors.append(f"conditions.{group}[{index}]: {error}")
    if total > MAX_CONDITIONS:
        errors.append(f"conditions: at most {MAX_CONDITIONS} conditions.")
    if errors:
        raise ConditionsInvalid(errors)
    return Conditions(all=tuple(groups["all"]), any=tuple(groups["any"]))


def load(raw: Mapping[str, Any], *, kind: Kind) -> Conditions:
    """Stored (already normalised) conditions back into `Conditions`."""
    return parse_conditions(raw, kind=kind)


# --- Evaluation --------------------------------------------------------------------------------------------------


def condition_holds(condition: Condition, facts: Facts) -> bool:
    return FIELDS[condition.field].evaluate(condition, facts)


def matches(conditions: Conditions, facts: Facts) -> bool:
    """Zendesk: all of `all`, and at least one of `any` when `any` is not empty."""
    if not all(condition_holds(c, facts) for c in conditions.all):
        return False
    return not conditions.any or any(condition_holds(c, facts) for c in conditions.any)


ID_FIELDS = {"group_id": "groups", "assignee_id": "users", "requester_id": "contacts"}


def referenced_ids(conditions: Conditions) -> dict[str, set[int]]:
    """The ids the conditions name, by kind ("users", "groups", "contacts"), for checking that they exist."""
    found: dict[str, set[int]] = {kind: set() for kind in ID_FIELDS.values()}
    for c in conditions:
        if c.field in ID_FIELDS and isinstance(c.value, int) and not isinstance(c.value, bool):
            found[ID_FIELDS[c.field]].add(c.value)
    return found


# --- Zendesk's rule for automations -----------------------------------------------------------------------------


@dataclass
class _Effects:
    """What a list of actions leaves on a ticket, as far as conditions can see it."""

    fields: dict[str, Any] = field(default_factory=dict)
    tags_set: set[str] | None = None
    tags_added: set[str] = field(default_factory=set)
    tags_removed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, actions: Iterable[Mapping[str, Any]]) -> _Effects:
        effects = cls()
        for action in actions:
            name, value = action.get("field"), action.get("value")
            if name in ("status", "priority", "type", "group_id", "assignee_id"):
                effects.fields[name] = NONE if value is None else value
            elif name in ("set_tags", "current_tags", "remove_tags"):
                tags = set(str(value).split()) if isinstance(value, str) else set()
                if name == "set_tags":
                    effects.tags_set, effects.tags_added, effects.tags_removed = set(tags), set(), set()
                elif name == "current_tags":
                    effects.tags_added |= tags
                    effects.tags_removed -= tags
                else:
                    effects.tags_removed |= tags
                    effects.tags_added -= tags
        return effects

    def may_have(self, tag: str) -> bool:
        """Could the tag still be on the ticket after the actions (it may have been there before)?"""
        if tag in self.tags_removed:
            return False
        if self.tags_set is not None:
            return tag in self.tags_set or tag in self.tags_added
        return True

    def surely_has(self, tag: str) -> bool:
        if tag in self.tags_removed:
            return False
        return tag in self.tags_added or (self.tags_set is not None and tag in self.tags_set)


_BLANK_FACTS = Facts(now=datetime.min.replace(tzinfo=UTC), status="new", via="web")


def nullified_by(condition: Condition, effects: _Effects) -> bool:
    """Does the automation's own update make this condition false, whatever the ticket was?"""
    if condition.field in effects.fields and condition.operator in ("is", "is_not", "less_than", "greater_than"):
        new_value = effects.fields[condition.field]
        facts = replace(_BLANK_FACTS, **{condition.field: _plain(new_value)})
        return not FIELDS[condition.field].evaluate(condition, facts)
    if condition.field == "current_tags":
        tags = condition.value.split()
        if condition.operator == "includes":
            return not any(effects.may_have(tag) for tag in tags)
        return any(effects.surely_has(tag) for tag in tags)
    return False


def automation_problems(conditions: Conditions, actions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Zendesk's rule: a time condition under `all`, and a condition that holds only once (a time condition with
    `is`) or an action that makes one of the conditions false (nullifies it), so the automation stops matching.
    """
    problems = []
    if not any(FIELDS[c.field].time for c in conditions.all):
        times = ", ".join(TIME_FIELDS)
        problems.append(f"conditions.all: an automation needs a time condition ({times}).")
    once = any(FIELDS[c.field].time and c.operator == "is" for c in conditions.all)
    effects = _Effects.of(actions)
    nullified = any(nullified_by(c, effects) for c in conditions.all) or (
        bool(conditions.any) and all(nullified_by(c, effects) for c in conditions.any)
    )
    if not once and not nullified:
        problems.append(
            "actions: an automation must stop matching once it has acted (Zendesk's rule): add an action that "
            "makes one of its conditions false (e.g. status is solved -> set status closed, or current_tags "
            "not_includes a tag -> add that tag), or use a time condition with the operator is."
        )
    return problems
