from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = "Business rules"

    def ready(self) -> None:
        from automations import engine, operations
        from tickets import hooks

        operations.register()
        hooks.register_change_listener(engine.on_ticket_change)
