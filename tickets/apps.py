from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = gettext_lazy("Tickets")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks as django_checks

        from tickets import checks, contact_language_views, hooks, profiles, roles

        django_checks.register(checks.check_realtime_relay, django_checks.Tags.compatibility)

        post_migrate.connect(roles.on_post_migrate, dispatch_uid="tickets.roles.product_admins")
        user_logged_in.connect(profiles.on_login, dispatch_uid="tickets.profiles.on_login")
        hooks.register_contact_panel(contact_language_views.PANEL, contact_language_views.language_panel)
