"""The Django admin's site: entered only by product admins (tickets.permissions.is_admin), not by any staff user."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig, SimpleAdminConfig
from django.utils.translation import gettext_lazy


class SupportDeskAdminSite(admin.AdminSite):
    site_header = gettext_lazy("SupportDesk admin")
    site_title = gettext_lazy("SupportDesk admin")
    index_title = gettext_lazy("Helpdesk data")

    def has_permission(self, request) -> bool:
        # Staff status alone is not the role: staff without it get the admin login's "not authorized" page.
        from tickets.permissions import is_admin

        user = request.user
        return bool(user.is_active and user.is_staff and is_admin(user))


class SupportDeskAdminConfig(AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS so that `admin.site` is the product-admin-only site."""

    default_site = "tickets.admin_site.SupportDeskAdminSite"


class SupportDeskWorkerAdminConfig(SimpleAdminConfig):
    """The same site without autodiscovery, for the task worker (config/settings/base.py): it serves no admin page,
    and importing every app's admin module (with the page and API code they import) cost each of its forked
    processes about 12 MiB."""

    default_site = "tickets.admin_site.SupportDeskAdminSite"
