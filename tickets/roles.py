"""The product-admin role as data: the "Product admins" group holds `tickets.product_admin` and the Django admin's
model permissions of SupportDesk's own apps, so a role holder who is not a superuser can work in the admin.

Users, auth groups and API tokens stay with superusers: whoever hands out roles and credentials is not a role.
"""

from django.db.models import Q

from tickets.permissions import PRODUCT_ADMIN_PERMISSION, PRODUCT_ADMINS_GROUP

# App labels whose models product admins manage in the Django admin.
MANAGED_APPS = ("tickets", "channels_whatsapp", "whatsapp_simulator", "macros", "automations")


def ensure_product_admins_group(*, using: str = "default"):
    """Create the group if missing and top up its permissions (new models get theirs after their migration)."""
    from django.contrib.auth.models import Group, Permission

    app_label, codename = PRODUCT_ADMIN_PERMISSION.split(".")
    group, _ = Group.objects.using(using).get_or_create(name=PRODUCT_ADMINS_GROUP)
    wanted = Permission.objects.using(using).filter(
        Q(content_type__app_label=app_label, codename=codename) | Q(content_type__app_label__in=MANAGED_APPS)
    )
    missing = wanted.exclude(pk__in=group.permissions.values("pk"))
    if missing.exists():
        group.permissions.add(*missing)
    return group


def on_post_migrate(sender, using="default", **kwargs) -> None:
    # Once per SupportDesk app: each app's permissions exist only after its own post_migrate.
    if getattr(sender, "label", None) in MANAGED_APPS:
        ensure_product_admins_group(using=using)
