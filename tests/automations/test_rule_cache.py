"""The active triggers kept per process (automations/rule_cache.py): every write to the rule tables, wherever it
comes from, is seen by the next update; unchanged rules cost one query (the rules version)."""

import psycopg
import pytest
from django.db import connection, transaction

from automations import engine, rule_cache
from automations.models import Automation, RulesVersion, Trigger
from tests.automations.conftest import act, cond
from tests.factories import TicketFactory
from tickets import services as ticket_services
from tickets.models import Event

pytestmark = pytest.mark.django_db


def titles() -> list[str]:
    return [t.rule.title for t in engine.load_triggers()]


def fired(ticket) -> list[str]:
    return [e.data["title"] for e in Event.objects.filter(ticket=ticket, type="trigger.fired").order_by("id")]


def other_connection() -> psycopg.Connection:
    """A session of its own, as another daphne or qcluster process has: it writes with plain SQL, so nothing in this
    process hears of it except through the database."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"], port=s["PORT"] or None,
        autocommit=True,
    )  # fmt: skip


def test_every_kind_of_write_to_the_rule_tables_moves_the_version(make_trigger, make_automation):
    seen = {rule_cache.rules_version()}
    trigger = make_trigger("T", [cond("status", "is", "open")], [act("priority", "high")])
    seen.add(rule_cache.rules_version())
    Trigger.objects.filter(pk=trigger.pk).update(active=False)  # a bulk update: no signal, no service
    seen.add(rule_cache.rules_version())
    automation = make_automation(
        "A", [cond("status", "is", "pending"), cond("hours_since_updated", "greater_than", 2)], [act("status", "open")]
    )
    seen.add(rule_cache.rules_version())
    Automation.objects.filter(pk=automation.pk).delete()
    seen.add(rule_cache.rules_version())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE automations_trigger SET title = 'raw' WHERE id = %s", [trigger.pk])
    seen.add(rule_cache.rules_version())
    assert len(seen) == 6 and None not in seen


def test_unchanged_rules_cost_one_query_per_update(make_trigger, django_assert_num_queries):
    make_trigger("T", [cond("status", "is", "hold")], [act("priority", "high")])
    engine.load_triggers()
    with django_assert_num_queries(1):
        assert titles() == ["T"]


def test_a_bulk_update_behind_the_services_back_is_seen_by_the_next_update(make_trigger, agent):
    trigger = make_trigger("Tag", [cond("status", "is", "open")], [act("current_tags", "seen")])
    ticket = TicketFactory(status="open")
    assert titles() == ["Tag"]
    Trigger.objects.filter(pk=trigger.pk).update(title="Renamed")
    ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"type": "task"})
    assert fired(ticket) == ["Renamed"]


def test_a_rolled_back_rule_write_never_leaves_its_rules_behind(make_trigger):
    """The cache is keyed by a version that is never reused: a counter would give the rolled-back write's number
    to the next write, and this process would keep the rolled-back rules under it."""
    assert titles() == []
    with pytest.raises(RuntimeError), transaction.atomic():
        make_trigger("Rolled back", [cond("status", "is", "open")], [act("priority", "high")])
        assert titles() == ["Rolled back"]  # cached under the write's version
        raise RuntimeError("the admin's request failed")
    assert titles() == []
    make_trigger("Kept", [cond("status", "is", "open")], [act("priority", "low")])
    assert titles() == ["Kept"]


def test_the_version_row_is_written_only_by_the_database():
    assert RulesVersion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rule_changed_by_another_process_is_seen_at_once(make_trigger, agent):
    """Another process (here a session of its own speaking plain SQL) switches a trigger off and another on: the next
    update in this process runs the triggers as they are now, without waiting for anything to expire."""
    first = make_trigger("First", [cond("status", "is", "open")], [act("current_tags", "first")])
    second = make_trigger("Second", [cond("status", "is", "open")], [act("current_tags", "second")], active=False)
    ticket = TicketFactory(status="open")
    ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"type": "task"})
    assert fired(ticket) == ["First"]
    with other_connection() as other:
        other.execute("UPDATE automations_trigger SET active = (id = %s) WHERE id IN (%s, %s)", [second.pk, *[
            first.pk, second.pk]])  # fmt: skip
    ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"type": "question"})
    assert fired(ticket) == ["First", "Second"]


@pytest.mark.django_db(transaction=True)
def test_a_rule_write_not_yet_committed_elsewhere_is_not_seen_and_then_is(make_trigger):
    make_trigger("Before", [cond("status", "is", "open")], [act("priority", "high")])
    assert titles() == ["Before"]
    with other_connection() as other:
        with other.transaction():
            other.execute("UPDATE automations_trigger SET title = 'After'")
            assert titles() == ["Before"]  # not committed: this process still sees (and keeps) the old rules
        assert titles() == ["After"]
