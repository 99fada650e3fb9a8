"""Ticket fields of every type, made through the definitions service as an admin would."""

from tickets import custom_field_definitions as definitions


def make_fields() -> dict:
    return {
        "order": definitions.field_create(type="integer", title="Order number"),
        "plan": definitions.field_create(
            type="tagger",
            title="Plan",
            options=[{"name": "Basic plan", "value": "plan_basic"}, {"name": "Pro plan", "value": "plan_pro"}],
        ),
        "vip": definitions.field_create(type="checkbox", title="VIP", tag="vip"),
        "amount": definitions.field_create(type="decimal", title="Amount"),
        "due": definitions.field_create(type="date", title="Due"),
        "code": definitions.field_create(type="regexp", title="Code", regexp_for_validation=r"\A[A-Z]{3}-\d+\z"),
        "note": definitions.field_create(type="textarea", title="Note"),
        "ref": definitions.field_create(type="text", title="Reference"),
    }
