"""Checking a definition's actions when it is saved: shape, values, the ids they name, placeholders and template
shorthand. Planning (`macros.actions.plan`) checks each action the same way before it runs it.
"""

from typing import Any

from django.utils.translation import gettext as _

from macros import placeholders, shorthand
from macros.actions import zendesk  # registers Zendesk's extra actions
from macros.actions.fields import handler_for
from macros.actions.model import ActionError, ActionHandler, Kind, PlacedActionError
from tickets.errors import DomainError

MAX_ACTIONS = 100


def label(index: int, name: str | None = None) -> str:
    if name:
        return _("Action %(number)s (%(field)s)") % {"number": index, "field": name}
    return _("Action %(number)s") % {"number": index}


def placed(index: int, name: str | None, message: str) -> str:
    """A message about one action, led by its number and field ("Action 2 (status): ...")."""
    return f"{label(index, name)}: {message}"


def _placeholder_problems(text: str) -> list[str]:
    problems = []
    for name in placeholders.unknown(text):
        shown = name if name.startswith("{{") else "{{" + name + "}}"
        if (feature := placeholders.unsupported_feature(name)) is not None:
            problems.append(
                _("placeholder %(placeholder)s needs %(feature)s, which SupportDesk does not have.")
                % {"placeholder": shown, "feature": feature}
            )
            continue
        problems.append(_("unknown placeholder %(placeholder)s.") % {"placeholder": shown})
    return problems


def _shorthand_problems(text: str, kind: Kind) -> list[str]:
    if not shorthand.contains(text):
        return []
    if kind != "macro":
        return [_("triggers and automations may not send WhatsApp template messages (template shorthand &((...))&).")]
    try:
        shorthand.parse(text)
    except shorthand.ShorthandError as error:
        return [_("malformed template shorthand: %(problem)s") % {"problem": error.message}]
    return []


def clean_one(index: int, action: Any, kind: Kind) -> tuple[ActionHandler, Any]:
    """The handler and the normalised value of one action, or ActionError with the full message."""
    if not isinstance(action, dict):
        message = _('%(value)s is not an object {"field": ..., "value": ...}.') % {"value": repr(action)}
        raise PlacedActionError(placed(index, None, message))
    name = action.get("field")
    if not isinstance(name, str) or not name:
        raise PlacedActionError(placed(index, None, _('"field" is missing.')))
    handler = handler_for(name)
    if handler is None:
        if (reason := zendesk.unsupported_reason(name)) is not None:
            message = _("%(field)s is a Zendesk action SupportDesk does not have: %(reason)s.") % {
                "field": repr(name),
                "reason": reason,
            }
            raise PlacedActionError(placed(index, None, message))
        raise PlacedActionError(placed(index, None, _("unknown field %(field)s.") % {"field": repr(name)}))
    if kind not in handler.kinds:
        raise PlacedActionError(placed(index, name, str(handler.refused) or _not_available(kind)))
    if "value" not in action:
        raise PlacedActionError(placed(index, name, _('"value" is missing.')))
    extra = set(action) - {"field", "value"}
    if extra:
        keys = ", ".join(sorted(map(str, extra)))
        raise PlacedActionError(placed(index, name, _("unexpected key(s) %(keys)s.") % {"keys": keys}))
    try:
        return handler, handler.clean(action["value"], kind)
    except ActionError as error:
        raise PlacedActionError(placed(index, name, str(error))) from None


def _not_available(kind: Kind) -> str:
    if kind == "macro":
        return _("not available in macros.")
    if kind == "trigger":
        return _("not available in triggers.")
    if kind == "automation":
        return _("not available in automations.")
    return _("not available here.")


def validate_actions(actions: Any, *, kind: Kind = None, check_ids: bool = True) -> list[dict[str, Any]]:
    """Check a definition's actions and return them normalised (`[{"field", "value"}, ...]`).

    `kind` is "macro", "trigger" or "automation" (None: a trigger or an automation, no stricter rule). Every problem
    is reported, one message per bad action naming its number (from 1), field and value; placeholders must be known
    (`{{ticket.id}}`...) and template shorthand is parsed (macros) or refused (triggers, automations).
    `check_ids=False` skips the database checks (ids that must exist).
    """
    if not isinstance(actions, list):
        raise DomainError(_("Actions must be a list of {field, value} objects."), field="actions")
    if len(actions) > MAX_ACTIONS:
        raise DomainError(_("At most %(max)s actions.") % {"max": MAX_ACTIONS}, field="actions")
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for index, action in enumerate(actions, start=1):
        try:
            handler, value = clean_one(index, action, kind)
            if check_ids and handler.check is not None:
                handler.check(value)
        except PlacedActionError as error:
            errors.append(str(error))
            continue
        except ActionError as error:
            errors.append(placed(index, action["field"], str(error)))
            continue
        for text in handler.texts(value):
            for problem in [*_placeholder_problems(text), *_shorthand_problems(text, kind)]:
                errors.append(placed(index, handler.field, problem))
        cleaned.append({"field": handler.field, "value": value})
    if errors:
        raise DomainError(errors[0], errors={"actions": errors})
    return cleaned
