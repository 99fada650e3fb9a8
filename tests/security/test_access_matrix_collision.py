"""The access matrix of agent collision: presence and typing over `/ws/agent/` (tickets/presence.py) and the
collision warning of the ticket page's submit (tickets/collision.py) follow the one visibility rule.

Who may read: an agent who may see the ticket sees who else has it open and who types on it. Who may write: only
such an agent is seen, and only their `ticket.typing` reaches the others. Everyone else: anonymous sockets are closed;
an agent without access is refused silently on subscribe, sees nobody and is seen by nobody; the page answers 404.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async

from tests.factories import AdminFactory, UserFactory
from tests.security.test_access_matrix import (
    EXPECTED_VISIBLE,
    LOGIN,
    ROLES,
    VARIANTS,
    build_world,
    expect,
    page_client,
    variant_ticket,
)
from tests.security.test_access_matrix_websocket import ws_connect
from tests.tickets.presence_helpers import presence_isolated  # noqa: F401  (autouse)
from tickets.models import Comment

WAIT = 1.5  # for the first presence frame (a cold Redis layer can take a moment); how long "none comes" is watched
QUIET = 0.3  # then a socket has said everything when nothing more comes for this long


async def presence_frames(communicator) -> list[dict]:
    """The presence frames a socket gets now: up to WAIT for the first one, then until it is quiet. Other frames
    (stored notifications replayed on connect) are skipped."""
    frames: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        wait = QUIET if frames else deadline - loop.time()
        if wait <= 0 or await communicator.receive_nothing(timeout=wait):  # returns as soon as a frame is there
            return frames
        frame = await communicator.receive_json_from()
        if frame["type"] == "presence":
            frames.append(frame)


def shows(frames: list[dict], user, *, typing: bool = False) -> bool:
    return any(v["id"] == user.pk and (v["typing"] or not typing) for f in frames for v in f["viewers"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("role", ROLES)
async def test_presence_and_typing_follow_the_same_rule(role, variant):
    world = await database_sync_to_async(build_world)()
    ticket = await database_sync_to_async(variant_ticket)(world, variant)
    watcher_user = await database_sync_to_async(AdminFactory)(first_name="Wanda", last_name="Watcher")
    watcher, _ = await ws_connect(watcher_user)  # an admin: sees every ticket
    await watcher.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})

    user = None if role == "anonymous" else world.users[role]
    caller, connected = await ws_connect(user)
    if role == "anonymous":
        assert not connected  # closed
        assert await presence_frames(watcher) == []
        await watcher.disconnect()
        return
    await caller.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})
    answers = {}
    answers["caller sees the watcher"] = shows(await presence_frames(caller), watcher_user)
    answers["watcher sees the caller"] = shows(seen_by_watcher := await presence_frames(watcher), user)

    await caller.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True})
    answers["caller's typing reaches the watcher"] = shows(typed := await presence_frames(watcher), user, typing=True)
    await watcher.send_json_to({"type": "ticket.typing", "ticket_id": ticket.pk, "typing": True})
    answers["watcher's typing reaches the caller"] = shows(
        heard := await presence_frames(caller), watcher_user, typing=True
    )

    visible = EXPECTED_VISIBLE.get((role, variant), True)
    assert answers == dict.fromkeys(answers, visible)
    for frame in [*seen_by_watcher, *typed, *heard]:  # names only: no e-mail address, no other field
        for viewer in frame["viewers"]:
            assert set(viewer) == {"id", "name", "initials", "typing", "internal"}
            assert "@" not in viewer["name"]
    await caller.disconnect()
    left = await presence_frames(watcher)  # the caller closed the tab: gone for whoever saw them
    assert bool(left) is visible
    assert not shows(left[-1:], user)
    await watcher.disconnect()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", LOGIN), ("agent_in_group", 409), ("agent_outside_group", 404), ("admin", 409)],
)
def test_the_collision_warning_shows_another_reply_only_to_those_who_may_see_the_ticket(client, role, expected):
    world = build_world()
    seen = world.ticket.comments.latest("id").pk
    other = UserFactory(first_name="Olivia", last_name="Other")
    Comment.objects.create(ticket=world.ticket, author_role="agent", author_user=other, body="Secret-ish answer")
    data = {"status": "open", "body": "My reply", "mode": "public", "tags": "", "seen_comment_id": seen}
    response = page_client(client, world, role).post(f"/tickets/{world.ticket.pk}/", data)
    expect(response, expected)
    assert ("Secret-ish answer" in response.content.decode()) is (expected == 409)
    assert not Comment.objects.filter(body="My reply").exists()
