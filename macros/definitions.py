"""What macros, triggers and automations have in common when one is changed: the title, the actions, and the update
of a stored definition (lock the row, merge what is given over what is stored, check, save).

Each kind keeps only what differs: macros their availability, rules their conditions and Zendesk's rules for them.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model
from django.utils.translation import gettext as _

from macros.actions.validate import validate_actions
from tickets.errors import DomainError
from tickets.sentinels import UNSET

M = TypeVar("M", bound=Model)


def title_clean(title: Any, *, missing: str) -> str:
    """One line of at most 255 characters; `missing` is the refusal of an empty title ("A macro needs a title.")."""
    title = " ".join(str(title or "").split())
    if not title:
        raise DomainError(missing, field="title")
    if len(title) > 255:
        raise DomainError(_("The title is longer than 255 characters."), field="title")
    return title


def actions_clean(actions: Any, *, kind: str, empty: str) -> list[dict[str, Any]]:
    """The actions checked and normalised (`macros.actions.validate`); `empty` is the refusal of an empty list."""
    cleaned = validate_actions(actions, kind=kind)
    if not cleaned:
        raise DomainError(empty, field="actions")
    return cleaned


def definition_update(
    definition: M, *, given: dict[str, Any], clean: Callable[[M, dict[str, Any]], dict[str, Any]]
) -> M:
    """Change only what is given (values that are not `UNSET`), in the caller's transaction.

    The row is locked and read again; `clean(stored, given)` checks the whole result against the stored definition
    and returns the attributes to write (raise `DomainError` or `PermissionDenied` to refuse). `active` and
    `position` need no check and are written as given.
    """
    stored = type(definition).objects.select_for_update().get(pk=definition.pk)
    given = {name: value for name, value in given.items() if value is not UNSET}
    values = clean(stored, given)
    if "active" in given:
        values["active"] = bool(given["active"])
    if "position" in given:
        values["position"] = given["position"]
    for name, value in values.items():
        setattr(stored, name, value)
    stored.save()
    return stored
