from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Business rules")

    def ready(self) -> None:
        from automations import engine, operations
        from automations.webhooks import action as webhook_action
        from tickets import hooks

        operations.register()
        webhook_action.register()
        hooks.register_change_listener(engine.on_ticket_change)
