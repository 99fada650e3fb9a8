from django.apps import AppConfig


class MacrosConfig(AppConfig):
    name = "macros"
    verbose_name = "Macros"

    def ready(self) -> None:
        from macros import demo as macros_demo
        from macros.api import MacroViewSet, TicketMacroViewSet
        from tickets import demo
        from tickets.api.urls import router

        registered = {basename for _, _, basename in router.registry}
        if "macro" not in registered:
            router.register("macros", MacroViewSet, basename="macro")
        if "ticket-macro" not in registered:
            router.register(r"tickets/(?P<ticket_id>\d+)/macros", TicketMacroViewSet, basename="ticket-macro")
        demo.register_seeder("macros", macros_demo.seed)
