from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Business rules")

    def ready(self) -> None:
        from automations import engine, operations
        from automations.conditions import custom_field_conditions
        from automations.webhooks import action as webhook_action
        from tickets import custom_fields, hooks

        operations.register()
        webhook_action.register()
        custom_field_conditions.set_lookup(custom_fields.field_info)
        hooks.register_change_listener(engine.on_ticket_change)
