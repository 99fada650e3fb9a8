"""The automation sweep: set-based selection, once per ticket while its state holds, closed tickets skipped, a cap per
run, a summary; driven by backdated timestamps (queryset.update), never by sleeping."""

import logging
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automations import sweep, sweep_batch
from automations.models import AutomationFiring
from tests.automations.conftest import act, cond
from tests.factories import GroupFactory, TicketFactory
from tickets import services as ticket_services
from tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def backdate(ticket, **hours_ago):
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(**{name: now - h * H for name, h in hours_ago.items()})


def fired_on(ticket) -> list[str]:
    return [e.data["title"] for e in Event.objects.filter(ticket=ticket, type="automation.fired").order_by("id")]


@pytest.fixture
def pending_reminder(make_automation):
    return make_automation(
        "Solve pending after 3 days",
        [cond("status", "is", "pending"), cond("hours_since_pending", "greater_than", 72)],
        [act("status", "solved"), act("current_tags", "auto_solved")],
    )


def test_fires_on_the_tickets_its_conditions_select(pending_reminder):
    old, fresh, open_ = (TicketFactory(status="pending"), TicketFactory(status="pending"), TicketFactory(status="open"))
    backdate(old, status_changed_at=80)
    backdate(fresh, status_changed_at=10)
    backdate(open_, status_changed_at=200)
    summary = sweep.run_automations()
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "solved", fresh.pk: "pending", open_.pk: "open"}
    assert summary.matched == summary.fired == 1 and summary.failed == 0
    event = Event.objects.get(ticket=old, type="automation.fired")
    assert event.actor is None
    assert event.data == {
        "automation_id": pending_reminder.pk,
        "title": "Solve pending after 3 days",
        "changes": {"status": ["pending", "solved"], "tags": [[], ["auto_solved"]]},
    }
    firing = AutomationFiring.objects.get()
    assert firing.ticket_id == old.pk and firing.automation == pending_reminder


def test_fires_once_while_its_state_holds_and_again_after_an_update(make_automation, agent):
    make_automation(
        "Day-old nudge",
        [cond("hours_since_created", "is", 24)],
        [act("notification_user", ["assignee_id", "Still open", "b"])],
    )
    ticket = TicketFactory(assignee=agent)
    backdate(ticket, created_at=24.5, updated_at=3)
    assert sweep.run_automations().fired == 1
    assert sweep.run_automations().fired == 0  # nothing changed since it fired
    assert sweep.run_automations().matched == 0
    ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "low"})  # updated since
    assert sweep.run_automations().fired == 1
    assert fired_on(ticket) == ["Day-old nudge"] * 2


def test_closed_tickets_are_skipped(make_automation):
    make_automation(
        "Tag old tickets",
        [cond("hours_since_created", "greater_than", 10), cond("current_tags", "not_includes", "old")],
        [act("current_tags", "old")],
    )
    closed, solved = TicketFactory(status="closed"), TicketFactory(status="solved")
    backdate(closed, created_at=50)
    backdate(solved, created_at=50)
    sweep.run_automations()
    assert not closed.tag_rows.exists()
    assert list(solved.tag_rows.values_list("name", flat=True)) == ["old"]


def test_an_automation_can_close_a_ticket_which_then_is_left_alone(make_automation):
    make_automation("Close", [cond("status", "is", "solved"), cond("hours_since_solved", "greater_than", 1)],
                    [act("status", "closed")], position=0)  # fmt: skip
    make_automation("Tag", [cond("hours_since_created", "greater_than", 1), cond("current_tags", "not_includes", "x")],
                    [act("current_tags", "x")], position=1)  # fmt: skip
    ticket = TicketFactory(status="solved")
    backdate(ticket, solved_at=5, created_at=5)
    sweep.run_automations()
    ticket.refresh_from_db()
    assert ticket.status == "closed" and not ticket.tag_rows.exists()


