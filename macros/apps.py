from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MacrosConfig(AppConfig):
    name = "macros"
    verbose_name = _("Macros")

    def ready(self) -> None:
        from macros import demo as macros_demo
        from tickets import hooks

        hooks.register_seeder("macros", macros_demo.seed)
