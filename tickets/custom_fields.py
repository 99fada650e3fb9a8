"""Admin-defined ticket fields: reading them (as `FieldInfo`) and writing a ticket's values.

`values_set` is the one write of values; `tickets.services.ticket_update` and `ticket_create` call it with the
`custom_fields` of a submit (API, ticket page, macro or rule action), so every path validates, tags and audits the
same way. Values are checked by `tickets.custom_field_values`.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from tickets import events
from tickets.custom_field_models import CustomField, CustomFieldOption, CustomFieldType, CustomFieldValue
from tickets.custom_field_values import (
    CustomFieldValueError,
    FieldInfo,
    as_json,
    as_text,
    clean_value,
    from_columns,
    is_stored,
    tag_changes,
    to_columns,
)
from tickets.errors import DomainError
from tickets.models import Ticket, TicketStatus

FILTERABLE_TYPES = (CustomFieldType.DROPDOWN, CustomFieldType.CHECKBOX)


# --- Reads ----------------------------------------------------------------------------------------------------


def info_of(field: CustomField) -> FieldInfo:
    """Needs `options` prefetched (the selectors here do it)."""
    return FieldInfo(
        id=field.pk,
        type=field.type,
        title=field.title,
        active=field.active,
        options=tuple((option.value, option.name) for option in field.options.all()),
        pattern=field.regexp_for_validation,
        tag=field.tag,
        required_on_solve=field.required_on_solve,
    )


def fields_with_options(*, active: bool | None = None):
    qs = CustomField.objects.prefetch_related(
        Prefetch("options", queryset=CustomFieldOption.objects.order_by("position", "id"))
    )
    return qs if active is None else qs.filter(active=active)


def field_infos(*, active: bool | None = None, ids: Iterable[int] | None = None) -> list[FieldInfo]:
    qs = fields_with_options(active=active)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return [info_of(field) for field in qs]


def filterable_field_infos() -> list[FieldInfo]:
    """Active drop-down and checkbox fields: the ticket list can filter by them."""
    return [info for info in field_infos(active=True) if info.type in FILTERABLE_TYPES]


def field_info(field_id: int) -> FieldInfo | None:
    found = field_infos(ids=[field_id])
    return found[0] if found else None


def _row_value(info: FieldInfo, row: CustomFieldValue) -> Any:
    return from_columns(info, value=row.value, text=row.text, number=row.number, date_value=row.date)


def ticket_values(ticket, infos: Iterable[FieldInfo]) -> dict[int, Any]:
    """The ticket's value of each field in `infos` (None, or False for a checkbox, when it has none).

    Reads `ticket.custom_field_values.all()`, so a prefetch serves it."""
    by_id = {info.id: info for info in infos}
    values: dict[int, Any] = {info.id: as_default(info) for info in by_id.values()}
    for row in ticket.custom_field_values.all():
        if row.field_id in by_id:
            values[row.field_id] = _row_value(by_id[row.field_id], row)
    return values


def as_default(info: FieldInfo) -> Any:
    return False if info.type == CustomFieldType.CHECKBOX else None


def api_values(ticket, infos: Iterable[FieldInfo]) -> list[dict[str, Any]]:
    """Zendesk's `custom_fields: [{"id", "value"}]` of a ticket, for the given fields in their order."""
    infos = list(infos)
    values = ticket_values(ticket, infos)
    return [{"id": info.id, "value": as_json(info, values[info.id])} for info in infos]


def placeholder_values(ticket) -> dict[str, str]:
    """Zendesk's `{{ticket.ticket_field_<id>}}` (the value) and `{{ticket.ticket_field_option_title_<id>}}` (a
    drop-down option's name) for every field, active or not."""
    infos = field_infos()
    values = ticket_values(ticket, infos) if ticket is not None and getattr(ticket, "pk", None) else {}
    result = {}
    for info in infos:
        value = values.get(info.id, as_default(info))
        result[f"ticket.ticket_field_{info.id}"] = as_text(info, value)
        result[f"ticket.ticket_field_option_title_{info.id}"] = info.option_name(value) if info.type == "tagger" else ""
    return result


# --- Input ----------------------------------------------------------------------------------------------------


def clean_values(values: Mapping[int, Any], *, infos: Mapping[int, FieldInfo]) -> dict[int, Any]:
    """Every value checked against its field; `DomainError` on `custom_fields` naming each bad one."""
    cleaned: dict[int, Any] = {}
    problems = []
    for field_id, raw in values.items():
        info = infos.get(field_id)
        if info is None:
            problems.append(_("field %(id)s: there is no ticket field with this id.") % {"id": field_id})
            continue
        if not info.active:
            problems.append(_("field %(field)s is inactive and cannot be set.") % {"field": info.label})
            continue
        try:
            cleaned[field_id] = clean_value(info, raw)
        except CustomFieldValueError as error:
            problems.append(str(error))
    if problems:
        raise DomainError(problems[0], errors={"custom_fields": problems})
    return cleaned


