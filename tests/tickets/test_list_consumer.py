"""`list.subscribe` on /ws/agent/: a list page hears `ticket.changed` for the tickets its agent may see, from the
services' real frames, and nothing else."""

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from tests.factories import AdminFactory, GroupFactory, TicketFactory, UserFactory
from tests.tickets.test_consumers import connect
from tickets import services

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def change(ticket, **changes):
    with transaction.atomic():
        services.ticket_update(ticket=ticket, actor=None, changes=changes)


@database_sync_to_async
def team(*members):
    group = GroupFactory()
    group.members.add(*members)
    return group


async def heard(communicator) -> list[dict]:
    """Every frame until the socket is quiet. An agent in two of a ticket's list groups (its group and its
    assignee's) gets the frame from each: the page's refresh is debounced, so that costs no extra request."""
    frames = [await communicator.receive_json_from(timeout=2)]
    while not await communicator.receive_nothing(timeout=0.3):
        frames.append(await communicator.receive_json_from())
    return frames


async def listening(user):
    communicator, connected, _ = await connect(user)
    assert connected
    await communicator.send_json_to({"type": "list.subscribe"})
    await communicator.receive_nothing(timeout=0.1)  # let the subscription land
    return communicator


async def test_a_list_hears_changes_of_its_groups_tickets_and_others_hear_nothing():
    member, outsider = await database_sync_to_async(UserFactory)(), await database_sync_to_async(UserFactory)()
    admin = await database_sync_to_async(AdminFactory)()
    billing, _ = await team(member), await team(outsider)
    ticket = await database_sync_to_async(TicketFactory)(group=billing)
    lists = {
        name: await listening(user) for name, user in [("member", member), ("outsider", outsider), ("admin", admin)]
    }

    await change(ticket, priority="urgent")

    for name in ("member", "admin"):
        assert await lists[name].receive_json_from(timeout=2) == {"type": "ticket.changed", "ticket_id": ticket.pk}
    assert await lists["outsider"].receive_nothing(timeout=0.3)
    for communicator in lists.values():
        await communicator.disconnect()


async def test_a_page_that_did_not_subscribe_gets_no_list_frames():
    agent = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(TicketFactory)(assignee=agent)
    communicator, _, _ = await connect(agent)
    await change(ticket, priority="high")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_the_old_group_hears_a_ticket_leave_and_the_new_assignee_hears_it_come():
    old_member, new_assignee = await database_sync_to_async(UserFactory)(), await database_sync_to_async(UserFactory)()
    old, new = await team(old_member), await team(new_assignee)
    ticket = await database_sync_to_async(TicketFactory)(group=old)
    leaving, arriving = await listening(old_member), await listening(new_assignee)

    await change(ticket, group=new, assignee=new_assignee)

    for communicator in (leaving, arriving):
        assert {frame["ticket_id"] for frame in await heard(communicator)} == {ticket.pk}
        await communicator.disconnect()


async def test_unsubscribe_stops_the_frames_and_junk_is_harmless():
    agent = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(TicketFactory)(group=await team(agent))
    communicator = await listening(agent)
    for junk in ({"type": "list.subscribe", "ticket_id": "x"}, {"type": "list.nope"}, ["list.subscribe"], "x"):
        await communicator.send_json_to(junk)
    await communicator.receive_nothing(timeout=0.1)
    await change(ticket, priority="low")
    assert await heard(communicator) == [{"type": "ticket.changed", "ticket_id": ticket.pk}]  # subscribed once

    await communicator.send_json_to({"type": "list.unsubscribe"})
    await communicator.receive_nothing(timeout=0.1)
    await change(ticket, priority="high")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
