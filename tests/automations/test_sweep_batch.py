"""The sweep's batches (automations/sweep_batch.py) leave exactly what firing ticket by ticket left: the same ticket
state, tags, audit events in the same order, trigger cycles, notifications, realtime frames and firing rows."""

import threading
from datetime import timedelta
from functools import partial

import pytest
from channels.layers import get_channel_layer
from django.core import mail
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from automations import sweep, sweep_batch
from automations.conditions.parse import load
from automations.models import AutomationFiring
from tests.automations.conftest import act, cond
from tests.factories import ContactFactory, TicketFactory
from tickets import events
from tickets import services as ticket_services
from tickets.models import Event, Ticket, TicketTag

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
# A time condition with `is` lets an automation's actions leave its conditions true (Zendesk's rule).
PENDING_FOR_100_HOURS = [cond("status", "is", "pending"), cond("hours_since_pending", "is", 100)]


def pending_tickets(count: int, *, tags=("vip",)) -> list[Ticket]:
    tickets = []
    for _ in range(count):
        ticket = TicketFactory(status="pending", subject="Printer on fire", requester=ContactFactory(), priority="low")
        TicketTag.objects.bulk_create([TicketTag(ticket=ticket, name=t) for t in tags])
        tickets.append(ticket)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(status_changed_at=timezone.now() - 100.5 * H)
    return tickets


@pytest.fixture
def frames(monkeypatch):
    """Every frame the ticket lists are sent, by ticket: (group, frame type)."""
    sent: dict[int, list[tuple[str, str]]] = {}
    layer = get_channel_layer()

    async def group_send(group, message):
        frame = message["frame"]
        sent.setdefault(frame.get("ticket_id"), []).append((group, frame["type"]))

    monkeypatch.setattr(layer, "group_send", group_send)
    return sent


def _same_for_every_ticket(data: dict, ticket: Ticket) -> dict:
    """An event's data without what names this ticket (its id, its comment, its requester and their address)."""
    kept = {k: v for k, v in data.items() if k not in ("comment_id", "contact_id")}
    if "to" in kept and kept["to"] == ticket.requester.email:
        kept["to"] = "the requester"
    if isinstance(kept.get("subject"), str):
        kept["subject"] = kept["subject"].replace(str(ticket.pk), "#")
    return kept


def picture(ticket: Ticket, frames: dict) -> dict:
    """Everything a firing leaves on one ticket, without what differs between two tickets (ids, times, mail)."""
    ticket.refresh_from_db()
    rows = Event.objects.filter(ticket=ticket).order_by("id")
    return {
        "fields": (ticket.status, ticket.priority, ticket.type, ticket.solved_at is not None),
        "tags": sorted(ticket.tag_rows.values_list("name", flat=True)),
        "events": [(e.type, e.actor_id, _same_for_every_ticket(e.data, ticket)) for e in rows],
        "comments": list(ticket.comments.order_by("id").values_list("author_role", "public", "body")),
        "mails": sorted(
            m.subject.replace(str(ticket.pk), "#") for m in mail.outbox if m.to == [ticket.requester.email]
        ),
        "frames": [(group.replace(str(ticket.pk), "#"), kind) for group, kind in frames.get(ticket.pk, [])],
        "firing": AutomationFiring.objects.filter(ticket=ticket).values_list("fired_at", flat=True).first()
        >= ticket.updated_at,
    }


def fire_both_ways(automation, make_tickets, django_capture_on_commit_callbacks):
    """The same automation over two sets of identical tickets: ticket by ticket (the sweep's fallback, the old
    path), and as one batch."""
    one_by_one, batched = make_tickets(), make_tickets()
    parsed = load(automation.conditions, kind="automation")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        old = sweep._fire_one_by_one(automation=automation, parsed=parsed, ticket_ids=[t.pk for t in one_by_one],
                                     now=now)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        new = sweep_batch.fire_batch(
            automation=automation,
            eligible=partial(sweep._eligible, automation, parsed, now),
            ticket_ids=[t.pk for t in batched],
        )
    assert (old.fired, old.failed) == (new.fired, new.failed)
    return one_by_one, batched


@pytest.mark.parametrize(
    "actions",
    [
        [act("status", "solved"), act("current_tags", "auto_solved"), act("priority", "high")],
        [act("remove_tags", "vip"), act("type", "task")],
        [act("set_tags", "vip")],  # changes nothing: no update, no frame, still fired once
        [act("current_tags", "nudged"), act("notification_user", ["requester_id", "Still there? {{ticket.id}}", "b"])],
        [act("status", "open"), act("comment_value", "We are still on it.")],
    ],
    ids=["fields-and-tags", "remove-tag", "nothing-changes", "notifies", "comments"],
)
def test_a_batch_leaves_what_firing_one_by_one_left(
    actions, make_automation, make_trigger, frames, django_capture_on_commit_callbacks
):
    make_trigger("Solved by the product", [cond("status", "value", "solved"), cond("role", "is_not", "agent")],
                 [act("current_tags", "seen_by_trigger"),
                  act("notification_user", ["requester_id", "Solved {{ticket.id}}", "Solved."])])  # fmt: skip
    make_trigger("Task", [cond("type", "value", "task")], [act("priority", "urgent")])
    automation = make_automation("Pending 3 days", PENDING_FOR_100_HOURS, actions)
    one_by_one, batched = fire_both_ways(automation, partial(pending_tickets, 3), django_capture_on_commit_callbacks)
    for old, new in zip(one_by_one, batched, strict=True):
        assert picture(new, frames) == picture(old, frames)
    assert "automation.fired" in [kind for kind, _, _ in picture(batched[0], frames)["events"]]


