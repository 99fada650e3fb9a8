"""Presence state (tickets/presence.py): who has a ticket open and who types, on the configured cache (locmem, or
Redis when REDIS_URL is set) and, for the sessions, the configured channel layer (in-memory, or Redis)."""

import asyncio
import itertools
import random
from types import SimpleNamespace

import pytest
from channels.layers import get_channel_layer
from django.core.cache import cache

from tickets import presence, realtime

T0 = 1_800_000_000.0
_tickets = itertools.count(random.randint(10**8, 9 * 10**8))


@pytest.fixture
def ticket_id():
    """A ticket id no other test (nor another run on a shared Redis) uses: no database needed here."""
    return next(_tickets)


@pytest.fixture(autouse=True)
def _fresh_state(ticket_id):
    yield
    cache.delete(f"presence:ticket:{ticket_id}")


def join(ticket_id, channel, user_id, name="Alice Agent", at=T0):
    return presence.viewer_join(ticket_id=ticket_id, channel=channel, user_id=user_id, name=name, now=at)


def ids(viewers):
    return [viewer.id for viewer in viewers]


# --- State -----------------------------------------------------------------------------------------------------------


def test_join_and_leave_change_the_viewers(ticket_id):
    assert ids(join(ticket_id, "tab-a", 1)) == [1]
    assert ids(join(ticket_id, "tab-b", 2, "Bob Other", at=T0 + 1)) == [1, 2]
    assert ids(presence.viewer_leave(ticket_id=ticket_id, channel="tab-a", now=T0 + 2)) == [2]
    assert presence.viewer_leave(ticket_id=ticket_id, channel="tab-b", now=T0 + 3) == []
    assert presence.viewers(ticket_id=ticket_id, now=T0 + 3) == []
    assert cache.get(f"presence:ticket:{ticket_id}") is None  # nothing left behind


def test_one_agent_with_two_tabs_shows_once_until_both_are_gone(ticket_id):
    assert ids(join(ticket_id, "tab-1", 1)) == [1]
    assert join(ticket_id, "tab-2", 1, at=T0 + 1) is None  # no change for the others
    assert ids(presence.viewers(ticket_id=ticket_id, now=T0 + 1)) == [1]
    assert presence.viewer_leave(ticket_id=ticket_id, channel="tab-1", now=T0 + 2) is None
    assert presence.viewer_leave(ticket_id=ticket_id, channel="tab-2", now=T0 + 3) == []


def test_a_heartbeat_changes_nothing_but_keeps_the_entry(ticket_id):
    join(ticket_id, "tab-a", 1)
    join(ticket_id, "tab-b", 2, "Bob", at=T0)
    for beat in range(1, 6):  # well past the TTL, refreshed every HEARTBEAT_SECONDS
        at = T0 + beat * presence.HEARTBEAT_SECONDS
        assert join(ticket_id, "tab-a", 1, at=at) is None
        assert join(ticket_id, "tab-b", 2, "Bob", at=at) is None
    assert ids(presence.viewers(ticket_id=ticket_id, now=T0 + 5 * presence.HEARTBEAT_SECONDS)) == [1, 2]


def test_an_entry_nobody_refreshes_expires_and_the_next_heartbeat_says_so(ticket_id):
    join(ticket_id, "crashed", 1)
    join(ticket_id, "alive", 2, "Bob", at=T0 + presence.HEARTBEAT_SECONDS)  # refreshed; "crashed" is not
    later = T0 + presence.ENTRY_TTL_SECONDS + 1
    assert ids(presence.viewers(ticket_id=ticket_id, now=later)) == [2]
    assert ids(join(ticket_id, "alive", 2, "Bob", at=later)) == [2]  # the change is published once
    assert join(ticket_id, "alive", 2, "Bob", at=later + 1) is None


def test_typing_is_published_with_its_kind_and_ends_by_itself(ticket_id):
    join(ticket_id, "tab-a", 1)
    typed = presence.viewer_typing(ticket_id=ticket_id, channel="tab-a", typing=True, internal=True, now=T0 + 1)
    assert [(v.typing, v.internal) for v in typed] == [(True, True)]
    again = presence.viewer_typing(ticket_id=ticket_id, channel="tab-a", typing=True, internal=True, now=T0 + 3)
    assert again is None  # still typing: nothing to tell
    stale = T0 + 3 + presence.TYPING_TTL_SECONDS + 1  # the "stopped" message never came (a crashed tab)
    assert [v.typing for v in join(ticket_id, "tab-a", 1, at=stale)] == [False]


