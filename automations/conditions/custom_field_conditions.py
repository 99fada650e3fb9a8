"""Zendesk's `custom_fields_<id>` conditions on admin-defined ticket fields.

The operators are Zendesk's: `is`, `is_not`, `present`, `not_present` for every type, `less_than` and
`greater_than` for numbers, decimals and dates, and for triggers the change operators (`changed`, `changed_to`...).
A checkbox is `is true` / `is false` (unchecked counts as false, as in Zendesk). Values are checked against the
field (a drop-down's option value, a number, a YYYY-MM-DD date) and stored in the field's JSON form, which is also
what `Facts.custom_fields` holds, so comparing is plain equality.

The package stays free of models: the field definitions come from a lookup the automations app installs in
`AppConfig.ready()` (`set_lookup`).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from automations.conditions.model import CHANGE_OPERATORS, Condition, ConditionError, Facts, FieldSpec, Kind
from tickets.custom_field_values import (
    NUMERIC_TYPES,
    CustomFieldValueError,
    FieldInfo,
    as_json,
    clean_value,
    field_id_of,
)

PRESENCE_OPERATORS = ("present", "not_present")
Lookup = Callable[[int], FieldInfo | None]
_lookup: list[Lookup] = []


def set_lookup(lookup: Lookup) -> None:
    _lookup[:] = [lookup]


def _info(field_id: int) -> FieldInfo | None:
    return _lookup[0](field_id) if _lookup else None


def _empty(value: Any) -> bool:
    return value is None or value is False or value == ""


def _comparable(info_type: str, value: Any) -> Any:
    return Decimal(str(value)) if info_type in ("integer", "decimal") else value


def spec_for(name: str) -> FieldSpec | None:
    """The condition field `custom_fields_<id>` of an existing ticket field, or None."""
    field_id = field_id_of(name)
    if field_id is None:
        return None
    info = _info(field_id)
    if info is None:
        return None
    operators: tuple[str, ...] = ("is", "is_not") if info.type == "checkbox" else ("is", "is_not", *PRESENCE_OPERATORS)
    if info.type in NUMERIC_TYPES:
        operators += ("less_than", "greater_than")

    def parse(operator: str, value: Any, kind: Kind) -> Any:
        if operator in PRESENCE_OPERATORS:
            return None
        try:
            cleaned = as_json(info, clean_value(info, value))
        except CustomFieldValueError as error:
            raise ConditionError(str(error)) from None
        if cleaned is None and operator in ("less_than", "greater_than"):
            raise ConditionError(_("less_than and greater_than need a value."))
        return cleaned

    def evaluate(condition: Condition, facts: Facts) -> bool:
        op = condition.operator
        if op in CHANGE_OPERATORS:
            from automations.conditions.fields import change_operator_holds

            return change_operator_holds(condition, facts)
        actual = facts.custom_fields.get(info.id, False if info.type == "checkbox" else None)
        if op == "present":
            return not _empty(actual)
        if op == "not_present":
            return _empty(actual)
        if op in ("is", "is_not"):
            same = actual == condition.value or (_empty(actual) and _empty(condition.value))
            return same if op == "is" else not same
        if _empty(actual):
            return False
        left, right = _comparable(info.type, actual), _comparable(info.type, condition.value)
        return left < right if op == "less_than" else left > right

    values = {
        "tagger": _("one of its option values: %(options)s") % {"options": ", ".join(v for v, _n in info.options)},
        "checkbox": _("true or false"),
        "integer": _("a whole number"),
        "decimal": _("a number"),
        "date": _("a date (YYYY-MM-DD)"),
    }.get(info.type, _("a text"))
    return FieldSpec(name, operators, parse, evaluate, trigger_operators=CHANGE_OPERATORS, values=values)
