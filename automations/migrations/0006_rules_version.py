"""The business rules version: one row, bumped by database triggers on every write to the rule tables.

Triggers in the database rather than in Python (signals, the services) because rules are also written by bulk
`QuerySet.update()`, the admin, imports and raw SQL: every one of them must tell the other processes that their
parsed rules are stale (`automations.rule_cache`).
"""

from django.db import migrations, models

RULE_TABLES = ("automations_trigger", "automations_automation")

POSTGRESQL_UP = [
    "CREATE SEQUENCE automations_rules_version_seq",
    """
    CREATE FUNCTION automations_rules_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO automations_rulesversion (id, version) VALUES (1, nextval('automations_rules_version_seq'))
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_bumps_rules_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION automations_rules_version_bump()"
        for table in RULE_TABLES
    ),
]
POSTGRESQL_DOWN = [
    *(f"DROP TRIGGER IF EXISTS {table}_bumps_rules_version ON {table}" for table in RULE_TABLES),
    "DROP FUNCTION IF EXISTS automations_rules_version_bump()",
    "DROP SEQUENCE IF EXISTS automations_rules_version_seq",
]
# SQLite has row triggers only, and no sequences: a random 64-bit number is as good as never reused.
SQLITE_UP = [
    f"CREATE TRIGGER {table}_{event.lower()}_bumps_rules_version AFTER {event} ON {table} BEGIN "  # noqa: S608
    "INSERT OR REPLACE INTO automations_rulesversion (id, version) VALUES (1, random()); END"
    for table in RULE_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_bumps_rules_version"
    for table in RULE_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return run


def first_row(apps, schema_editor):
    apps.get_model("automations", "RulesVersion").objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("automations", "0005_webhooks"),
    ]

    operations = [
        migrations.CreateModel(
            name="RulesVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "business rules version",
                "verbose_name_plural": "business rules versions",
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="rules_version_single_row")],
            },
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
