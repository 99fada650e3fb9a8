"""The trigger engine: Zendesk's trigger cycle on real ticket creates and updates, whatever their source."""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from automations import engine
from automations.models import Trigger
from macros import services as macro_services
from tests.automations.conftest import act, cond
from tests.factories import ContactFactory, GroupFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tests.macros.macro_factories import MacroFactory
from tickets import services as ticket_services
from tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db


def tags(ticket) -> list[str]:
    return sorted(ticket.tag_rows.values_list("name", flat=True))


def fired(ticket) -> list[str]:
    return [e.data["title"] for e in Event.objects.filter(ticket=ticket, type="trigger.fired").order_by("id")]


def touch(ticket, actor, **changes):
    """An agent's update (the same service the ticket page and the API call)."""
    return ticket_services.ticket_update(ticket=ticket, actor=actor, changes=changes)


@pytest.fixture
def ticket(agent):
    return TicketFactory(status="open")


# --- Order, once per update, restart --------------------------------------------------------------------------


def test_triggers_run_in_position_order(make_trigger, ticket, agent):
    make_trigger("A", [cond("update_type", "is", "Change"), cond("current_tags", "not_includes", "b")],
                 [act("current_tags", "a")], position=1)  # fmt: skip
    make_trigger("B", [cond("update_type", "is", "Change")], [act("current_tags", "b")], position=0)
    touch(ticket, agent, priority="high")
    assert tags(ticket) == ["b"]  # B ran first, so A's condition no longer held on the restart
    assert fired(ticket) == ["B"]


def test_reversing_the_order_changes_the_outcome(make_trigger, ticket, agent):
    make_trigger("A", [cond("update_type", "is", "Change"), cond("current_tags", "not_includes", "b")],
                 [act("current_tags", "a")], position=0)  # fmt: skip
    make_trigger("B", [cond("update_type", "is", "Change")], [act("current_tags", "b")], position=1)
    touch(ticket, agent, priority="high")
    assert tags(ticket) == ["a", "b"]
    assert fired(ticket) == ["A", "B"]


def test_a_trigger_fires_at_most_once_per_update(make_trigger, ticket, agent):
    make_trigger("Still true after firing", [cond("status", "is", "open")], [act("priority", "urgent")])
    touch(ticket, agent, type="task")
    assert fired(ticket) == ["Still true after firing"]
    touch(ticket, agent, type="question")  # a new update: it may fire again
    assert fired(ticket) == ["Still true after firing"] * 2


def test_evaluation_restarts_after_a_change(make_trigger, ticket, agent):
    # The first trigger does not match at first; the second makes it match; the cycle restarts and it fires.
    make_trigger("Escalate tagged", [cond("current_tags", "includes", "escalate")], [act("priority", "urgent")],
                 position=0)  # fmt: skip
    make_trigger("Tag VIP updates", [cond("update_type", "is", "Change"), cond("requester_id", "is", ticket.requester_id)],
                 [act("current_tags", "escalate")], position=1)  # fmt: skip
    touch(ticket, agent, type="incident")
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert fired(ticket) == ["Tag VIP updates", "Escalate tagged"]


def test_changed_sees_what_earlier_triggers_changed_in_the_same_update(make_trigger, ticket, agent, other_agent):
    make_trigger("Assign urgent", [cond("priority", "value", "urgent")], [act("assignee_id", other_agent.pk)],
                 position=0)  # fmt: skip
    make_trigger("Assignee changed", [cond("assignee_id", "changed")], [act("current_tags", "reassigned")], position=1)
    touch(ticket, agent, priority="urgent")
    assert tags(ticket) == ["reassigned"]
    assert fired(ticket) == ["Assign urgent", "Assignee changed"]


def test_triggers_that_change_nothing_do_not_count_against_the_loop_bound(make_trigger, ticket, agent, caplog):
    count = engine.MAX_PASSES + 3
    for i in range(count):
        make_trigger(f"Notify {i}", [cond("status", "is", "open")],
                     [act("notification_user", ["current_user", "s", "b"])], position=i)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="automations.engine"):
        touch(ticket, agent, type="task")
    assert len(fired(ticket)) == count
    assert not [r for r in caplog.records if "stopped after" in r.getMessage()]


def _change(ticket, actor):
    from tickets.hooks import TicketChange

    return TicketChange(ticket=ticket, actor=actor, update_type="change", changes={"type": (None, "task")})


