"""The business rules SupportDesk ships with: active, editable, found again by their titles.

The definitions are written here in their stored (normalised) form, frozen with the migration; a test checks that
they pass the same validation as a definition sent to the API.
"""

from django.db import migrations

TRIGGERS = [
    {
        "title": "Auto-reply to new WhatsApp requests",
        "description": (
            "Acknowledges a customer's first WhatsApp message at once. Not for tickets an agent starts (the update "
            "must come from the customer), nor for a message that arrives after its 24-hour window has closed (a "
            "backlog replayed late): that acknowledgement could not be delivered."
        ),
        "position": 0,
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "via", "operator": "is", "value": "whatsapp"},
                {"field": "role", "operator": "is", "value": "end_user"},
                {"field": "whatsapp_window", "operator": "is", "value": "open"},
            ],
            "any": [],
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "requester_id",
                    "We received your request (#{{ticket.id}})",
                    "Thanks for your message! We have received it as ticket #{{ticket.id}}, "
                    "and an agent will reply here as soon as possible.",
                ],
            }
        ],
    },
    {
        "title": "Notify assignee of assignment",
        "description": "E-mails the agent a ticket is assigned to, unless they assigned it to themselves.",
        "position": 1,
        "conditions": {
            "all": [
                {"field": "assignee_id", "operator": "changed", "value": None},
                {"field": "assignee_id", "operator": "is_not", "value": "current_user"},
            ],
            "any": [],
        },
        "actions": [
            {
                "field": "notification_user",
                "value": [
                    "assignee_id",
                    "[#{{ticket.id}}] Assigned to you: {{ticket.title}}",
                    "Ticket #{{ticket.id}} \u201c{{ticket.title}}\u201d from {{ticket.requester.name}} "
                    "is now assigned to you.\n\n{{ticket.url}}",
                ],
            }
        ],
    },
]

AUTOMATIONS = [
    {
        "title": "Close ticket 4 days after solved",
        "description": "Solved tickets are closed 96 hours after they were solved (a customer reply reopens them first).",
        "position": 0,
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": "solved"},
                {"field": "hours_since_solved", "operator": "greater_than", "value": 96},
            ],
            "any": [],
        },
        "actions": [{"field": "status", "value": "closed"}],
    },
    {
        "title": "Window closes within 2 hours and the customer is waiting",
        "description": (
            "When a WhatsApp customer's last message is still unanswered and the 24-hour window closes within 2 hours, "
            "raise the priority to high and tag the ticket window_expiring, so agents answer while free-form "
            "messages can still be sent (after that only templates are left)."
        ),
        "position": 1,
        "conditions": {
            "all": [
                {"field": "via", "operator": "is", "value": "whatsapp"},
                {"field": "status", "operator": "less_than", "value": "solved"},
                {"field": "priority", "operator": "less_than", "value": "urgent"},
                {"field": "hours_until_window_closes", "operator": "less_than", "value": 2},
                {"field": "current_tags", "operator": "not_includes", "value": "window_expiring"},
                {"field": "customer_waiting", "operator": "is", "value": "true"},
            ],
            "any": [],
        },
        "actions": [
            {"field": "priority", "value": "high"},
            {"field": "current_tags", "value": "window_expiring"},
        ],
    },
]


def create_defaults(apps, schema_editor):
    for model_name, definitions in (("Trigger", TRIGGERS), ("Automation", AUTOMATIONS)):
        model = apps.get_model("automations", model_name)
        for definition in definitions:
            fields = dict(definition)
            title = fields.pop("title")
            model.objects.get_or_create(title=title, defaults={**fields, "active": True})


def remove_defaults(apps, schema_editor):
    for model_name, definitions in (("Trigger", TRIGGERS), ("Automation", AUTOMATIONS)):
        apps.get_model("automations", model_name).objects.filter(title__in=[d["title"] for d in definitions]).delete()


class Migration(migrations.Migration):
    dependencies = [("automations", "0002_hourly_schedule")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