def test_typing_in_either_tab_makes_the_agent_typing(ticket_id):
    join(ticket_id, "tab-1", 1)
    join(ticket_id, "tab-2", 1)
    typed = presence.viewer_typing(ticket_id=ticket_id, channel="tab-2", typing=True, internal=False, now=T0 + 1)
    assert [(v.id, v.typing, v.internal) for v in typed] == [(1, True, False)]
    stopped = presence.viewer_typing(ticket_id=ticket_id, channel="tab-2", typing=False, internal=False, now=T0 + 2)
    assert [v.typing for v in stopped] == [False]


def test_typing_from_a_socket_not_on_the_ticket_is_ignored(ticket_id):
    join(ticket_id, "tab-a", 1)
    assert presence.viewer_typing(ticket_id=ticket_id, channel="elsewhere", typing=True, internal=False) is None
    assert [v.typing for v in presence.viewers(ticket_id=ticket_id, now=T0)] == [False]


def test_names_and_initials_never_carry_an_email_address():
    assert presence.display_name(SimpleNamespace(get_full_name=lambda: "Ana María Díaz", get_username=lambda: "x")) == (
        "Ana María Díaz"
    )
    mail = SimpleNamespace(get_full_name=lambda: "", get_username=lambda: "bob@example.com")
    assert presence.display_name(mail) == "bob"
    assert presence.initials("Ana María Díaz") == "AD"
    assert presence.initials("bob") == "B"
    assert presence.initials("  ") == "?"


def test_the_frame_has_names_only():
    frame = presence.presence_frame(
        ticket_id=5, viewers=[presence.Viewer(id=1, name="Bob", initials="B", typing=False, internal=False)]
    )
    assert frame == {
        "type": "presence",
        "ticket_id": 5,
        "viewers": [{"id": 1, "name": "Bob", "initials": "B", "typing": False, "internal": False}],
    }


# --- The flood guard -------------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_throttle_writes_changes_and_refreshes_but_not_repeats():
    clock = FakeClock()
    throttle = presence.TypingThrottle(clock)
    assert throttle.allow(1, typing=False, internal=False) is False  # nothing to clear
    assert throttle.allow(1, typing=True, internal=False) is True
    clock.now += 1
    assert throttle.allow(1, typing=True, internal=False) is False  # fresh enough
    assert throttle.allow(1, typing=True, internal=True) is True  # switched to an internal note
    clock.now += presence.TYPING_REFRESH_SECONDS
    assert throttle.allow(1, typing=True, internal=True) is True  # keeps the indicator alive
    assert throttle.allow(1, typing=False, internal=True) is True
    assert throttle.allow(1, typing=False, internal=True) is False


def test_throttle_ignores_a_flood_until_the_window_has_passed():
    clock = FakeClock()
    throttle = presence.TypingThrottle(clock)
    allowed = [throttle.allow(1, typing=n % 2 == 0, internal=False) for n in range(50)]
    assert allowed.count(True) == presence.FLOOD_LIMIT
    clock.now += presence.FLOOD_WINDOW_SECONDS
    assert throttle.allow(1, typing=not throttle.state[1][0], internal=False) is True


# --- Sessions on the real channel layer ------------------------------------------------------------------------------


class Tab:
    """One socket: a PresenceSession on a real channel of the configured layer, in its ticket's group."""

    def __init__(self, layer, channel, user_id, name):
        self.layer, self.channel, self.sent = layer, channel, []
        user = SimpleNamespace(pk=user_id, get_full_name=lambda: name, get_username=lambda: name.lower())

        async def send(frame):
            self.sent.append(frame)

        self.session = presence.PresenceSession(channel=channel, user=user, send=send)

    @classmethod
    async def open(cls, user_id, name):
        layer = get_channel_layer()
        return cls(layer, await layer.new_channel(), user_id, name)

    async def join(self, ticket_id):
        await self.layer.group_add(realtime.ticket_group(ticket_id), self.channel)
        await self.session.join(ticket_id)

    async def pump(self):
        """Hand every waiting group message to the session, as the consumer's `agent_presence` does."""
        while True:
            try:
                message = await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.2)
            except TimeoutError:
                return
            assert message["type"] == "agent.presence"
            await self.session.deliver(message["frame"])

    def viewers(self):
        return [[(v["name"], v["typing"]) for v in frame["viewers"]] for frame in self.sent]

    async def close(self, ticket_id):
        await self.layer.group_discard(realtime.ticket_group(ticket_id), self.channel)
        await self.session.close()