def test_the_loop_bound_stops_the_cycle_and_logs(make_trigger, ticket, agent, caplog):
    count = engine.MAX_PASSES + 2
    make_trigger("step 0", [cond("update_type", "is", "Change"), cond("current_tags", "not_includes", "t0")],
                 [act("current_tags", "t0")], position=0)  # fmt: skip
    for i in range(1, count):
        make_trigger(f"step {i}", [cond("current_tags", "includes", f"t{i - 1}")], [act("current_tags", f"t{i}")],
                     position=i)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="automations.engine"):
        touch(ticket, agent, type="task")
    assert tags(ticket) == sorted(f"t{i}" for i in range(engine.MAX_PASSES))
    assert len(fired(ticket)) == engine.MAX_PASSES
    (record,) = [r for r in caplog.records if "stopped after" in r.getMessage()]
    assert f"stopped after {engine.MAX_PASSES} passes" in record.getMessage()
    ticket.refresh_from_db()
    assert ticket.type == "task"  # the update itself is kept


def test_a_trigger_that_changes_the_ticket_continues_the_cycle_instead_of_starting_another(
    make_trigger, ticket, agent, monkeypatch
):
    """The one loop guard is explicit: a rule's own update is made with `run_listeners=False`, so a trigger whose
    change would match itself and its neighbours again runs inside the same cycle, bounded by `MAX_PASSES`."""
    count = engine.MAX_PASSES + 2
    for i in range(count):
        make_trigger(f"flip {i}", [cond("update_type", "is", "Change")],
                     [act("priority", "high" if i % 2 else "low"), act("current_tags", f"t{i}")],
                     position=i)  # fmt: skip
    cycles = []
    real_cycle = engine.run_cycle

    def counted(change, triggers):
        cycles.append(change.source)
        return real_cycle(change, triggers)

    monkeypatch.setattr(engine, "run_cycle", counted)
    touch(ticket, agent, type="task")
    assert cycles == ["web"]  # the agent's update only: no trigger's update started a cycle of its own
    assert len(fired(ticket)) == engine.MAX_PASSES


def test_inactive_triggers_do_not_run(make_trigger, ticket, agent):
    make_trigger("Off", [cond("status", "is", "open")], [act("priority", "urgent")], active=False)
    touch(ticket, agent, type="task")
    ticket.refresh_from_db()
    assert ticket.priority is None and fired(ticket) == []


# --- Every source of updates -----------------------------------------------------------------------------------


def test_runs_on_ticket_create_where_set_fields_count_as_changed(make_trigger, agent, other_agent):
    make_trigger("Assigned on creation", [cond("update_type", "is", "Create"), cond("assignee_id", "changed"),
                                          cond("role", "is", "agent")], [act("current_tags", "assigned")])  # fmt: skip
    ticket = ticket_services.ticket_create(requester=ContactFactory(), subject="Hi", actor=agent, assignee=other_agent)
    assert tags(ticket) == ["assigned"]
    unassigned = ticket_services.ticket_create(requester=ContactFactory(), subject="Hi", actor=agent)
    assert tags(unassigned) == []


def test_runs_on_inbound_customer_messages(make_trigger):
    make_trigger("From the customer", [cond("update_type", "is", "Create"), cond("role", "is", "end_user"),
                                       cond("comment_includes_word", "includes", "refund"),
                                       cond("comment_is_public", "is", "true")],
                 [act("current_tags", "refund"), act("priority", "high")])  # fmt: skip
    comment = ticket_services.end_user_message_add(
        conversation_ticket=None, requester=WhatsAppContactFactory(), via="whatsapp", body="I want a Refund please"
    )
    ticket = Ticket.objects.get(pk=comment.ticket_id)
    assert tags(ticket) == ["refund"] and ticket.priority == "high"
    other = ticket_services.end_user_message_add(
        conversation_ticket=None, requester=WhatsAppContactFactory(), via="whatsapp", body="Hello"
    )
    assert tags(other.ticket) == []


def test_runs_when_a_macro_is_applied(make_trigger, ticket, agent):
    make_trigger("Solved by macro", [cond("status", "value", "solved")], [act("current_tags", "macro_solved")])
    macro = MacroFactory(actions=[{"field": "status", "value": "solved"}])
    macro_services.macro_apply(macro=macro, ticket=ticket, user=agent)
    assert tags(ticket) == ["macro_solved"]


