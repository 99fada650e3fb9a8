"""Conditions as database queries agree with the pure evaluation, ticket by ticket, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automations import queries, selectors
from automations.conditions.evaluate import condition_holds, matches
from automations.conditions.parse import parse_condition, parse_conditions
from tests.factories import CommentFactory, ContactFactory, GroupFactory, TicketFactory, UserFactory
from tickets.models import Comment, Ticket, TicketTag

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def tickets(now):
    """A spread of tickets: every status, priority, type and channel, tags, and backdated timestamps."""
    group = GroupFactory()
    agent = UserFactory()
    requester = ContactFactory()
    rows = []
    specs = [
        # status, priority, type, via, hours ago (created, updated, status changed, solved, customer msg), tags
        ("new", None, None, "whatsapp", (1, 0.5, 1, None, 0.5), ["vip"]),
        ("open", "low", "question", "whatsapp", (30, 2, 20, None, 22.5), []),
        ("open", "urgent", "incident", "whatsapp", (50, 3, 40, None, 23.5), ["window_expiring"]),
        ("pending", "normal", "problem", "web", (100, 80, 73, None, 90), ["vip", "gold"]),
        ("hold", "high", "task", "email", (200, 150, 24.5, None, None), ["gold"]),
        ("solved", "normal", None, "whatsapp", (300, 97, 97, 97, 120), []),
        ("solved", None, "question", "api", (10, 96.5, 96.5, 96.5, None), ["x"]),
        ("open", "high", None, "whatsapp", (5, 1, 5, 200, 12.2), []),  # reopened: solved_at stays
        ("closed", "low", None, "web", (500, 400, 400, 410, None), []),
        ("new", "urgent", "task", "whatsapp", (0.2, 0.1, 0.2, None, 24), ["vip"]),  # window closed at exactly 24 h
    ]
    for index, (status, priority, type_, via, hours, tags) in enumerate(specs):
        ticket = TicketFactory(
            status=status, priority=priority, type=type_, via=via, requester=requester,
            group=group if index % 2 else None, assignee=agent if index % 3 == 0 else None,
        )  # fmt: skip
        created, updated, changed, solved, customer = hours
        for tag in tags:
            TicketTag.objects.create(ticket=ticket, name=tag)
        # Who spoke last among people (the product's own messages do not count)
        if index % 2 == 0:
            CommentFactory(ticket=ticket, author_role="agent", public=True)
            CommentFactory(ticket=ticket, author_role="end_user", author_user=None, author_contact=requester)
        elif index % 3 == 0:
            CommentFactory(ticket=ticket, author_role="end_user", author_user=None, author_contact=requester)
            CommentFactory(ticket=ticket, author_role="agent", public=True)
            CommentFactory(ticket=ticket, author_role="system", author_user=None, public=True)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - created * H,
            updated_at=now - updated * H,
            status_changed_at=now - changed * H,
            solved_at=now - solved * H if solved is not None else None,
            last_customer_message_at=now - customer * H if customer is not None else None,
        )
        rows.append(ticket)
    return rows


CONDITIONS = [
    ("status", "is", "open"), ("status", "is_not", "open"), ("status", "less_than", "solved"),
    ("status", "greater_than", "pending"), ("status", "less_than", "new"),
    ("priority", "is", "high"), ("priority", "is", ""), ("priority", "is_not", "high"), ("priority", "is_not", ""),
    ("priority", "less_than", "high"), ("priority", "greater_than", "normal"), ("priority", "less_than", "low"),
    ("type", "is", "task"), ("type", "is_not", "task"), ("type", "is", ""), ("type", "is_not", ""),
    ("via", "is", "whatsapp"), ("via", "is_not", "whatsapp"),
    ("group_id", "is", ""), ("group_id", "is_not", ""), ("assignee_id", "is", ""), ("assignee_id", "is_not", ""),
    ("current_tags", "includes", "vip gold"), ("current_tags", "not_includes", "vip gold"),
    ("current_tags", "includes", "nothing"), ("current_tags", "not_includes", "window_expiring"),
    ("requester_role", "is", "end_user"), ("requester_role", "is", "agent"), ("requester_role", "is_not", "agent"),
    ("whatsapp_window", "is", "open"), ("whatsapp_window", "is", "closed"), ("whatsapp_window", "is_not", "open"),
    ("customer_waiting", "is", "true"), ("customer_waiting", "is", "false"), ("customer_waiting", "is_not", "true"),
    ("hours_since_created", "is", 30), ("hours_since_created", "less_than", 2), ("hours_since_created", "greater_than", 99),
    ("hours_since_created", "greater_than", 100), ("hours_since_created", "is", 0),
    ("hours_since_updated", "is", 96), ("hours_since_updated", "greater_than", 96), ("hours_since_updated", "less_than", 1),
    ("hours_since_last_customer_message", "is", 22), ("hours_since_last_customer_message", "greater_than", 23),
    ("hours_since_last_customer_message", "less_than", 24),
    ("hours_until_window_closes", "less_than", 2), ("hours_until_window_closes", "is", 1),
    ("hours_until_window_closes", "is", 0), ("hours_until_window_closes", "greater_than", 10),
    ("hours_until_window_closes", "greater_than", 0),
    ("hours_since_open", "greater_than", 19), ("hours_since_open", "is", 40), ("hours_since_pending", "greater_than", 72),
    ("hours_since_hold", "is", 24), ("hours_since_solved", "greater_than", 96), ("hours_since_solved", "is", 96),
    ("hours_since_solved", "less_than", 97),
]  # fmt: skip


@pytest.mark.parametrize(("field", "operator", "value"), CONDITIONS)
def test_query_agrees_with_pure_evaluation(tickets, now, field, operator, value):
    condition = parse_condition({"field": field, "operator": operator, "value": value}, kind="automation")
    expected = {
        ticket.pk
        for ticket, facts in selectors.tickets_with_facts(Ticket.objects.all(), now=now)
        if condition_holds(condition, facts)
    }
    found = set(Ticket.objects.filter(queries.condition_q(condition, now)).values_list("pk", flat=True))
    assert found == expected


def test_the_spread_exercises_both_outcomes(tickets, now):
    """Guard against a vacuous parity test: most conditions select some tickets and leave others."""
    facts = [f for _, f in selectors.tickets_with_facts(Ticket.objects.all(), now=now)]
    mixed = 0
    for field, operator, value in CONDITIONS:
        condition = parse_condition({"field": field, "operator": operator, "value": value}, kind="automation")
        results = {condition_holds(condition, f) for f in facts}
        mixed += results == {True, False}
    assert mixed >= len(CONDITIONS) - 6


def test_ids_in_conditions(now):
    group = GroupFactory()
    agent = UserFactory()
    mine = TicketFactory(group=group, assignee=agent)
    other = TicketFactory()
    for field, value, expected in (("group_id", group.pk, mine), ("assignee_id", str(agent.pk), mine),
                                   ("requester_id", other.requester_id, other)):  # fmt: skip
        condition = parse_condition({"field": field, "operator": "is", "value": value}, kind="automation")
        assert list(Ticket.objects.filter(queries.condition_q(condition, now))) == [expected]
        negated = parse_condition({"field": field, "operator": "is_not", "value": value}, kind="automation")
        assert expected not in Ticket.objects.filter(queries.condition_q(negated, now))


def test_all_and_any_as_one_query(tickets, now, django_assert_num_queries):
    conditions = parse_conditions(
        {
            "all": [
                {"field": "status", "operator": "less_than", "value": "solved"},
                {"field": "hours_since_created", "operator": "greater_than", "value": 1},
            ],
            "any": [
                {"field": "current_tags", "operator": "includes", "value": "vip gold"},
                {"field": "customer_waiting", "operator": "is", "value": "true"},
            ],
        },
        kind="automation",
    )
    expected = {
        t.pk for t, facts in selectors.tickets_with_facts(Ticket.objects.all(), now=now) if matches(conditions, facts)
    }
    assert expected  # not vacuous
    with django_assert_num_queries(1):
        found = set(Ticket.objects.filter(queries.ticket_q(conditions, now)).values_list("pk", flat=True))
    assert found == expected


def test_customer_waiting_ignores_the_products_own_messages(now):
    ticket = TicketFactory(via="whatsapp")
    CommentFactory(ticket=ticket, author_role="end_user", author_user=None, author_contact=ticket.requester)
    CommentFactory(ticket=ticket, author_role="system", author_user=None, public=True)  # an auto-reply
    CommentFactory(ticket=ticket, author_role="agent", public=False)  # an internal note
    assert selectors.customer_waiting(ticket.pk)
    assert ticket in Ticket.objects.filter(queries.customer_waiting_q())
    CommentFactory(ticket=ticket, author_role="agent", public=True)
    assert not selectors.customer_waiting(ticket.pk)
    assert ticket not in Ticket.objects.filter(queries.customer_waiting_q())
    assert Comment.objects.filter(ticket=ticket).count() == 4
