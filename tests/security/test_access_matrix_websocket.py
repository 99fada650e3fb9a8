"""The access matrix over /ws/agent/: ticket pages and ticket lists hear exactly what their agent may see."""

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from config.routing import websocket_urlpatterns
from tests.security.test_access_matrix import (
    EXPECTED_VISIBLE,
    ROLES,
    VARIANTS,
    build_world,
    variant_ticket,
)
from tickets import realtime

# --- WebSocket -------------------------------------------------------------------------------------------------------

ws_application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


@database_sync_to_async
def session_cookie_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}"


async def ws_connect(user):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", (await session_cookie_for(user)).encode()))
    communicator = WebsocketCommunicator(ws_application, "/ws/agent/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def receives_ticket_frames(user, ticket_id: int) -> bool | None:
    """Subscribe to the ticket and broadcast a probe to its group: True if it arrives, None if not even connected."""
    communicator, connected = await ws_connect(user)
    if not connected:
        return None
    while not await communicator.receive_nothing(timeout=0.1):  # stored notifications sent on connect
        await communicator.receive_json_from()
    await communicator.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket_id})
    await communicator.receive_nothing(timeout=0.1)  # let the subscription land
    probe = {"type": "probe", "ticket_id": ticket_id}
    await get_channel_layer().group_send(realtime.ticket_group(ticket_id), {"type": "agent.frame", "frame": probe})
    got = not await communicator.receive_nothing(timeout=0.3)
    if got:
        assert await communicator.receive_json_from() == probe
    await communicator.disconnect()
    return got


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("role", ROLES)
async def test_websocket_ticket_subscribe_follows_the_same_rule(role, variant):
    world = await database_sync_to_async(build_world)()
    ticket = await database_sync_to_async(variant_ticket)(world, variant)
    user = None if role == "anonymous" else world.users[role]
    got = await receives_ticket_frames(user, ticket.pk)
    if role == "anonymous":
        assert got is None  # the connection is closed
    else:
        assert got is EXPECTED_VISIBLE.get((role, variant), True)


# --- WebSocket: live ticket lists (list.subscribe -> ticket.changed) ------------------------------------------------


async def hears_list_changes(user, ticket) -> bool | None:
    """Subscribe as a list page and change the ticket through the real service: True if its `ticket.changed`
    arrives, None if not even connected."""
    from tickets import services

    communicator, connected = await ws_connect(user)
    if not connected:
        return None
    while not await communicator.receive_nothing(timeout=0.1):  # stored notifications sent on connect
        await communicator.receive_json_from()
    await communicator.send_json_to({"type": "list.subscribe"})
    await communicator.receive_nothing(timeout=0.1)  # let the subscription land
    await database_sync_to_async(services.ticket_update)(ticket=ticket, changes={"priority": "urgent"})
    got = not await communicator.receive_nothing(timeout=0.3)
    if got:
        assert await communicator.receive_json_from() == {"type": "ticket.changed", "ticket_id": ticket.pk}
    await communicator.disconnect()
    return got


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("role", ROLES)
async def test_websocket_list_subscribe_follows_the_same_rule(role, variant):
    """Who may read a ticket's row hears its changes; everyone else gets no frame (not even its id)."""
    world = await database_sync_to_async(build_world)()
    ticket = await database_sync_to_async(variant_ticket)(world, variant)
    user = None if role == "anonymous" else world.users[role]
    got = await hears_list_changes(user, ticket)
    if role == "anonymous":
        assert got is None  # the connection is closed
    else:
        assert got is EXPECTED_VISIBLE.get((role, variant), True)
