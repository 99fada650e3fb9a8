"""Checking a definition's actions when it is saved: shape, values, the ids they name, placeholders and template
shorthand. Planning (`macros.actions.plan`) checks each action the same way before it runs it.
"""

from typing import Any

from macros import placeholders, shorthand
from macros.actions.fields import handler_for
from macros.actions.model import ActionError, ActionHandler, Kind
from tickets.errors import DomainError

MAX_ACTIONS = 100


def label(index: int, name: str | None = None) -> str:
    return f"Action {index}" + (f" ({name})" if name else "")


def _placeholder_problems(text: str) -> list[str]:
    problems = []
    for name in placeholders.unknown(text):
        shown = name if name.startswith("{{") else "{{" + name + "}}"
        problems.append(f"unknown placeholder {shown}.")
    return problems


def _shorthand_problems(text: str, kind: Kind) -> list[str]:
    if not shorthand.contains(text):
        return []
    if kind != "macro":
        return ["triggers and automations may not send WhatsApp template messages (template shorthand &((...))&)."]
    try:
        shorthand.parse(text)
    except shorthand.ShorthandError as error:
        return [f"malformed template shorthand: {error.message}"]
    return []


def clean_one(index: int, action: Any, kind: Kind) -> tuple[ActionHandler, Any]:
    """The handler and the normalised value of one action, or ActionError with the full message."""
    if not isinstance(action, dict):
        raise ActionError(f'{label(index)}: {action!r} is not an object {{"field": ..., "value": ...}}.')
    name = action.get("field")
    if not isinstance(name, str) or not name:
        raise ActionError(f'{label(index)}: "field" is missing.')
    handler = handler_for(name)
    if handler is None:
        raise ActionError(f"{label(index)}: unknown field {name!r}.")
    if kind not in handler.kinds:
        raise ActionError(f"{label(index, name)}: {handler.refused or f'not available in {kind}s.'}")
    if "value" not in action:
        raise ActionError(f'{label(index, name)}: "value" is missing.')
    extra = set(action) - {"field", "value"}
    if extra:
        raise ActionError(f"{label(index, name)}: unexpected key(s) {', '.join(sorted(map(str, extra)))}.")
    try:
        return handler, handler.clean(action["value"], kind)
    except ActionError as error:
        raise ActionError(f"{label(index, name)}: {error}") from None


def validate_actions(actions: Any, *, kind: Kind = None, check_ids: bool = True) -> list[dict[str, Any]]:
    """Check a definition's actions and return them normalised (`[{"field", "value"}, ...]`).

    `kind` is "macro", "trigger" or "automation" (None: a trigger or an automation, no stricter rule). Every problem
    is reported, one message per bad action naming its number (from 1), field and value; placeholders must be known
    (`{{ticket.id}}`...) and template shorthand is parsed (macros) or refused (triggers, automations).
    `check_ids=False` skips the database checks (ids that must exist).
    """
    if not isinstance(actions, list):
        raise DomainError("Actions must be a list of {field, value} objects.", field="actions")
    if len(actions) > MAX_ACTIONS:
        raise DomainError(f"At most {MAX_ACTIONS} actions.", field="actions")
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for index, action in enumerate(actions, start=1):
        try:
            handler, value = clean_one(index, action, kind)
            if check_ids and handler.check is not None:
                handler.check(value)
        except ActionError as error:
            message = str(error)
            if not message.startswith("Action "):
                message = f"{label(index, action['field'])}: {message}"
            errors.append(message)
            continue
        for text in handler.texts(value):
            for problem in [*_placeholder_problems(text), *_shorthand_problems(text, kind)]:
                errors.append(f"{label(index, handler.field)}: {problem}")
        cleaned.append({"field": handler.field, "value": value})
    if errors:
        raise DomainError(errors[0], errors={"actions": errors})
    return cleaned
