"""Demo macros, shared with every agent: registered with `tickets.hooks.register_seeder`, run by `manage.py seed_demo`."""

from django.utils.translation import ngettext

from macros.models import Macro, MacroAvailability

WHATSAPP_FOLLOW_UP = (
    "&((template=[[ticket_followup]] language=[[en_US]] "
    "body_text=[[{{ticket.requester.first_name}}]] body_text=[[{{ticket.id}}]]))&"
)


def demo_macros(groups: dict) -> list[dict]:
    billing = groups.get("Billing")
    return [
        {
            "title": "Close and thank",
            "description": "Thank the customer and mark the ticket solved.",
            "actions": [
                {"field": "status", "value": "solved"},
                {
                    "field": "comment_value",
                    "value": "Hi {{ticket.requester.first_name}}, thanks for getting in touch! I'm marking this as "
                    "solved; just reply here if there is anything else.\n\n{{current_user.first_name}}",
                },
            ],
        },
        {
            "title": "Take it",
            "description": "Assign the ticket to yourself and open it.",
            "actions": [{"field": "assignee_id", "value": "current_user"}, {"field": "status", "value": "open"}],
        },
        {
            "title": "Ask for order number",
            "description": "Ask for the order number and wait for the customer.",
            "actions": [
                {"field": "status", "value": "pending"},
                {"field": "current_tags", "value": "needs_order_number"},
                {
                    "field": "comment_value",
                    "value": [
                        "channel:all",
                        "Hi {{ticket.requester.first_name}}, could you send me your order number? It starts with "
                        "# and is in your confirmation e-mail.",
                    ],
                },
            ],
        },
        {
            "title": "Billing::Refund issued",
            "description": "Confirm a refund and solve the ticket.",
            "actions": [
                *([{"field": "group_id", "value": billing.pk}] if billing else []),
                {"field": "current_tags", "value": "refund refund_issued"},
                {"field": "status", "value": "solved"},
                {
                    "field": "comment_value",
                    "value": "Hi {{ticket.requester.first_name}}, your refund has been issued today. It can take "
                    "5-10 business days to show on your statement.",
                },
            ],
        },
        {
            "title": "Billing::Escalate to billing (note)",
            "description": "Hand the ticket to the Billing group with an internal note.",
            "actions": [
                *(
                    [{"field": "group_id", "value": billing.pk}, {"field": "assignee_id", "value": ""}]
                    if billing
                    else []
                ),
                {"field": "priority", "value": "high"},
                {"field": "comment_mode_is_public", "value": False},
                {"field": "comment_value", "value": "Escalated to Billing by {{current_user.name}}."},
            ],
        },
        {
            "title": "WhatsApp::Follow-up template",
            "description": "Reopen a closed WhatsApp window with the approved ticket_followup template.",
            "actions": [
                {"field": "status", "value": "pending"},
                {"field": "comment_value", "value": WHATSAPP_FOLLOW_UP},
            ],
        },
    ]


def seed(core, rng) -> str:
    """Create the demo macros that do not exist yet (by title); later runs leave edited ones alone."""
    from macros import services

    admin = core.users.get("admin")
    existing = set(Macro.objects.filter(availability=MacroAvailability.EVERYONE).values_list("title", flat=True))
    created = 0
    for position, spec in enumerate(demo_macros(core.groups)):
        if spec["title"] in existing:
            continue
        services.macro_create(
            actor=admin,
            title=spec["title"],
            description=spec["description"],
            actions=spec["actions"],
            availability=MacroAvailability.EVERYONE,
            position=position,
        )
        created += 1
    return ngettext(
        "Macros: %(count)d shared macro(s) created", "Macros: %(count)d shared macro(s) created", created
    ) % {"count": created}
