"""`ticket.changed`: which writes tell the ticket lists, to which list groups, and that the groups an agent's list
joins hear exactly the tickets the agent may see."""

import itertools

import pytest

from tests.conftest import SentFrame
from tests.factories import AdminFactory, CommentFactory, ContactFactory, TicketFactory, UserFactory, group_with
from tickets import delivery, list_selectors, reads, realtime, services
from tickets.models import Via
from tickets.permissions import can_view_ticket

pytestmark = pytest.mark.django_db


def list_frames(sent: list[SentFrame]) -> list[SentFrame]:
    return [s for s in sent if s.frame["type"] == "ticket.changed"]


def changed(ticket_id: int) -> dict:
    return {"type": "ticket.changed", "ticket_id": ticket_id}


# --- Which writes send it, to whom ----------------------------------------------------------------------------------


def test_a_new_unrouted_ticket_goes_to_admins_and_everyone_who_sees_unrouted_tickets(agent, capture_frames):
    with capture_frames() as sent:
        ticket = services.ticket_create(requester=ContactFactory(), subject="Hello", actor=agent)
    assert list_frames(sent) == [SentFrame(["list.all", "list.unrouted"], changed(ticket.pk))]


def test_a_new_ticket_of_a_group_goes_to_that_group_and_its_assignee(agent, capture_frames):
    team = group_with(agent)
    with capture_frames() as sent:
        ticket = services.ticket_create(
            requester=ContactFactory(), subject="Hello", actor=agent, group=team, assignee=agent
        )
    assert list_frames(sent) == [
        SentFrame(["list.all", f"list.group.{team.pk}", f"list.agent.{agent.pk}"], changed(ticket.pk))
    ]


def test_a_whatsapp_customer_message_opening_a_ticket_sends_ids_only(capture_frames):
    customer = ContactFactory(wa_id="5511900000001")
    with capture_frames() as sent:
        comment = services.end_user_message_add(
            conversation_ticket=None, requester=customer, via=Via.WHATSAPP, body="Where is my order 4711?"
        )
    frames = list_frames(sent)
    assert frames  # the message, and whatever the default triggers did to the new ticket in the same commit
    assert all(f == SentFrame(["list.all", "list.unrouted"], changed(comment.ticket_id)) for f in frames)
    assert set(frames[0].frame) == {"type", "ticket_id"}  # no subject, no body: the page asks for what it may see


def test_a_customer_message_on_a_ticket_goes_to_its_group(capture_frames):
    team = group_with()
    ticket = TicketFactory(group=team)
    with capture_frames() as sent:
        services.end_user_message_add(
            conversation_ticket=ticket, requester=ticket.requester, via=Via.WEB, body="Any news?"
        )
    assert list_frames(sent) == [SentFrame(["list.all", f"list.group.{team.pk}"], changed(ticket.pk))]


@pytest.mark.parametrize(
    "changes",
    [{"status": "pending"}, {"priority": "urgent"}, {"add_tags": ["vip"]}],
    ids=["status", "priority", "tags"],
)
def test_a_field_change_goes_to_the_tickets_groups(agent, capture_frames, changes):
    team = group_with(agent)
    ticket = TicketFactory(group=team)
    with capture_frames() as sent:
        services.ticket_update(ticket=ticket, actor=agent, changes=changes)
    assert list_frames(sent) == [SentFrame(["list.all", f"list.group.{team.pk}"], changed(ticket.pk))]


def test_nothing_changed_sends_nothing(agent, capture_frames):
    ticket = TicketFactory(priority="high")
    with capture_frames() as sent:
        services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "high"})
    assert sent == []


