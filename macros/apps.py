from django.apps import AppConfig


class MacrosConfig(AppConfig):
    name = "macros"
    verbose_name = "Macros"

    def ready(self) -> None:
        from macros import demo as macros_demo
        from tickets import hooks

        hooks.register_seeder("macros", macros_demo.seed)