def test_current_user_in_trigger_actions_is_the_updater(make_trigger, ticket, agent):
    make_trigger("Take it", [cond("comment_is_public", "is", "false")], [act("assignee_id", "current_user")])
    ticket_services.comment_add(ticket=ticket, author=agent, body="note to self", public=False)
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_trigger_fired_event_says_what_changed(make_trigger, ticket, agent):
    trigger = make_trigger(
        "Urgent", [cond("status", "is", "open")], [act("priority", "urgent"), act("current_tags", "x")]
    )
    touch(ticket, agent, type="task")
    event = Event.objects.get(ticket=ticket, type="trigger.fired")
    assert event.data == {
        "trigger_id": trigger.pk,
        "title": "Urgent",
        "changes": {"priority": [None, "urgent"], "tags": [[], ["x"]]},
    }
    field_changes = Event.objects.filter(ticket=ticket, type="field.changed", data__field="priority")
    assert field_changes.get().actor is None  # the product made that change


def test_a_failing_trigger_is_rolled_back_and_the_rest_go_on(make_trigger, agent, caplog):
    group = GroupFactory()  # the agent is not a member: assigning them is refused
    ticket = TicketFactory(status="open", group=group)
    make_trigger("Bad", [cond("status", "is", "open")], [act("current_tags", "bad"), act("assignee_id", agent.pk)],
                 position=0)  # fmt: skip
    make_trigger("Good", [cond("status", "is", "open")], [act("current_tags", "good")], position=1)
    with caplog.at_level(logging.WARNING, logger="automations.engine"):
        touch(ticket, agent, type="task")
    ticket.refresh_from_db()
    assert ticket.type == "task" and ticket.assignee is None
    assert tags(ticket) == ["good"]  # "bad" was rolled back with its trigger
    assert fired(ticket) == ["Good"]
    assert any("Bad" in r.getMessage() and "could not act" in r.getMessage() for r in caplog.records)


# --- Cost ------------------------------------------------------------------------------------------------------


def _queries_of_an_update(ticket, agent) -> int:
    with CaptureQueriesContext(connection) as captured:
        touch(ticket, agent, type="task" if ticket.type != "task" else "question")
    return len(captured)


def test_a_hundred_active_triggers_cost_a_constant_number_of_queries(
    make_trigger, agent, django_assert_max_num_queries
):
    ticket = TicketFactory(status="open")
    baseline = _queries_of_an_update(ticket, agent)  # no triggers at all
    for i in range(100):
        make_trigger(f"Never {i}", [cond("status", "is", "hold"), cond("current_tags", "includes", f"t{i}"),
                                    cond("comment_includes_word", "includes", "zebra")],
                     [act("priority", "urgent")])  # fmt: skip
    with django_assert_max_num_queries(baseline + 2):  # the triggers, the ticket's tags
        touch(ticket, agent, type="question")
    assert fired(ticket) == []


def test_triggers_load_in_one_query_whatever_their_number_and_later_cost_only_the_version(
    make_trigger, django_assert_num_queries
):
    for i in range(100):
        make_trigger(f"T{i}", [cond("status", "is", "hold")], [act("priority", "urgent")])
    with django_assert_num_queries(2):  # the rules version, the triggers
        loaded = engine.load_triggers()
    assert len(loaded) == 100
    with django_assert_num_queries(1):  # the rules version only: they are unchanged
        assert engine.load_triggers() == loaded


def test_a_ticket_change_without_active_triggers_costs_one_query(agent, django_assert_num_queries):
    ticket = TicketFactory(status="open")
    engine.load_triggers()  # what this process keeps
    with django_assert_num_queries(1):  # the rules version
        engine.on_ticket_change(_change(ticket, agent))


def test_unknown_user_in_a_stored_trigger_does_not_break_updates(make_trigger, ticket, agent):
    gone = UserFactory(username="gone")
    make_trigger("Assign gone", [cond("status", "is", "open")], [act("assignee_id", gone.pk)])
    gone.delete()
    touch(ticket, agent, type="task")
    ticket.refresh_from_db()
    assert ticket.type == "task" and ticket.assignee is None


def test_a_trigger_changed_behind_the_services_back_is_read_again(make_trigger, ticket, agent):
    trigger = make_trigger("Tag", [cond("status", "is", "hold")], [act("current_tags", "seen")])
    touch(ticket, agent, type="task")
    assert fired(ticket) == []
    Trigger.objects.filter(pk=trigger.pk).update(
        conditions={"all": [{"field": "status", "operator": "is", "value": "open"}], "any": []}
    )
    touch(ticket, agent, type="question")
    assert fired(ticket) == ["Tag"]
