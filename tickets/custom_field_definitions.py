"""Writes of ticket field definitions (the admin's `/api/ticket_fields/` and the Django admin check the same rules).

As in Zendesk, a field's type is fixed once created; a drop-down needs options whose values are valid, distinct tags
(choosing one sets that tag); a pattern field needs a pattern that compiles.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tickets.custom_field_models import CustomField, CustomFieldOption, CustomFieldType
from tickets.custom_field_values import compile_pattern
from tickets.errors import DomainError
from tickets.tags import split_tags

DEFINITION_FIELDS = ("title", "description", "active", "position", "required_on_solve", "regexp_for_validation", "tag")


def _tag_problem(value: str) -> str | None:
    tags, bad = split_tags([value])
    return None if bad is None and tags == [value] else value


def definition_problems(
    *, type: str, regexp_for_validation: str = "", tag: str = "", options: Sequence[dict[str, Any]] | None = None
) -> dict[str, list[str]]:
    """What is wrong with a definition, by its API key; empty when nothing is."""
    problems: dict[str, list[str]] = {}
    if type == CustomFieldType.REGEXP:
        if not regexp_for_validation:
            problems["regexp_for_validation"] = [_("A pattern field needs a pattern.")]
        else:
            try:
                compile_pattern(regexp_for_validation)
            except re.error as error:
                problems["regexp_for_validation"] = [
                    _("%(pattern)s is not a valid pattern: %(error)s.")
                    % {"pattern": regexp_for_validation, "error": error}
                ]
    if tag and _tag_problem(tag.lower()) is not None:
        problems["tag"] = [_("%(tag)s is not a valid tag.") % {"tag": repr(tag)}]
    if type == CustomFieldType.DROPDOWN and options is not None:
        option_problems = []
        seen = set()
        if not options:
            option_problems.append(_("A drop-down needs at least one option."))
        for index, option in enumerate(options):
            value = option.get("value", "")
            if not option.get("name"):
                option_problems.append(_("Option %(number)s has no name.") % {"number": index + 1})
            if not value or _tag_problem(value) is not None:
                option_problems.append(
                    _("Option %(number)s: %(value)s is not a valid tag (lower case, no spaces).")
                    % {"number": index + 1, "value": repr(value)}
                )
            elif value in seen:
                option_problems.append(_("Option value %(value)s is used twice.") % {"value": repr(value)})
            seen.add(value)
        if option_problems:
            problems["custom_field_options"] = option_problems
    return problems


def _raise_if(problems: dict[str, list[str]]) -> None:
    if problems:
        first = next(iter(problems.values()))[0]
        raise DomainError(first, errors=problems)


def _set_options(field: CustomField, options: Sequence[dict[str, Any]]) -> None:
    """Replace the options, keeping the id of an option whose value stays (stored values name it by value)."""
    existing = {option.value: option for option in field.options.all()}
    keep = []
    for position, option in enumerate(options):
        row = existing.get(option["value"])
        if row is None:
            row = CustomFieldOption(field=field, value=option["value"])
        row.name, row.position = option["name"], position
        row.save()
        keep.append(row.pk)
    field.options.exclude(pk__in=keep).delete()


MAX_POSITION = 2**31 - 1  # PostgreSQL's integer, as the API's own bound on `position`


@transaction.atomic
def field_create(
    *, type: str, title: str, options: Sequence[dict[str, Any]] | None = None, **values: Any
) -> CustomField:
    if type not in CustomFieldType.values:
        raise DomainError(
            _("%(type)s is not a field type (%(allowed)s).")
            % {"type": repr(type), "allowed": ", ".join(CustomFieldType.values)},
            field="type",
        )
    values.setdefault("tag", "")
    values["tag"] = values["tag"].lower()
    _raise_if(
        definition_problems(
            type=type,
            regexp_for_validation=values.get("regexp_for_validation", ""),
            tag=values["tag"],
            options=(options or []) if type == CustomFieldType.DROPDOWN else None,
        )
    )
    if "position" not in values:
        last = CustomField.objects.order_by("-position").values_list("position", flat=True).first()
        values["position"] = min((last or 0) + 1, MAX_POSITION)  # after the last, never past the column's range
    field = CustomField.objects.create(type=type, title=title, **values)
    if type == CustomFieldType.DROPDOWN:
        _set_options(field, options or [])
    return field


@transaction.atomic
def field_update(*, field: CustomField, options: Sequence[dict[str, Any]] | None = None, **values: Any) -> CustomField:
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    new_type = values.pop("type", field.type)
    if new_type != field.type:
        raise DomainError(_("A field's type cannot be changed; create a new field."), field="type")
    if "tag" in values:
        values["tag"] = values["tag"].lower()
    _raise_if(
        definition_problems(
            type=field.type,
            regexp_for_validation=values.get("regexp_for_validation", field.regexp_for_validation),
            tag=values.get("tag", field.tag),
            options=options if field.type == CustomFieldType.DROPDOWN else None,
        )
    )
    for name, value in values.items():
        if name in DEFINITION_FIELDS:
            setattr(field, name, value)
    field.save()
    if options is not None and field.type == CustomFieldType.DROPDOWN:
        _set_options(field, options)
    return field


def field_delete(*, field: CustomField) -> None:
    """Removes the field and every ticket's value of it (tags it set stay, as in Zendesk)."""
    field.delete()