def test_automations_run_in_position_order_and_see_each_others_changes(make_automation):
    make_automation("Second", [cond("hours_since_created", "greater_than", 1), cond("current_tags", "includes", "one"),
                               cond("current_tags", "not_includes", "two")], [act("current_tags", "two")],
                    position=1)  # fmt: skip
    make_automation("First", [cond("hours_since_created", "greater_than", 1), cond("current_tags", "not_includes", "one")],
                    [act("current_tags", "one")], position=0)  # fmt: skip
    ticket = TicketFactory()
    backdate(ticket, created_at=3)
    sweep.run_automations()
    assert fired_on(ticket) == ["First", "Second"]


def test_the_cap_per_run_leaves_the_rest_for_the_next_run(pending_reminder):
    tickets = [TicketFactory(status="pending") for _ in range(3)]
    for ticket in tickets:
        backdate(ticket, status_changed_at=100)
    first = sweep.run_automations(limit=2)
    assert first.fired == 2 and first.automations[0].capped
    assert "limit reached" in str(first)
    second = sweep.run_automations(limit=2)
    assert second.fired == 1 and not second.automations[0].capped
    assert set(Ticket.objects.values_list("status", flat=True)) == {"solved"}


def test_triggers_run_after_an_automation_updates_a_ticket(pending_reminder, make_trigger):
    make_trigger("Solved by the product", [cond("status", "value", "solved"), cond("role", "is_not", "agent")],
                 [act("current_tags", "seen_by_trigger")])  # fmt: skip
    ticket = TicketFactory(status="pending")
    backdate(ticket, status_changed_at=100)
    sweep.run_automations()
    assert set(ticket.tag_rows.values_list("name", flat=True)) == {"auto_solved", "seen_by_trigger"}


def test_a_failing_ticket_is_counted_and_the_others_go_on(make_automation, agent, caplog):
    group = GroupFactory()  # `agent` is not a member: assigning them to a ticket of this group fails
    make_automation("Assign", [cond("hours_since_created", "greater_than", 1), cond("assignee_id", "is", "")],
                    [act("assignee_id", agent.pk)])  # fmt: skip
    bad, good = TicketFactory(group=group), TicketFactory()
    backdate(bad, created_at=5)
    backdate(good, created_at=5)
    with caplog.at_level(logging.WARNING, logger="automations.sweep"):
        summary = sweep.run_automations()
    assert (summary.matched, summary.fired, summary.failed) == (2, 1, 1)
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.assignee == agent and bad.assignee is None
    assert not AutomationFiring.objects.filter(ticket=bad).exists()
    assert any(f"failed on ticket {bad.pk}" in r.getMessage() for r in caplog.records)


def test_the_sweep_costs_the_same_queries_for_10_or_200_tickets_that_do_not_match(pending_reminder, make_automation):
    make_automation("Window", [cond("via", "is", "whatsapp"), cond("hours_until_window_closes", "less_than", 2),
                               cond("customer_waiting", "is", "true"), cond("current_tags", "not_includes", "w")],
                    [act("current_tags", "w")])  # fmt: skip

    def queries_of_a_sweep() -> int:
        with CaptureQueriesContext(connection) as captured:
            summary = sweep.run_automations()
        assert summary.fired == 0
        return len(captured)

    for _ in range(10):
        TicketFactory(status="pending", via="whatsapp")
    small = queries_of_a_sweep()
    requester = TicketFactory().requester
    Ticket.objects.bulk_create(
        [Ticket(subject=f"t{i}", status="pending", via="whatsapp", requester=requester) for i in range(200)]
    )
    assert queries_of_a_sweep() == small == 3  # the automations, then one query per automation


def test_summary_is_logged_and_printed_by_the_command(pending_reminder, caplog):
    ticket = TicketFactory(status="pending")
    backdate(ticket, status_changed_at=100)
    out = StringIO()
    with caplog.at_level(logging.INFO, logger="automations.sweep"):
        call_command("run_automations", stdout=out)
    printed = out.getvalue()
    assert printed.startswith("1 automation(s): 1 ticket(s) matched, 1 fired, 0 failed in ")
    assert f"#{pending_reminder.pk} Solve pending after 3 days: 1 matched, 1 fired, 0 failed" in printed
    assert any(r.getMessage().startswith("Automations run: 1 automation(s)") for r in caplog.records)