async def test_two_agents_see_each_other_and_never_themselves(ticket_id):
    alice = await Tab.open(1, "Alice")
    await alice.join(ticket_id)
    await alice.pump()
    assert alice.sent == []  # alone: nothing to show

    bob = await Tab.open(2, "Bob")
    await bob.join(ticket_id)
    await alice.pump()
    await bob.pump()
    assert alice.viewers() == [[("Bob", False)]]
    assert bob.viewers() == [[("Alice", False)]]

    await bob.session.typing(ticket_id, {"typing": True, "mode": "internal"})
    await bob.session.typing(ticket_id, {"typing": True, "mode": "internal"})  # throttled
    await alice.pump()
    await bob.pump()
    assert alice.sent[-1]["viewers"] == [{"id": 2, "name": "Bob", "initials": "B", "typing": True, "internal": True}]
    assert len(alice.sent) == 2
    assert len(bob.sent) == 1  # his own typing shows nothing to him

    await bob.close(ticket_id)
    await alice.pump()
    assert alice.viewers()[-1] == []
    await alice.close(ticket_id)


async def test_a_second_tab_gets_the_list_and_the_others_hear_nothing(ticket_id):
    alice, bob = await Tab.open(1, "Alice"), await Tab.open(2, "Bob")
    await alice.join(ticket_id)
    await bob.join(ticket_id)
    await alice.pump()
    await bob.pump()
    alice_again = await Tab.open(1, "Alice")
    await alice_again.join(ticket_id)
    await bob.pump()
    await alice_again.pump()
    assert alice_again.viewers() == [[("Bob", False)]]
    assert bob.viewers() == [[("Alice", False)]]  # Alice's second tab: no news
    await alice.close(ticket_id)
    await bob.pump()
    assert len(bob.sent) == 1  # Alice still has the ticket open in her other tab
    await alice_again.close(ticket_id)
    await bob.pump()
    assert bob.viewers()[-1] == []
    await bob.close(ticket_id)


async def test_typing_is_ignored_for_a_ticket_the_session_did_not_join(ticket_id):
    alice, bob = await Tab.open(1, "Alice"), await Tab.open(2, "Bob")
    await alice.join(ticket_id)
    await bob.layer.group_add(realtime.ticket_group(ticket_id), bob.channel)  # in the group, but never joined
    await bob.session.typing(ticket_id, {"typing": True})
    await bob.session.typing(ticket_id, {"typing": "yes"})
    await alice.pump()
    assert alice.sent == []
    await bob.close(ticket_id)
    await alice.close(ticket_id)


async def test_the_heartbeat_keeps_the_entry_and_publishes_an_expiry(ticket_id, monkeypatch):
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.05)
    clock = {"now": T0}
    monkeypatch.setattr(presence, "_clock", lambda: clock["now"])
    presence.viewer_join(ticket_id=ticket_id, channel="a-dead-process", user_id=3, name="Carol", now=T0)
    alice = await Tab.open(1, "Alice")
    await alice.join(ticket_id)
    await alice.pump()
    assert alice.viewers() == [[("Carol", False)]]
    clock["now"] = T0 + presence.ENTRY_TTL_SECONDS + 1  # Carol's process stopped refreshing her entry
    for _ in range(25):  # until a heartbeat has run (each pump waits up to 0.2 s for a frame)
        await alice.pump()
        if alice.viewers()[-1] == []:
            break
    assert alice.viewers()[-1] == []
    assert ids(presence.viewers(ticket_id=ticket_id, now=clock["now"])) == [1]  # Alice's own entry is kept fresh
    await alice.close(ticket_id)
    assert alice.session.heartbeat is None


async def test_a_cache_outage_ends_no_socket(ticket_id, monkeypatch):
    def broken(**kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(presence, "viewer_join", broken)
    alice = await Tab.open(1, "Alice")
    await alice.join(ticket_id)  # logged, not raised
    await alice.close(ticket_id)
