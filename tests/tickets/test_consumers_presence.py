"""Presence and typing over `/ws/agent/` (tickets.consumers -> tickets.presence), through Channels'
WebsocketCommunicator and the real auth middleware stack, on the configured channel layer and cache."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.factories import GroupFactory, TicketFactory, UserFactory
from tests.tickets.presence_helpers import presence_isolated  # noqa: F401  (autouse)
from tests.tickets.test_consumers import application, session_cookie_for
from tickets import presence

pytestmark = [pytest.mark.django_db(transaction=True)]

QUIET = 0.3  # how long "nothing arrives" is watched for


@database_sync_to_async
def team(*names):
    group = GroupFactory()
    users = [UserFactory(username=name.lower(), first_name=name, last_name="Agent") for name in names]
    group.members.add(*users)
    return group, users


@database_sync_to_async
def ticket_of(group):
    return TicketFactory(group=group)


async def connect(user):
    """As tests/tickets/test_consumers.py's, with room for a busy database or a cold Redis."""
    cookie = (await session_cookie_for(user)).encode()
    communicator = WebsocketCommunicator(
        application, "/ws/agent/", headers=[(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def open_ticket(user, ticket):
    communicator, connected, _ = await connect(user)
    assert connected
    await communicator.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})
    return communicator


async def next_viewers(communicator):
    frame = await communicator.receive_json_from(timeout=3)
    assert frame["type"] == "presence"
    return [(v["name"], v["typing"], v["internal"]) for v in frame["viewers"]]


async def test_two_agents_see_each_other_typing_and_leaving():
    group, (alice, bob) = await team("Alice", "Bob")
    ticket = await ticket_of(group)
    alice_tab = await open_ticket(alice, ticket)
    assert await alice_tab.receive_nothing(timeout=QUIET)  # alone on the ticket: nothing to show, not herself
    bob_tab = await open_ticket(bob, ticket)
    assert await next_viewers(alice_tab) == [("Bob Agent", False, False)]
    assert await next_viewers(bob_tab) == [("Alice Agent", False, False)]

    await bob_tab.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True, "mode": "public"})
    assert await next_viewers(alice_tab) == [("Bob Agent", True, False)]
    await bob_tab.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True, "mode": "internal"})
    assert await next_viewers(alice_tab) == [("Bob Agent", True, True)]
    await bob_tab.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": False})
    assert await next_viewers(alice_tab) == [("Bob Agent", False, False)]
    assert await bob_tab.receive_nothing(timeout=QUIET)  # his own typing is not shown to him

    await bob_tab.send_json_to({"type": "ticket.unsubscribe", "ticket_id": ticket.pk})
    assert await next_viewers(alice_tab) == []
    await bob_tab.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})
    assert await next_viewers(alice_tab) == [("Bob Agent", False, False)]
    await bob_tab.disconnect()  # the tab is closed
    assert await next_viewers(alice_tab) == []
    await alice_tab.disconnect()
    assert presence.viewers(ticket_id=ticket.pk) == []


async def test_one_agent_in_two_tabs_shows_once():
    group, (alice, bob) = await team("Alice", "Bob")
    ticket = await ticket_of(group)
    bob_tab = await open_ticket(bob, ticket)
    first = await open_ticket(alice, ticket)
    assert await next_viewers(bob_tab) == [("Alice Agent", False, False)]
    assert await next_viewers(first) == [("Bob Agent", False, False)]
    second = await open_ticket(alice, ticket)
    assert await next_viewers(second) == [("Bob Agent", False, False)]  # the new tab gets the list
    assert await bob_tab.receive_nothing(timeout=QUIET)  # Alice was already there
    await first.disconnect()
    assert await bob_tab.receive_nothing(timeout=QUIET)  # and still is
    await second.disconnect()
    assert await next_viewers(bob_tab) == []
    await bob_tab.disconnect()


async def test_typing_without_a_subscription_or_with_bad_values_is_ignored():
    group, (alice, bob) = await team("Alice", "Bob")
    ticket = await ticket_of(group)
    alice_tab = await open_ticket(alice, ticket)
    bob_tab, _, _ = await connect(bob)  # connected, not subscribed to the ticket
    junk = [
        {"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True},  # not subscribed
        {"type": "ticket.typing", "ticket_id": str(ticket.pk), "typing": True},
        {"type": "ticket.typing", "ticket_id": ticket.pk},
        {"type": "ticket.typing", "ticket_id": ticket.pk, "typing": "yes"},
        {"type": "presence", "ticket_id": ticket.pk, "viewers": [{"id": 1, "name": "Mallory"}]},
    ]
    for message in junk:
        await bob_tab.send_json_to(message)
    assert await alice_tab.receive_nothing(timeout=QUIET)
    assert await bob_tab.receive_nothing(timeout=QUIET)
    for communicator in (alice_tab, bob_tab):
        await communicator.disconnect()


async def test_a_typing_flood_is_cut_to_the_limit():
    group, (alice, bob) = await team("Alice", "Bob")
    ticket = await ticket_of(group)
    alice_tab = await open_ticket(alice, ticket)
    bob_tab = await open_ticket(bob, ticket)
    await next_viewers(alice_tab)
    for n in range(100):
        await bob_tab.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": n % 2 == 0})
    frames = 0
    while not await alice_tab.receive_nothing(timeout=QUIET):
        await alice_tab.receive_json_from()
        frames += 1
    assert 0 < frames <= presence.FLOOD_LIMIT
    for communicator in (alice_tab, bob_tab):
        await communicator.disconnect()


async def test_an_agent_without_access_neither_sees_nor_is_seen():
    group, (alice, bob) = await team("Alice", "Bob")
    _, (outsider,) = await team("Olga")  # in another group
    ticket = await ticket_of(group)
    snooping = await open_ticket(outsider, ticket)  # refused silently
    await snooping.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True})
    alice_tab = await open_ticket(alice, ticket)
    bob_tab = await open_ticket(bob, ticket)
    assert await next_viewers(alice_tab) == [("Bob Agent", False, False)]  # no Olga
    await bob_tab.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True})
    assert await next_viewers(alice_tab) == [("Bob Agent", True, False)]
    assert await snooping.receive_nothing(timeout=QUIET)
    for communicator in (snooping, alice_tab, bob_tab):
        await communicator.disconnect()
