"""Conditions as JSON -> `Conditions`: every condition checked and normalised when a rule is saved, or
`ConditionsInvalid` with one message per bad condition naming its place."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from automations.conditions.fields import FIELD_ALIASES, FIELDS, UNSUPPORTED, field_spec
from automations.conditions.model import (
    ID_FIELDS,
    MAX_CONDITIONS,
    NONE,
    OPERATOR_ALIASES,
    TRIGGER,
    Condition,
    ConditionError,
    Conditions,
    ConditionsInvalid,
    Kind,
)


def _unknown_field(name: str, kind: Kind) -> str:
    if name in UNSUPPORTED:
        return _("field '%(field)s' is a Zendesk condition SupportDesk does not have: %(reason)s.") % {
            "field": name,
            "reason": UNSUPPORTED[name],
        }
    if name.startswith("custom_fields_"):
        return _("field '%(field)s': there is no ticket field with this id.") % {"field": name}
    if name.startswith(("user.custom_fields_", "organization.custom_fields_")):
        return _("field '%(field)s': there are no user or organization fields.") % {"field": name}
    known = ", ".join(n for n, spec in FIELDS.items() if kind in spec.kinds)
    if kind == TRIGGER:
        return _("unknown field '%(field)s' (known for triggers: %(known)s).") % {"field": name, "known": known}
    return _("unknown field '%(field)s' (known for automations: %(known)s).") % {"field": name, "known": known}


def parse_condition(item: Any, *, kind: Kind, group: str = "all") -> Condition:
    if not isinstance(item, dict):
        raise ConditionError(
            _('%(value)s is not an object {"field": ..., "operator": ..., "value": ...}.') % {"value": repr(item)}
        )
    extra = set(item) - {"field", "operator", "value"}
    if extra:
        raise ConditionError(_("unexpected key(s) %(keys)s.") % {"keys": ", ".join(sorted(map(str, extra)))})
    raw_name = item.get("field")
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise ConditionError(_('"field" is missing.'))
    raw_name = raw_name.strip()
    name = FIELD_ALIASES.get(raw_name, raw_name)
    spec = field_spec(name)
    if spec is None:
        raise ConditionError(_unknown_field(raw_name, kind))
    if kind not in spec.kinds:
        if spec.time:
            raise ConditionError(
                _("'%(field)s' is a time condition: only automations have them.") % {"field": raw_name}
            )
        raise ConditionError(
            _(
                "'%(field)s' describes an update (who made it, what it said): only triggers have it; "
                "an automation runs on its own, without an update."
            )
            % {"field": raw_name}
        )
    operator = item.get("operator")
    if operator is None or operator == "":
        if spec.default_operator is None:
            raise ConditionError(_("\"operator\" is missing for field '%(field)s'.") % {"field": raw_name})
        operator = spec.default_operator
    if not isinstance(operator, str):
        raise ConditionError(_("%(value)s is not an operator.") % {"value": repr(operator)})
    operator = OPERATOR_ALIASES.get(operator.strip(), operator.strip())
    allowed = spec.operators + (spec.trigger_operators if kind == TRIGGER else ())
    if operator not in allowed:
        hint = ""
        if operator.endswith("_business_hours"):
            hint = " " + _("Business hours are not configured in SupportDesk.")
        elif operator in spec.trigger_operators:
            hint = " " + _("Only triggers see what an update changed.")
        params = {"operator": operator, "field": raw_name, "allowed": ", ".join(allowed)}
        raise ConditionError(_("unknown operator '%(operator)s' for field '%(field)s' (%(allowed)s).") % params + hint)
    if spec.time and group != "all":
        raise ConditionError(
            _("time condition '%(field)s' must be under all (as in Zendesk), not any.") % {"field": raw_name}
        )
    if operator in ("changed", "not_changed"):
        value = None
    else:
        if "value" not in item:
            raise ConditionError(
                _("\"value\" is missing for field '%(field)s' (%(values)s).")
                % {"field": raw_name, "values": spec.values}
            )
        value = spec.parse(operator, item["value"], kind)
    if operator in ("less_than", "greater_than") and name == "priority" and value == NONE:
        raise ConditionError(_("less_than and greater_than need a priority (low, normal, high, urgent)."))
    return Condition(field=name, operator=operator, value=value)


def parse_conditions(raw: Any, *, kind: Kind) -> Conditions:
    """Check and normalise a definition's conditions; raise `ConditionsInvalid` with every problem found."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConditionsInvalid(["conditions: " + _('must be an object {"all": [...], "any": [...]}.')])
    errors: list[str] = []
    extra = set(raw) - {"all", "any"}
    if extra:
        errors.append(
            "conditions: " + _("unexpected key(s) %(keys)s (all, any).") % {"keys": ", ".join(sorted(map(str, extra)))}
        )
    groups: dict[str, list[Condition]] = {"all": [], "any": []}
    total = 0
    for group in ("all", "any"):
        items = raw.get(group)
        if items is None:
            continue
        if not isinstance(items, list):
            errors.append(f"conditions.{group}: " + _("must be a list of conditions."))
            continue
        total += len(items)
        for index, item in enumerate(items):
            try:
                groups[group].append(parse_condition(item, kind=kind, group=group))
            except ConditionError as error:
                errors.append(f"conditions.{group}[{index}]: {error}")
    if total > MAX_CONDITIONS:
        errors.append("conditions: " + _("at most %(max)s conditions.") % {"max": MAX_CONDITIONS})
    if errors:
        raise ConditionsInvalid(errors)
    return Conditions(all=tuple(groups["all"]), any=tuple(groups["any"]))


def load(raw: Mapping[str, Any], *, kind: Kind) -> Conditions:
    """Stored (already normalised) conditions back into `Conditions`."""
    return parse_conditions(raw, kind=kind)


def referenced_ids(conditions: Conditions) -> dict[str, set[int]]:
    """The ids the conditions name, by kind ("users", "groups", "contacts"), for checking that they exist."""
    found: dict[str, set[int]] = {kind: set() for kind in ID_FIELDS.values()}
    for c in conditions:
        if c.field in ID_FIELDS and isinstance(c.value, int) and not isinstance(c.value, bool):
            found[ID_FIELDS[c.field]].add(c.value)
    return found
