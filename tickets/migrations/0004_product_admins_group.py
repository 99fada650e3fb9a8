"""The product-admin role: the "Product admins" group holding `tickets.product_admin`."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Product admins"


def create_group(apps, schema_editor):
    # Permissions are normally created after the last migration; this one needs its own now.
    create_permissions(global_apps.get_app_config("tickets"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    role = Permission.objects.get(content_type__app_label="tickets", codename="product_admin")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(role)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_contact_created_by_product_admin"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
