"""GIN expression indexes for full-text search (tickets/search.py), on PostgreSQL only.

The expressions are spelled out here rather than imported, so this migration keeps meaning what it meant; they must
equal tickets.search.vector(...) for the planner to use them (tests/tickets/test_search.py checks the plan). SQLite has
no such index and searches by substring instead, so the operation does nothing there.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = (
    ("ticket", "ticket_subject_fts", ("subject",)),
    ("contact", "contact_fts", ("name", "email")),
    ("comment", "comment_body_fts", ("body",)),
)


def _index(name: str, fields: tuple[str, ...]) -> GinIndex:
    expression = SearchVector(*fields, config="german") + SearchVector(*fields, config="english")
    return GinIndex(expression, name=name)


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, name, fields in INDEXES:
        schema_editor.add_index(apps.get_model("tickets", model_name), _index(name, fields))


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, name, fields in INDEXES:
        schema_editor.remove_index(apps.get_model("tickets", model_name), _index(name, fields))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_product_admins_group")]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
