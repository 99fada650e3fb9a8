"""Business rule definitions: create, change, order and delete triggers and automations.

Who may do what, as in Zendesk: business rules are an admin's to create, change, order and delete; agents may read
them. A definition is checked before it is stored: conditions by `automations.conditions.parse`, actions by
`macros.actions.validate` (the implementation macros share), plus the rules of business rules (no template shorthand
anywhere, Zendesk's time and nullification rule for automations).
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.evaluate import automation_problems
from automations.conditions.model import CURRENT_USER, ID_FIELDS, Conditions, ConditionsInvalid
from automations.conditions.parse import parse_conditions, referenced_ids
from automations.models import Automation, BusinessRule, Trigger
from macros import shorthand
from macros.actions.validate import placed
from macros.definitions import actions_clean, definition_update, title_clean
from tickets.errors import DomainError
from tickets.models import Contact, Group
from tickets.permissions import is_admin
from tickets.sentinels import UNSET

KINDS: dict[str, type[BusinessRule]] = {"trigger": Trigger, "automation": Automation}
SHORTHAND_REFUSED = gettext_lazy(
    "triggers and automations may not send WhatsApp template messages (template shorthand &((...))&); "
    "use a macro for templates."
)


def kind_of(rule: BusinessRule | type[BusinessRule]) -> str:
    model = rule if isinstance(rule, type) else type(rule)
    return "trigger" if issubclass(model, Trigger) else "automation"


def _check_admin(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only admins may change business rules."))


# --- Checking a definition -------------------------------------------------------------------------------------


def _texts_where(value: Any, path: str, found: Callable[[str], bool]) -> list[str]:
    """The places (paths) of the texts of a definition, however deep, for which `found(text)` holds."""
    if isinstance(value, str):
        return [path] if found(value) else []
    if isinstance(value, dict):
        return [
            p for key, item in value.items() for p in _texts_where(item, f"{path}.{key}" if path else str(key), found)
        ]
    if isinstance(value, list | tuple):
        return [p for index, item in enumerate(value) for p in _texts_where(item, f"{path}[{index}]", found)]
    return []


def _shorthand_in(value: Any, path: str) -> list[str]:
    return _texts_where(value, path, shorthand.contains)


def _unstorable(text: str) -> bool:
    """NUL and lone surrogates: PostgreSQL's text and jsonb refuse them."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _nul_in(value: Any, path: str) -> list[str]:
    return _texts_where(value, path, _unstorable)


def _check_ids(parsed: Conditions) -> list[str]:
    found = referenced_ids(parsed)
    models = {"users": get_user_model(), "groups": Group, "contacts": Contact}
    missing: set[tuple[str, int]] = set()
    for kind, ids in found.items():
        if ids:
            existing = set(models[kind].objects.filter(pk__in=ids).values_list("pk", flat=True))
            missing |= {(kind, i) for i in ids - existing}
    problems = []
    for group in ("all", "any"):
        for index, c in enumerate(getattr(parsed, group)):
            if c.field in ID_FIELDS and (ID_FIELDS[c.field], c.value) in missing:
                problems.append(f"conditions.{group}[{index}]: " + _missing_row(ID_FIELDS[c.field], c.value))
    return problems


def _missing_row(kind: str, row_id: int) -> str:
    if kind == "users":
        return _("user %(id)s does not exist.") % {"id": row_id}
    if kind == "groups":
        return _("group %(id)s does not exist.") % {"id": row_id}
    return _("contact %(id)s does not exist.") % {"id": row_id}


def _current_user_in_actions(actions: Sequence[dict[str, Any]]) -> list[str]:
    problems = []
    for index, action in enumerate(actions, start=1):
        value = action["value"]
        if (action["field"] == "assignee_id" and value == CURRENT_USER) or (
            action["field"] == "notification_user" and value[0] == CURRENT_USER
        ):
            problems.append(
                placed(
                    index,
                    action["field"],
                    _("current_user is the agent making an update; automations run without one."),
                )
            )
    return problems


