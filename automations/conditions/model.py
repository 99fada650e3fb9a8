"""Trigger and automation conditions in Zendesk's JSON: the vocabulary and the types. The package is pure: no models,
no database (`fields`: the catalogue, `parse`: JSON -> `Conditions`, `evaluate`: `matches` and Zendesk's rule for
automations).

A definition's conditions are ``{"all": [...], "any": [...]}`` of ``{"field", "operator", "value"}``: every condition
under ``all`` must hold, and at least one under ``any`` (when there are any). Three steps:

* `parse.parse_conditions(raw, kind=...)` when a rule is saved: checks every condition and returns them normalised
  (`Conditions`), or raises `ConditionsInvalid` with one message per bad condition naming its place, e.g.
  ``conditions.all[1]: unknown operator 'greater' for field 'status' (is, is_not, less_than, ...)``.
* `evaluate.matches(conditions, facts)` when a trigger runs: `Facts` is a plain snapshot of the ticket and of the
  update. (Automations are evaluated as database queries by `automations.queries`, which must agree with `matches`.)
* `evaluate.automation_problems(conditions, actions)`: Zendesk's rule that an automation needs a time condition and a
  way to stop matching (a nullifying condition or action), or it would act on the same tickets every hour.

Hours follow Zendesk: the elapsed time counts in whole hours, rounded down. ``hours_since_created is 24`` holds from
24 h 0 min to 24 h 59 min; ``less_than 2`` before 2 h; ``greater_than 96`` from 97 h on.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.utils.translation import gettext as _

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
    requester_locale: str = ""  # the requester's language code (their own, else the account's default)
    # The update (triggers only)
    update_type: str | None = None  # "create" or "change"
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    comment_public: bool | None = None
    comment_body: str = ""
    current_user_id: int | None = None
    current_user_role: str | None = None  # end_user, agent, admin; None for the product itself
    current_contact_id: int | None = None  # the contact who made the update (an end user's message)
    current_via: str | None = None  # the channel of the update (Zendesk's current_via_id)
    has_public_comment: bool = True  # Zendesk's ticket_is_public: the ticket has a public comment
    # Admin-defined ticket fields: {field id: value in its JSON form}; may load on first read (`tickets.custom_fields`)
    custom_fields: Mapping[int, Any] = field(default_factory=dict)


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


# The conditions naming an id, by the kind of row they name (for checking that it exists).
ID_FIELDS = {"group_id": "groups", "assignee_id": "users", "requester_id": "contacts"}


def digits(text: str) -> bool:
    """ASCII digits only: superscripts and other scripts' digits pass `str.isdigit` but are no ids."""
    return text.isascii() and text.isdigit()


def text_value(value: Any) -> str:
    """A condition's value as text (a string or a number, as Zendesk sends both), trimmed."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConditionError(_("%(value)s is not a text.") % {"value": repr(value)})
    return str(value).strip()
