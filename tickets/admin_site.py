"""The Django admin's site: entered only by product admins (tickets.permissions.is_admin), not by any staff user."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
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
