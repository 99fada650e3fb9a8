"""Zendesk's `custom_fields_<id>` action: set an admin-defined ticket field (`{"field": "custom_fields_12", "value":
"plan_pro"}`); an empty value clears it, false unchecks a checkbox. A drop-down's option also sets its tag when the
ticket is updated (`tickets.custom_fields.values_set`). Made on demand for each field by `handler_for`."""

from typing import Any

from django.utils.translation import gettext as _

from macros.actions.model import ActionError, ActionHandler, Kind, PlanBuilder
from tickets.custom_field_values import CustomFieldValueError, as_json, clean_value, field_id_of
from tickets.custom_fields import field_info


def handler_for_custom_field(name: str) -> ActionHandler | None:
    field_id = field_id_of(name)
    if field_id is None:
        return None

    def clean(value: Any, kind: Kind) -> Any:
        info = field_info(field_id)
        if info is None:
            raise ActionError(_("there is no ticket field %(id)s.") % {"id": field_id})
        if not info.active:
            raise ActionError(_("ticket field %(field)s is inactive.") % {"field": info.label})
        try:
            return as_json(info, clean_value(info, value))
        except CustomFieldValueError as error:
            raise ActionError(str(error)) from None

    def plan(builder: PlanBuilder, value: Any) -> None:
        builder.changes.setdefault("custom_fields", {})[field_id] = value

    return ActionHandler(name, clean, plan)
