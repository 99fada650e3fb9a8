"""`custom_fields_<id>` automation conditions as database queries; they must agree with
`automations.conditions.custom_field_conditions` (the pure evaluation). Each is an `EXISTS` on the values table,
served by its (field, value), (field, number) and (field, date) indexes."""

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from automations.conditions.model import Condition
from tickets.custom_field_models import CustomFieldValue
from tickets.custom_field_values import field_id_of
from tickets.custom_fields import field_info


def _exists(field_id: int, **lookups) -> Q:
    return Q(Exists(CustomFieldValue.objects.filter(ticket=OuterRef("pk"), field_id=field_id, **lookups)))


def custom_field_q(condition: Condition) -> Q:
    field_id = field_id_of(condition.field)
    info = field_info(field_id) if field_id is not None else None
    if info is None:
        return Q(pk__in=[])
    op, value = condition.operator, condition.value
    present = _exists(field_id)
    if op == "present":
        return present
    if op == "not_present":
        return ~present
    if op in ("is", "is_not"):
        if value is None or value is False or value == "":
            q = ~present
        elif info.type == "checkbox":
            q = present
        elif info.type == "textarea":
            q = _exists(field_id, text=value)
        elif info.type in ("integer", "decimal"):
            q = _exists(field_id, number=Decimal(str(value)))
        elif info.type == "date":
            q = _exists(field_id, date=value)
        else:
            q = _exists(field_id, value=value)
        return q if op == "is" else ~q
    column = "date" if info.type == "date" else "number"
    bound = value if info.type == "date" else Decimal(str(value))
    suffix = "lt" if op == "less_than" else "gt"
    return _exists(field_id, **{f"{column}__{suffix}": bound})
