"""Zendesk's ids -> ours, inside a rule's conditions and actions (no database: the maps are filled by `setup`)."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

CUSTOM_FIELD = re.compile(r"^custom_fields_(\d+)$")


class Unmapped(Exception):
    """The definition names something that was not imported; the message says what."""


@dataclass
class IdMap:
    """Zendesk id (as text) -> our id, per kind; `unknown_agents` remembers the e-mails of agents not found."""

    groups: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, int] = field(default_factory=dict)
    unknown_agents: dict[str, str] = field(default_factory=dict)

    def group(self, value: Any) -> Any:
        return self._ours(self.groups, value, _("group %(id)s is not in the export"))

    def user(self, value: Any) -> Any:
        key = _key(value)
        if key in self.unknown_agents:
            raise Unmapped(
                _("agent %(email)s has no user here (agents are not created)") % {"email": self.unknown_agents[key]}
            )
        return self._ours(self.users, value, _("user %(id)s is not an agent in the export"))

    def webhook(self, value: Any) -> Any:
        if _key(value) in self.webhooks:
            return str(self.webhooks[_key(value)])
        raise Unmapped(_("webhook %(id)s is not in the export") % {"id": value})

    def field_name(self, name: str) -> str:
        match = CUSTOM_FIELD.match(name)
        if match is None:
            return name
        if match[1] not in self.fields:
            raise Unmapped(_("ticket field %(id)s is not in the export") % {"id": match[1]})
        return f"custom_fields_{self.fields[match[1]]}"

    @staticmethod
    def _ours(known: dict[str, int], value: Any, missing: str) -> Any:
        """Only ids are mapped: "", null, "current_user", "current_groups"... stay as they are."""
        key = _key(value)
        if not key.isdigit():
            return value
        if key not in known:
            raise Unmapped(missing % {"id": key})
        return str(known[key]) if isinstance(value, str) else known[key]


def _key(value: Any) -> str:
    return str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""


def _rewrite_item(item: Any, ids: IdMap) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("field"), str):
        return item  # the validation says what is wrong with it
    item = dict(item)
    name = item["field"] = ids.field_name(item["field"])
    value = item.get("value")
    if name == "group_id":
        item["value"] = [ids.group(v) for v in value] if isinstance(value, list) else ids.group(value)
    elif name == "assignee_id":
        item["value"] = [ids.user(v) for v in value] if isinstance(value, list) else ids.user(value)
    elif (
        name in ("notification_group", "notification_user", "notification_webhook")
        and value
        and isinstance(value, list)
    ):
        convert = {"notification_group": ids.group, "notification_user": ids.user}.get(name, ids.webhook)
        item["value"] = [convert(value[0]), *value[1:]]
    return item


def rewrite(definition: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    """A copy of a macro, trigger or automation with our ids; `Unmapped` when it names what we do not have."""
    definition = dict(definition)
    if isinstance(definition.get("actions"), list):
        definition["actions"] = [_rewrite_item(item, ids) for item in definition["actions"]]
    conditions = definition.get("conditions")
    if isinstance(conditions, dict):
        definition["conditions"] = {
            key: [_rewrite_item(item, ids) for item in value] if isinstance(value, list) else value
            for key, value in conditions.items()
        }
    for key in ("all", "any"):
        if isinstance(definition.get(key), list):
            definition[key] = [_rewrite_item(item, ids) for item in definition[key]]
    restriction = definition.get("restriction")
    if isinstance(restriction, dict):
        restriction = dict(restriction)
        if isinstance(restriction.get("ids"), list):
            restriction["ids"] = [ids.group(v) for v in restriction["ids"]]
        if restriction.get("id") is not None:
            kind = str(restriction.get("type", "")).lower()
            restriction["id"] = ids.group(restriction["id"]) if kind == "group" else ids.user(restriction["id"])
        definition["restriction"] = restriction
    return definition