# --- Writes ---------------------------------------------------------------------------------------------------


def values_set(*, ticket, actor, values: Mapping[int, Any]) -> tuple[dict[str, tuple[Any, Any]], list[str], list[str]]:
    """Set some of a ticket's field values (inside the caller's transaction); audited as `field.changed` with the
    field `custom_fields_<id>`.

    Returns (changes as `{"custom_fields_<id>": (old, new)}` in JSON form, tags to add, tags to remove): drop-downs
    and tagged checkboxes change tags, which the caller applies with the rest of the submit's tags.
    """
    if not values:
        return {}, [], []
    values = {int(key): value for key, value in values.items()}
    infos = {info.id: info for info in field_infos(ids=values.keys())}
    cleaned = clean_values(values, infos=infos)
    rows = {row.field_id: row for row in CustomFieldValue.objects.filter(ticket=ticket, field_id__in=cleaned)}
    applied: dict[str, tuple[Any, Any]] = {}
    add: list[str] = []
    remove: list[str] = []
    for field_id, new in cleaned.items():
        info = infos[field_id]
        row = rows.get(field_id)
        old = _row_value(info, row) if row is not None else as_default(info)
        if as_json(info, old) == as_json(info, new):
            continue
        if is_stored(info, new):
            CustomFieldValue.objects.update_or_create(ticket=ticket, field_id=field_id, defaults=to_columns(info, new))
        elif row is not None:
            row.delete()
        name = f"custom_fields_{field_id}"
        applied[name] = (as_json(info, old), as_json(info, new))
        events.record(
            ticket=ticket,
            type=events.FIELD_CHANGED,
            actor=actor,
            data={"field": name, "from": applied[name][0], "to": applied[name][1], "title": info.title},
        )
        tags_added, tags_removed = tag_changes(info, new)
        add += tags_added
        remove += tags_removed
    if hasattr(ticket, "_prefetched_objects_cache"):
        ticket._prefetched_objects_cache.pop("custom_field_values", None)
    return applied, add, remove


def missing_to_solve(ticket) -> list[FieldInfo]:
    """Active fields required to solve that the ticket leaves empty."""
    required = [info for info in field_infos(active=True) if info.required_on_solve]
    if not required:
        return []
    values = ticket_values(ticket, required)
    return [info for info in required if not is_stored(info, values[info.id])]


class TicketFieldValues(Mapping):
    """A ticket's field values in their JSON form, {field id: value}, read from the database on first use: rule
    conditions see them as plain values, and a ticket checked by rules that name no field costs no query."""

    def __init__(self, ticket_id: int | None):
        self._ticket_id = ticket_id
        self._values: dict[int, Any] | None = None

    def _load(self) -> dict[int, Any]:
        if self._values is None:
            rows = list(CustomFieldValue.objects.filter(ticket_id=self._ticket_id)) if self._ticket_id else []
            infos = {info.id: info for info in field_infos(ids={row.field_id for row in rows})} if rows else {}
            self._values = {
                row.field_id: as_json(infos[row.field_id], _row_value(infos[row.field_id], row))
                for row in rows
                if row.field_id in infos
            }
        return self._values

    def __getitem__(self, key: int) -> Any:
        return self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def custom_field_filter_q(chosen: Mapping[int, str]) -> Q:
    """Tickets whose drop-down has the option value, or whose checkbox is ("true") or is not ("false") checked; one
    `EXISTS` per field on the (field, value) index."""
    q = Q()
    for field_id, value in chosen.items():
        has = Exists(CustomFieldValue.objects.filter(ticket=OuterRef("pk"), field_id=field_id))
        if value == "true":
            q &= Q(has)
        elif value == "false":
            q &= ~Q(has)
        else:
            q &= Q(Exists(CustomFieldValue.objects.filter(ticket=OuterRef("pk"), field_id=field_id, value=value)))
    return q


def submit_values_apply(*, ticket: Ticket, actor, changes: dict[str, Any], applied: dict) -> None:
    """The submit's field values into `applied`; a drop-down's or checkbox's tags join the submit's tag changes."""
    field_changes, add, remove = values_set(ticket=ticket, actor=actor, values=changes["custom_fields"])
    applied.update(field_changes)
    if add or remove:
        changes["add_tags"] = [*changes.get("add_tags", ()), *add]
        changes["remove_tags"] = [*changes.get("remove_tags", ()), *remove]


def required_to_solve_check(*, ticket: Ticket, actor, applied: dict) -> None:
    """An agent solving the ticket must have filled in the fields required to solve (rules and the product may)."""
    if actor is None or applied.get("status", (None, None))[1] != TicketStatus.SOLVED:
        return
    missing = missing_to_solve(ticket)
    if missing:
        titles = ", ".join(info.title for info in missing)
        raise DomainError(
            _("Fill in %(fields)s before solving the ticket.") % {"fields": titles}, field="custom_fields"
        )
