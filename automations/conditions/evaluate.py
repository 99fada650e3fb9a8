"""Evaluating conditions against a ticket's facts, and Zendesk's rule that an automation must stop matching."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from automations.conditions.fields import field_spec, plain_value
from automations.conditions.model import NONE, Condition, Conditions, Facts
from automations.conditions.time_fields import TIME_FIELDS
from tickets.tags import TagOps


def condition_holds(condition: Condition, facts: Facts) -> bool:
    return field_spec(condition.field).evaluate(condition, facts)


def matches(conditions: Conditions, facts: Facts) -> bool:
    """Zendesk: all of `all`, and at least one of `any` when `any` is not empty."""
    if not all(condition_holds(c, facts) for c in conditions.all):
        return False
    return not conditions.any or any(condition_holds(c, facts) for c in conditions.any)


# --- Zendesk's rule for automations -----------------------------------------------------------------------------


@dataclass
class _Effects:
    """What a list of actions leaves on a ticket, as far as conditions can see it: field values, and the tag
    operations folded as the core applies them (`tickets.tags.TagOps`)."""

    fields: dict[str, Any] = field(default_factory=dict)
    tags: TagOps = field(default_factory=TagOps)

    @classmethod
    def of(cls, actions: Iterable[Mapping[str, Any]]) -> "_Effects":
        effects = cls()
        for action in actions:
            name, value = action.get("field"), action.get("value")
            if name in ("status", "priority", "type", "group_id", "assignee_id"):
                effects.fields[name] = NONE if value is None else value
            elif isinstance(name, str) and name.startswith("custom_fields_"):
                effects.fields[name] = value
            elif name in ("set_tags", "current_tags", "remove_tags"):
                tags = str(value).split() if isinstance(value, str) else []
                if name == "set_tags":
                    effects.tags.set_to(tags)
                elif name == "current_tags":
                    effects.tags.add_tags(tags)
                else:
                    effects.tags.remove_tags(tags)
        return effects


_BLANK_FACTS = Facts(now=datetime.min.replace(tzinfo=UTC), status="new", via="web")


def nullified_by(condition: Condition, effects: _Effects) -> bool:
    """Does the automation's own update make this condition false, whatever the ticket was?"""
    if condition.field.startswith("custom_fields_") and condition.field in effects.fields:
        field_id = int(condition.field.removeprefix("custom_fields_"))
        facts = replace(_BLANK_FACTS, custom_fields={field_id: effects.fields[condition.field]})
        return not field_spec(condition.field).evaluate(condition, facts)
    if condition.field in effects.fields and condition.operator in ("is", "is_not", "less_than", "greater_than"):
        new_value = effects.fields[condition.field]
        facts = replace(_BLANK_FACTS, **{condition.field: plain_value(new_value)})
        return not field_spec(condition.field).evaluate(condition, facts)
    if condition.field == "current_tags":
        tags = condition.value.split()
        if condition.operator == "includes":
            return not any(effects.tags.may_have(tag) for tag in tags)
        return any(effects.tags.surely_has(tag) for tag in tags)
    return False


def automation_problems(conditions: Conditions, actions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Zendesk's rule: a time condition under `all`, and a condition that holds only once (a time condition with
    `is`) or an action that makes one of the conditions false (nullifies it), so the automation stops matching.
    """
    problems = []
    if not any(field_spec(c.field).time for c in conditions.all):
        times = ", ".join(TIME_FIELDS)
        problems.append(
            "conditions.all: " + _("an automation needs a time condition (%(fields)s).") % {"fields": times}
        )
    once = any(field_spec(c.field).time and c.operator == "is" for c in conditions.all)
    effects = _Effects.of(actions)
    nullified = any(nullified_by(c, effects) for c in conditions.all) or (
        bool(conditions.any) and all(nullified_by(c, effects) for c in conditions.any)
    )
    if not once and not nullified:
        problems.append(
            "actions: "
            + _(
                "an automation must stop matching once it has acted (Zendesk's rule): add an action that "
                "makes one of its conditions false (e.g. status is solved -> set status closed, or current_tags "
                "not_includes a tag -> add that tag), or use a time condition with the operator is."
            )
        )
    return problems
