from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from tickets import checks, roles  # noqa: F401  (checks registers the system checks)

        post_migrate.connect(roles.on_post_migrate, dispatch_uid="tickets.roles.product_admins")
