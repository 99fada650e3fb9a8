import pytest

from tests.factories import GroupFactory, TicketFactory
from tickets import selectors
from tickets.models import TicketStatus

pytestmark = pytest.mark.django_db


def test_agents_see_their_groups_their_assignments_and_unrouted_tickets(agent, other_agent, admin_user):
    mine = GroupFactory()
    mine.members.add(agent)
    theirs = GroupFactory()
    theirs.members.add(other_agent)
    in_my_group = TicketFactory(group=mine)
    unrouted = TicketFactory()
    assigned_to_me = TicketFactory(group=theirs, assignee=agent)
    hidden = TicketFactory(group=theirs)

    visible = set(selectors.tickets_visible(user=agent).values_list("pk", flat=True))
    assert visible == {in_my_group.pk, unrouted.pk, assigned_to_me.pk}
    assert hidden.pk in set(selectors.tickets_visible(user=admin_user).values_list("pk", flat=True))
    assert selectors.ticket_get(user=agent, ticket_id=hidden.pk) is None


def test_view_counts_in_one_query(agent, django_assert_num_queries):
    TicketFactory(assignee=agent, status=TicketStatus.OPEN)
    TicketFactory(status=TicketStatus.NEW)
    TicketFactory(status=TicketStatus.PENDING)
    TicketFactory(status=TicketStatus.SOLVED)
    TicketFactory(status=TicketStatus.CLOSED)
    with django_assert_num_queries(1):
        counts = selectors.ticket_view_counts(user=agent)
    assert counts == {"mine": 1, "unassigned": 2, "open": 3, "pending": 1, "solved": 1}


def test_ticket_list_filters_and_sorts(agent):
    a = TicketFactory(subject="Refund please", priority="low", via="whatsapp")
    b = TicketFactory(subject="Login broken", priority="urgent", via="web")
    assert list(selectors.ticket_list(user=agent, q="refund")) == [a]
    assert list(selectors.ticket_list(user=agent, q=f"#{b.pk}")) == [b]
    assert list(selectors.ticket_list(user=agent, via="web")) == [b]
    assert selectors.ticket_list(user=agent, sort="priority").first() == b
    assert list(selectors.ticket_list(user=agent, sort="id")) == [b, a]


def test_ticket_list_query_count_does_not_grow(agent, django_assert_max_num_queries):
    for _ in range(3):
        TicketFactory()

    def run():
        return [
            (t.requester.name, t.group, t.assignee, [x.name for x in t.tag_rows.all()])
            for t in selectors.ticket_list(user=agent)
        ]

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        run()
    for _ in range(30):
        TicketFactory()
    with CaptureQueriesContext(connection) as large:
        assert len(run()) == 33
    assert len(small) == len(large) == 2


def test_event_kind_filter_keeps_only_delivery_events():
    from tickets import events

    ticket = TicketFactory()
    events.record(ticket=ticket, type="ticket.created")
    events.record(ticket=ticket, type="delivery.failed", data={"code": "131047"})
    events.record(ticket=ticket, type="delivery.status", data={"status": "read"})
    kinds = list(selectors.ticket_events(ticket=ticket, kind="delivery").values_list("type", flat=True))
    assert kinds == ["delivery.failed", "delivery.status"]