def test_a_failing_ticket_in_a_batch_is_counted_and_rolled_back_alone(
    make_automation, agent, django_capture_on_commit_callbacks
):
    from tests.factories import GroupFactory

    group = GroupFactory()  # `agent` is not a member: assigning them to a ticket of this group fails
    automation = make_automation("Assign", PENDING_FOR_100_HOURS, [act("assignee_id", agent.pk)])
    bad, good = pending_tickets(2)
    Ticket.objects.filter(pk=bad.pk).update(group=group)
    parsed = load(automation.conditions, kind="automation")
    result = sweep_batch.fire_batch(
        automation=automation,
        eligible=partial(sweep._eligible, automation, parsed, timezone.now()),
        ticket_ids=[bad.pk, good.pk],
    )
    assert (result.fired, result.failed) == (1, 1)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.assignee == agent and bad.assignee is None
    assert list(AutomationFiring.objects.values_list("ticket_id", flat=True)) == [good.pk]


def test_a_batch_costs_a_fixed_number_of_queries_whatever_its_size(make_automation, django_assert_max_num_queries):
    automation = make_automation("Pending 3 days", PENDING_FOR_100_HOURS, [act("current_tags", "stale")])
    parsed = load(automation.conditions, kind="automation")
    tickets = pending_tickets(40)
    with django_assert_max_num_queries(16):  # locks, re-check, tags, UPDATE, tag rows, events, firings, savepoints
        result = sweep_batch.fire_batch(
            automation=automation,
            eligible=partial(sweep._eligible, automation, parsed, timezone.now()),
            ticket_ids=[t.pk for t in tickets],
        )
    assert result.fired == 40
    assert TicketTag.objects.filter(name="stale").count() == 40


# --- Concurrency: an agent's update during the sweep is never lost -------------------------------------------------


def _waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


def _in_thread(target):
    """Run `target` on a connection of its own; returns (thread, outcome dict with 'pid' once connected)."""
    outcome: dict = {}

    def run():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            outcome["result"] = target()
        except Exception as error:  # surfaced by the test's assertions
            outcome["error"] = error
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_until(predicate, *, tries: int = 600) -> None:
    for _ in range(tries):
        if predicate():
            return
        threading.Event().wait(0.05)
    raise AssertionError("the other session never got there")


@pytest.mark.django_db(transaction=True)
def test_an_agent_update_committed_while_the_sweep_waits_for_the_lock_is_respected(make_automation, agent):
    """The agent holds the ticket (their submit is in progress) when the sweep reaches it: the sweep waits, then
    checks the conditions again and leaves the ticket the agent reopened alone; the other tickets are fired."""
    automation = make_automation("Solve", PENDING_FOR_100_HOURS, [act("status", "solved"), act("current_tags", "auto")])
    held, other = pending_tickets(2)
    locked, release = threading.Event(), threading.Event()

    def agent_submit():
        with transaction.atomic():
            ticket_services.ticket_update(ticket=held, actor=agent, changes={"status": "open", "priority": "high"})
            locked.set()
            release.wait(30)

    agent_thread, _ = _in_thread(agent_submit)
    assert locked.wait(30)
    sweep_thread, outcome = _in_thread(sweep.run_automations)
    _wait_until(lambda: "pid" in outcome and _waiting_for_a_lock(outcome["pid"]))
    release.set()
    agent_thread.join(30)
    sweep_thread.join(60)
    assert "error" not in outcome
    assert (outcome["result"].matched, outcome["result"].fired) == (2, 1)
    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.status, held.priority) == ("open", "high")  # the agent's update, whole
    assert not held.tag_rows.filter(name="auto").exists() and not AutomationFiring.objects.filter(ticket=held).exists()
    assert other.status == "solved" and other.tag_rows.filter(name="auto").exists()
    del automation


@pytest.mark.django_db(transaction=True)
def test_an_agent_update_made_while_a_batch_holds_the_ticket_is_applied_after_it(make_automation, agent, monkeypatch):
    """The sweep holds the ticket when the agent submits: the agent's update waits for the batch to commit and is
    then applied on top of it: both changes are kept, each with its events."""
    automation = make_automation("Tag stale", PENDING_FOR_100_HOURS, [act("current_tags", "stale")])
    (ticket,) = pending_tickets(1)
    agent_outcome: dict = {}
    real_record_all = events.record_all

    def record_all_then_let_the_agent_in(rows):
        written = real_record_all(rows)
        if "pid" not in agent_outcome:  # the first call, inside the batch: the ticket is locked by the sweep
            thread, outcome = _in_thread(lambda: ticket_services.ticket_update(
                ticket=ticket, actor=agent, changes={"priority": "urgent"}))  # fmt: skip
            agent_outcome.update(thread=thread, outcome=outcome)
            agent_outcome["pid"] = True
            _wait_until(lambda: "pid" in outcome and _waiting_for_a_lock(outcome["pid"]))
        return written

    monkeypatch.setattr(events, "record_all", record_all_then_let_the_agent_in)
    summary = sweep.run_automations()
    agent_outcome["thread"].join(30)
    assert "error" not in agent_outcome["outcome"]
    assert summary.fired == 1
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.tag_rows.filter(name="stale").exists()
    kinds = [(e.type, e.data.get("field")) for e in Event.objects.filter(ticket=ticket).order_by("id")]
    assert kinds[-3:] == [("field.changed", "tags"), ("automation.fired", None), ("field.changed", "priority")]
    del automation