def definition_clean(
    *, kind: str, title: Any, description: Any = "", conditions: Any = None, actions: Any = None
) -> dict[str, Any]:
    """Check a whole definition and return it normalised; `DomainError` names every bad part (a 400)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, messages: Iterable[str]) -> None:
        messages = list(messages)
        if messages:
            errors.setdefault(key, []).extend(messages)

    try:
        title = title_clean(title, missing=_("A business rule needs a title."))
    except DomainError as error:
        add("title", [error.message])
    description = str(description or "").strip()
    for path in _shorthand_in({"title": title, "description": description}, ""):
        add(path, [f"{path}: {SHORTHAND_REFUSED}"])
    for path in _shorthand_in(conditions, "conditions"):
        add("conditions", [f"{path}: {SHORTHAND_REFUSED}"])
    definition = {"title": title, "description": description, "conditions": conditions, "actions": actions}
    for path in _nul_in(definition, ""):
        add(
            path.split(".", 1)[0].split("[", 1)[0],
            [f"{path}: " + _("contains a character that cannot be stored (NUL or a lone surrogate).")],
        )
    parsed = None
    try:
        parsed = parse_conditions(conditions, kind=kind)
    except ConditionsInvalid as error:
        add("conditions", error.messages)
    if parsed is not None:
        add("conditions", _check_ids(parsed))
        if not list(parsed):
            needs = (
                _("a trigger needs at least one condition.")
                if kind == "trigger"
                else _("an automation needs at least one condition.")
            )
            add("conditions", [f"conditions: {needs}"])
    cleaned_actions: list[dict[str, Any]] = []
    try:
        empty = (
            _("a trigger needs at least one action.")
            if kind == "trigger"
            else _("an automation needs at least one action.")
        )
        cleaned_actions = actions_clean(actions if actions is not None else [], kind=kind, empty=f"actions: {empty}")
    except DomainError as error:
        for key, messages in error.errors.items():
            add(key, messages)
    else:
        if kind == "automation":
            add("actions", _current_user_in_actions(cleaned_actions))
    if kind == "automation" and parsed is not None and "actions" not in errors and "conditions" not in errors:
        for problem in automation_problems(parsed, cleaned_actions):
            add(problem.split(":", 1)[0].split(".", 1)[0], [problem])
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, errors=errors)
    return {
        "title": title,
        "description": description,
        "conditions": parsed.as_json() if parsed is not None else Conditions().as_json(),
        "actions": cleaned_actions,
    }


# --- Managing definitions --------------------------------------------------------------------------------------


def _next_position(model: type[BusinessRule]) -> int:
    highest = model.objects.aggregate(top=Max("position"))["top"]
    return 0 if highest is None else highest + 1


@transaction.atomic
def rule_create(
    *,
    kind: str,
    actor,
    title: str,
    conditions: Any = None,  # missing from the request: definition_clean says so (400), not a TypeError (500)
    actions: Any,
    description: str = "",
    active: bool = True,
    position: int | None = None,
) -> BusinessRule:
    """A new trigger or automation; without a position it goes last (Zendesk adds new rules at the end)."""
    _check_admin(actor)
    model = KINDS[kind]
    clean = definition_clean(kind=kind, title=title, description=description, conditions=conditions, actions=actions)
    return model.objects.create(
        **clean,
        active=bool(active),
        position=_next_position(model) if position is None else position,
        created_by=actor,
    )


@transaction.atomic
def rule_update(
    *,
    rule: BusinessRule,
    actor,
    title: str = UNSET,
    description: str = UNSET,
    conditions: Any = UNSET,
    actions: Any = UNSET,
    active: bool = UNSET,
    position: int = UNSET,
) -> BusinessRule:
    """Change only what is given; the whole definition is checked again."""
    _check_admin(actor)

    def clean(stored: BusinessRule, given: dict[str, Any]) -> dict[str, Any]:
        return definition_clean(
            kind=kind_of(stored),
            title=given.get("title", stored.title),
            description=given.get("description", stored.description),
            conditions=given.get("conditions", stored.conditions),
            actions=given.get("actions", stored.actions),
        )

    given = {
        "title": title,
        "description": description,
        "conditions": conditions,
        "actions": actions,
        "active": active,
        "position": position,
    }
    return definition_update(rule, given=given, clean=clean)


@transaction.atomic
def rule_delete(*, rule: BusinessRule, actor) -> None:
    _check_admin(actor)
    rule.delete()


@transaction.atomic
def rule_set_active(*, rule: BusinessRule, actor, active: bool) -> BusinessRule:
    """Switch a rule on or off without checking its definition again (a stored definition was checked)."""
    _check_admin(actor)
    type(rule).objects.filter(pk=rule.pk).update(active=active, updated_at=timezone.now())
    rule.refresh_from_db()
    return rule


@transaction.atomic
def rule_move(*, rule: BusinessRule, actor, direction: str) -> BusinessRule:
    """Move a rule one place up or down in running order; positions are renumbered 0, 1, 2... on the way."""
    _check_admin(actor)
    if direction not in ("up", "down"):
        raise DomainError(_("Move a rule up or down."), field="direction")
    model = type(rule)
    ordered = list(model.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    now = timezone.now()
    changed = []
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position, item.updated_at = position, now
            changed.append(item)
    model.objects.bulk_update(changed, ["position", "updated_at"])
    return next(r for r in ordered if r.pk == rule.pk)
