"""Trigram indexes for phone fragments (PostgreSQL only).

A phone-like search ("3502876", "+49 170 123") matches any run of digits inside a requester's phone number or
WhatsApp id, a LIKE '%digits%' that no b-tree answers: it read all 40,000 requesters of the benchmark corpus on every
such search. pg_trgm's GIN indexes answer a substring of three characters or more (the search asks for four).

The phone expression must stay identical to `tickets.search._phone_digits` (the separators people type, removed),
or PostgreSQL stops using the index (tests/tickets/test_search.py checks the plan). pg_trgm is a trusted extension:
the database owner may create it. Unapplying drops the indexes and leaves the extension in place.

SQLite has none of this: it searches by substring (tickets/search.py).
"""

from django.db import migrations

PHONE_DIGITS = "phone"
for separator in (" ", "+", "-", "(", ")", "/", "."):
    PHONE_DIGITS = f"REPLACE({PHONE_DIGITS}, '{separator}', '')"

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contact_phone_digits_trgm ON tickets_contact USING gin (({PHONE_DIGITS}) gin_trgm_ops);
CREATE INDEX contact_wa_id_trgm ON tickets_contact USING gin (wa_id gin_trgm_ops);
"""

DROP = """
DROP INDEX IF EXISTS contact_phone_digits_trgm;
DROP INDEX IF EXISTS contact_wa_id_trgm;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_search_message_documents")]

    operations = [migrations.RunPython(create, drop)]