def test_an_update_between_the_query_and_the_lock_is_respected(pending_reminder, monkeypatch):
    """Each ticket is checked again under its lock: one that no longer matches is left alone."""
    ticket, other = TicketFactory(status="pending"), TicketFactory(status="pending")
    backdate(ticket, status_changed_at=100)
    backdate(other, status_changed_at=100)
    real = sweep_batch.fire_batch

    def reopened_meanwhile(**kwargs):
        Ticket.objects.filter(pk=ticket.pk).update(status="open")
        return real(**kwargs)

    monkeypatch.setattr(sweep_batch, "fire_batch", reopened_meanwhile)
    summary = sweep.run_automations()
    assert (summary.matched, summary.fired) == (2, 1)
    assert fired_on(ticket) == [] and fired_on(other) == ["Solve pending after 3 days"]


def test_a_batch_that_fails_as_a_whole_is_fired_ticket_by_ticket(pending_reminder, monkeypatch, caplog):
    tickets = [TicketFactory(status="pending") for _ in range(3)]
    for ticket in tickets:
        backdate(ticket, status_changed_at=100)

    def broken(*args, **kwargs):
        raise RuntimeError("the batch broke after writing the tickets")

    monkeypatch.setattr(sweep_batch, "_fired", broken)
    with caplog.at_level(logging.WARNING, logger="automations.sweep"):
        summary = sweep.run_automations()
    assert (summary.matched, summary.fired, summary.failed) == (3, 3, 0)
    for ticket in tickets:  # once each: what the broken batch wrote was rolled back
        assert fired_on(ticket) == ["Solve pending after 3 days"]
        assert Event.objects.filter(ticket=ticket, type="field.changed", data__field="status").count() == 1
    assert AutomationFiring.objects.count() == 3
    assert any("a batch failed" in r.getMessage() for r in caplog.records)


def test_the_time_budget_leaves_the_rest_for_the_next_run(pending_reminder):
    for _ in range(2):
        backdate(TicketFactory(status="pending"), status_changed_at=100)
    summary = sweep.run_automations(time_budget=-1)  # already spent
    assert (summary.matched, summary.fired, summary.automations[0].deferred) == (2, 0, 2)
    assert "2 left for the next run: time budget reached" in str(summary)
    assert sweep.run_automations().fired == 2


def test_tickets_are_fired_in_batches_and_the_time_budget_is_checked_between_them(pending_reminder, monkeypatch):
    monkeypatch.setattr(sweep_batch, "BATCH_SIZE", 2)
    tickets = [TicketFactory(status="pending") for _ in range(5)]
    for ticket in tickets:
        backdate(ticket, status_changed_at=100)
    batches = []
    real = sweep_batch.fire_batch

    def counted(**kwargs):
        batches.append(list(kwargs["ticket_ids"]))
        return real(**kwargs)

    monkeypatch.setattr(sweep_batch, "fire_batch", counted)
    clock = iter(range(0, 10_000, 30))  # each look at the clock: 30 s later
    monkeypatch.setattr(sweep, "time", SimpleNamespace(monotonic=lambda: next(clock)))  # the sweep's clock only
    summary = sweep.run_automations()  # started at 0; first batch at 30 s; 60 s > 45 s: the rest wait
    assert batches == [[tickets[0].pk, tickets[1].pk]]
    assert (summary.matched, summary.fired, summary.automations[0].deferred) == (5, 2, 3)
    monkeypatch.setattr(sweep, "time", SimpleNamespace(monotonic=lambda: 0))
    assert sweep.run_automations().fired == 3
    assert [len(b) for b in batches] == [2, 2, 1]
