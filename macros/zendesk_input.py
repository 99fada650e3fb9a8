"""Definitions as Zendesk's API returns them, for `/api/macros/`, `/api/triggers/` and `/api/automations/`.

Zendesk wraps a definition (``{"macro": {...}}``), writes ``null`` for every optional field it has no value for, and
returns read-only fields (``url``, ``id``, ``created_at``...). `unwrap` makes such a body ours: the wrapper removed,
read-only keys and nulls dropped (a null means "not given"), and a macro's ``restriction`` turned into its
availability. `merged_errors` joins the request's field errors with the definition's own problems, so one 400 names
every problem at once.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from tickets.errors import DomainError

READ_ONLY = frozenset(
    {
        "url",
        "id",
        "created_at",
        "updated_at",
        "raw_title",
        "raw_description",
        "default",
        "category_id",
        "usage_1h",
        "usage_24h",
        "usage_7d",
        "usage_30d",
        "app_installation",
        "permissions",
    }
)
# Keys of ours that may not be null; Zendesk's null there means "not given".
_NULL_MEANS_ABSENT = frozenset({"description", "active", "position", "conditions", "restriction"})


def unwrap(data: Any, kind: str) -> dict[str, Any]:
    """Zendesk's request or response body of one definition -> our input (see the module's docstring)."""
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    if isinstance(data.get(kind), Mapping):
        data = data[kind]
    cleaned = {
        key: value
        for key, value in data.items()
        if key not in READ_ONLY and not (value is None and key in _NULL_MEANS_ABSENT)
    }
    if kind == "macro" and "restriction" in cleaned:
        cleaned.update(_restriction(cleaned.pop("restriction")))
    return cleaned


def _restriction(restriction: Any) -> dict[str, Any]:
    """Zendesk's macro restriction -> availability: ``{"type": "Group", "ids": [...]}`` is the groups' macro,
    ``{"type": "User", "id": n}`` a personal one."""
    if isinstance(restriction, Mapping):
        kind = str(restriction.get("type", "")).lower()
        if kind == "group":
            ids = restriction.get("ids") or ([restriction["id"]] if restriction.get("id") is not None else [])
            return {"availability": "groups", "group_ids": ids}
        if kind == "user" and restriction.get("id") is not None:
            return {"availability": "personal", "owner_id": restriction["id"]}
    raise ValidationError(
        {"restriction": [_('Give null, {"type": "Group", "ids": [...]} or {"type": "User", "id": ...}.')]}
    )


def merged_errors(serializer_errors: Mapping[str, Any], check: Callable[[], Any]) -> dict[str, Any]:
    """The serializer's errors plus those `check()` raises as a `DomainError` for keys the serializer did not
    already name."""
    errors = dict(serializer_errors)
    try:
        check()
    except DomainError as error:
        for key, messages in error.errors.items():
            errors.setdefault(key, messages)
    return errors
