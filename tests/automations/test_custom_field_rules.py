"""`custom_fields_<id>` in trigger and automation conditions, in actions, and Zendesk's ticket field placeholders."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automations import queries, selectors, sweep
from automations.conditions.evaluate import automation_problems, matches
from automations.conditions.parse import parse_conditions
from automations.models import Trigger
from tests.factories import TicketFactory
from tests.tickets.custom_field_helpers import make_fields
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Comment, CustomFieldValue, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    return make_fields()


def cf(field) -> str:
    return f"custom_fields_{field.pk}"


def set_values(ticket, actor, **values):
    return ticket_services.ticket_update(ticket=ticket, actor=actor, changes={"custom_fields": values})


def test_a_trigger_on_a_drop_down_value_fires_and_sets_another_field(make_trigger, fields, agent):
    plan, order = fields["plan"], fields["order"]
    make_trigger(
        title="Pro customers get priority",
        conditions=[
            {"field": cf(plan), "operator": "is", "value": "plan_pro"},
            {"field": cf(order), "operator": "not_present", "value": None},
        ],
        actions=[{"field": "priority", "value": "high"}, {"field": cf(order), "value": "42"}],
    )
    ticket = TicketFactory(assignee=agent)
    set_values(ticket, agent, **{str(plan.pk): "plan_basic"})
    ticket.refresh_from_db()
    assert ticket.priority is None
    ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"custom_fields": {plan.pk: "plan_pro"}})
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert CustomFieldValue.objects.get(ticket=ticket, field=order).number == 42


def test_a_trigger_sees_a_field_change_with_changed_to(make_trigger, fields, agent):
    vip = fields["vip"]
    make_trigger(
        title="VIP flagged",
        conditions=[{"field": cf(vip), "operator": "changed_to", "value": True}],
        actions=[{"field": "current_tags", "value": "vip_flagged"}],
    )
    ticket = TicketFactory(assignee=agent)
    set_values(ticket, agent, **{str(vip.pk): True})
    assert set(ticket.tag_rows.values_list("name", flat=True)) == {"vip", "vip_flagged"}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "custom_fields_999999", "operator": "is", "value": "x"}, "no ticket field"),
        ({"field": "PLAN", "operator": "is", "value": "plan_gold"}, "not one of its options"),
        ({"field": "PLAN", "operator": "less_than", "value": "plan_pro"}, "unknown operator"),
        ({"field": "ORDER", "operator": "greater_than", "value": "many"}, "whole number"),
    ],
)
def test_bad_custom_field_conditions_are_refused_by_name(fields, condition, message):
    condition = dict(condition)
    condition["field"] = {"PLAN": cf(fields["plan"]), "ORDER": cf(fields["order"])}.get(
        condition["field"], condition["field"]
    )
    with pytest.raises(Exception) as error:
        parse_conditions({"all": [condition]}, kind="trigger")
    assert message in str(getattr(error.value, "messages", error.value))


def test_bad_custom_field_action_is_a_400_naming_it(admin_api, fields):
    body = {
        "title": "T",
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
        "actions": [{"field": cf(fields["plan"]), "value": "plan_gold"}, {"field": "custom_fields_999999", "value": 1}],
    }
    response = admin_api.post("/api/triggers/", body, format="json")
    assert response.status_code == 400
    text = str(response.json())
    assert "plan_gold" in text and "999999" in text


def _spread(agent, fields):
    """Tickets with and without values of each type, to compare the database form with the pure one."""
    rows = []
    for plan, order, vip, due, amount in [
        ("plan_basic", 5, True, "2026-01-10", "1.5"),
        ("plan_pro", 50, False, "2026-03-01", "20"),
        (None, None, False, None, None),
        ("plan_pro", -3, True, "2025-12-31", "0.25"),
    ]:
        ticket = TicketFactory(assignee=agent)
        values = {
            fields["plan"].pk: plan,
            fields["order"].pk: order,
            fields["vip"].pk: vip,
            fields["due"].pk: due,
            fields["amount"].pk: amount,
        }
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"custom_fields": values})
        rows.append(ticket)
    return rows


@pytest.mark.parametrize(
    ("name", "operator", "value"),
    [
        ("plan", "is", "plan_pro"),
        ("plan", "is_not", "plan_pro"),
        ("plan", "present", None),
        ("plan", "not_present", None),
        ("order", "less_than", 10),
        ("order", "greater_than", "5"),
        ("order", "is", 50),
        ("vip", "is", True),
        ("vip", "is", False),
        ("due", "less_than", "2026-02-01"),
        ("due", "greater_than", "2026-01-10"),
        ("amount", "greater_than", "1.25"),
        ("amount", "is", "20.0"),
    ],
)
def test_automation_queries_agree_with_the_pure_evaluation(agent, fields, name, operator, value):
    _spread(agent, fields)
    now = timezone.now()
    conditions = parse_conditions(
        {"all": [{"field": cf(fields[name]), "operator": operator, "value": value}]}, kind="automation"
    )
    by_query = set(Ticket.objects.filter(queries.ticket_q(conditions, now)).values_list("pk", flat=True))
    by_facts = {
        t.pk for t, facts in selectors.tickets_with_facts(Ticket.objects.all(), now=now) if matches(conditions, facts)
    }
    assert by_query == by_facts
    assert 0 < len(by_query) < 4  # both outcomes are exercised


def test_an_automation_setting_the_field_it_checks_stops_matching(fields):
    conditions = parse_conditions(
        {
            "all": [
                {"field": "hours_since_created", "operator": "greater_than", "value": 24},
                {"field": cf(fields["vip"]), "operator": "is", "value": False},
            ]
        },
        kind="automation",
    )
    assert automation_problems(conditions, [{"field": cf(fields["vip"]), "value": True}]) == []
    assert automation_problems(conditions, [{"field": "priority", "value": "high"}]) != []


def test_an_automation_sets_a_field_on_matching_tickets(make_automation, fields, agent):
    make_automation(
        title="Old VIP tickets get a due date",
        conditions=[
            {"field": "hours_since_created", "operator": "greater_than", "value": 1},
            {"field": cf(fields["vip"]), "operator": "is", "value": True},
            {"field": cf(fields["due"]), "operator": "not_present", "value": None},
        ],
        actions=[{"field": cf(fields["due"]), "value": "2027-01-01"}],
    )
    old, recent = TicketFactory(assignee=agent), TicketFactory(assignee=agent)
    for ticket in (old, recent):
        set_values(ticket, agent, **{str(fields["vip"].pk): True})
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=5))
    sweep.run_automations()
    assert CustomFieldValue.objects.get(ticket=old, field=fields["due"]).date.isoformat() == "2027-01-01"
    assert not CustomFieldValue.objects.filter(ticket=recent, field=fields["due"]).exists()


def test_placeholders_name_the_value_and_the_option_title(make_trigger, fields, agent):
    plan, order = fields["plan"], fields["order"]
    make_trigger(
        title="Note the plan",
        conditions=[{"field": cf(plan), "operator": "present", "value": None}],
        actions=[
            {
                "field": "comment_value",
                "value": f"Plan {{{{ticket.ticket_field_option_title_{plan.pk}}}}} "
                f"({{{{ticket.ticket_field_{plan.pk}}}}}), order {{{{ticket.ticket_field_{order.pk}}}}}.",
            },
            {"field": "comment_mode_is_public", "value": False},
        ],
    )
    ticket = TicketFactory(assignee=agent)
    set_values(ticket, agent, **{str(plan.pk): "plan_pro", str(order.pk): 77})
    note = Comment.objects.filter(ticket=ticket, public=False).get()
    assert note.body == "Plan Pro plan (plan_pro), order 77."


def test_an_unknown_placeholder_is_still_refused(admin_api):
    body = {
        "title": "T",
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
        "actions": [{"field": "comment_value", "value": "{{ticket.ticket_field_x}}"}],
    }
    response = admin_api.post("/api/triggers/", body, format="json")
    assert response.status_code == 400
    assert "ticket.ticket_field_x" in str(response.json())


def test_required_to_solve_does_not_bind_rules(fields, agent):
    """Zendesk's "required to solve" is for agents; a rule or the product may solve without it."""
    from tickets import custom_field_definitions as definitions

    definitions.field_update(field=fields["order"], required_on_solve=True)
    ticket = TicketFactory(assignee=agent)
    with pytest.raises(DomainError):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"status": "solved"})
    ticket_services.ticket_update(ticket=ticket, actor=None, changes={"status": "solved"})
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    assert not Trigger.objects.exists()