def test_a_move_between_groups_is_heard_by_the_old_group_and_the_new_one(agent, other_agent, capture_frames):
    billing, sales = group_with(agent, name="Billing"), group_with(other_agent, name="Sales")
    ticket = TicketFactory(group=billing, assignee=agent)
    with capture_frames() as sent:
        services.ticket_update(ticket=ticket, actor=agent, changes={"group": sales, "assignee": other_agent})
    assert list_frames(sent) == [
        SentFrame(
            [
                "list.all",
                f"list.group.{sales.pk}",
                f"list.group.{billing.pk}",
                f"list.agent.{other_agent.pk}",
                f"list.agent.{agent.pk}",
            ],
            changed(ticket.pk),
        )
    ]


def test_routing_an_unrouted_ticket_tells_the_unrouted_lists_it_left(agent, capture_frames):
    team = group_with(agent)
    ticket = TicketFactory(group=None)
    with capture_frames() as sent:
        services.ticket_update(ticket=ticket, actor=agent, changes={"group": team})
    assert list_frames(sent)[0].groups == ["list.all", f"list.group.{team.pk}", "list.unrouted"]


def test_an_agent_reply_changes_the_row_too(agent, capture_frames):
    ticket = TicketFactory(requester=ContactFactory(email=""))
    with capture_frames() as sent:
        services.comment_add(ticket=ticket, author=agent, body="On it", public=True)
    assert list_frames(sent) == [SentFrame(["list.all", "list.unrouted"], changed(ticket.pk))]


def test_delivery_ticks_and_failures_change_the_row(agent, capture_frames):
    team = group_with(agent)
    comment = CommentFactory(ticket=TicketFactory(group=team), author_user=agent, delivery_status="queued")
    expected = [SentFrame(["list.all", f"list.group.{team.pk}"], changed(comment.ticket_id))]
    with capture_frames() as sent:
        delivery.delivery_advance(comment=comment, status="sent")
    assert list_frames(sent) == expected
    with capture_frames() as sent:
        delivery.delivery_fail(comment=comment, code="131047", title="Re-engagement message")
    assert list_frames(sent) == expected
    with capture_frames() as sent:
        assert not delivery.delivery_fail(comment=comment, code="131047", title="Again")
    assert sent == []  # already failed: nothing changed


def test_reading_a_ticket_tells_only_the_readers_own_lists(agent, capture_frames):
    ticket = TicketFactory()
    CommentFactory(ticket=ticket, author_role="end_user", author_user=None, author_contact=ticket.requester)
    with capture_frames() as sent:
        reads.ticket_read_mark(user=agent, ticket=ticket)
    assert sent == [SentFrame([f"list.agent.{agent.pk}"], changed(ticket.pk))]


# --- The groups a list joins hear exactly what its agent may see -------------------------------------------------


def test_the_groups_a_list_joins(agent):
    billing, sales = group_with(agent, name="Billing"), group_with(agent, name="Sales")
    assert list_selectors.list_groups(user=agent) == [
        "list.unrouted",
        f"list.agent.{agent.pk}",
        f"list.group.{billing.pk}",
        f"list.group.{sales.pk}",
    ]
    assert list_selectors.list_groups(user=AdminFactory()) == ["list.all"]
    agent.is_active = False
    assert list_selectors.list_groups(user=agent) == []


def test_every_ticket_reaches_a_list_exactly_when_its_agent_may_see_it():
    """Every placement of a ticket (group: the agent's, another, none; assignee: the agent, another, nobody) for an
    agent and an admin: the ticket's list groups meet the agent's list groups iff `can_view_ticket`."""
    me, someone = UserFactory(), UserFactory()
    mine, theirs = group_with(me), group_with(someone)
    admin = AdminFactory()
    for group, assignee in itertools.product([mine, theirs, None], [me, someone, None]):
        ticket = TicketFactory(group=group, assignee=assignee)
        heard_by = set(realtime.ticket_list_groups(group_ids=[ticket.group_id], assignee_ids=[ticket.assignee_id]))
        for user in (me, someone, admin):
            reaches = bool(heard_by & set(list_selectors.list_groups(user=user)))
            assert reaches is can_view_ticket(user, ticket), (group, assignee, user)
