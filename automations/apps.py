from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = "Business rules"

    def ready(self) -> None:
        from automations import engine, operations
        from automations.api import AutomationViewSet, TriggerViewSet
        from tickets import hooks
        from tickets.api.urls import router

        operations.register()
        hooks.register_change_listener(engine.on_ticket_change)
        registered = {basename for _, _, basename in router.registry}
        if "trigger" not in registered:
            router.register("triggers", TriggerViewSet, basename="trigger")
        if "automation" not in registered:
            router.register("automations", AutomationViewSet, basename="automation")
