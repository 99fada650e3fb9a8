"""The agent WebSocket through Channels' WebsocketCommunicator and the real auth middleware stack."""

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction

from config.routing import websocket_urlpatterns
from tests.factories import GroupFactory, TicketFactory, UserFactory
from tickets import delivery, realtime
from tickets.models import Comment, Notification

pytestmark = [pytest.mark.django_db(transaction=True)]

application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
FRAME_KEYS = {"type", "ticket_id", "comment_id", "error", "occurred_at", "ticket_url"}


@database_sync_to_async
def session_cookie_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}"


async def connect(user=None):
    headers = [(b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", (await session_cookie_for(user)).encode()))
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


@database_sync_to_async
def make(**kwargs):
    return TicketFactory(**kwargs)


@database_sync_to_async
def agent_reply(ticket, author):
    return Comment.objects.create(ticket=ticket, author_role="agent", author_user=author, body="hi", public=True)


@database_sync_to_async
def fail(comment, code="131047", title="Re-engagement message", detail="More than 24 hours"):
    with transaction.atomic():
        delivery.delivery_fail(comment=comment, code=code, title=title, detail=detail)


async def test_anonymous_connections_are_closed():
    _, connected, code = await connect()
    assert not connected
    assert code == 4401


async def test_author_gets_the_exact_contract_frame_and_a_stored_notification():
    agent = await database_sync_to_async(UserFactory)()
    ticket = await make()
    comment = await agent_reply(ticket, agent)
    communicator, connected, _ = await connect(agent)
    assert connected
    await fail(comment)
    frame = await communicator.receive_json_from(timeout=2)
    assert set(frame) == FRAME_KEYS
    assert frame["type"] == "delivery.failed"
    assert (frame["ticket_id"], frame["comment_id"]) == (ticket.pk, comment.pk)
    assert frame["error"] == {"code": "131047", "title": "Re-engagement message", "detail": "More than 24 hours"}
    assert frame["ticket_url"].endswith(f"/tickets/{ticket.pk}/")
    assert await database_sync_to_async(Notification.objects.filter(user=agent, comment=comment).count)() == 1
    await communicator.disconnect()


async def test_undismissed_notifications_are_replayed_on_connect_until_dismissed():
    agent = await database_sync_to_async(UserFactory)()
    ticket = await make()
    comment = await agent_reply(ticket, agent)
    await fail(comment)  # while the agent was offline
    communicator, _, _ = await connect(agent)
    frame = await communicator.receive_json_from(timeout=2)
    assert frame["comment_id"] == comment.pk
    await communicator.disconnect()

    await database_sync_to_async(delivery.notification_dismiss)(user=agent, comment_id=comment.pk)
    communicator, _, _ = await connect(agent)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_subscribers_with_access_get_the_frame_others_are_refused_silently():
    author = await database_sync_to_async(UserFactory)()
    watcher = await database_sync_to_async(UserFactory)()
    outsider = await database_sync_to_async(UserFactory)()
    group = await database_sync_to_async(GroupFactory)()
    await database_sync_to_async(group.members.add)(author, watcher)
    ticket = await make(group=group)
    comment = await agent_reply(ticket, author)

    watching, _, _ = await connect(watcher)
    await watching.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})
    snooping, _, _ = await connect(outsider)
    await snooping.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})
    assert await snooping.receive_nothing(timeout=0.2)  # refused silently
    await watching.receive_nothing(timeout=0.1)  # let the subscription land

    await fail(comment)
    frame = await watching.receive_json_from(timeout=2)
    assert frame["comment_id"] == comment.pk
    assert await snooping.receive_nothing(timeout=0.3)
    # Watchers see it live; only the author has it stored.
    assert await database_sync_to_async(Notification.objects.filter(user=watcher).exists)() is False
    for communicator in (watching, snooping):
        await communicator.disconnect()


async def test_trigger_messages_notify_the_assignee():
    assignee = await database_sync_to_async(UserFactory)()
    ticket = await make(assignee=assignee)
    comment = await database_sync_to_async(Comment.objects.create)(
        ticket=ticket, author_role="system", body="auto reply", public=True
    )
    communicator, _, _ = await connect(assignee)
    await fail(comment, code="window_closed", title="Outside the window", detail="")
    frame = await communicator.receive_json_from(timeout=2)
    assert frame["error"]["code"] == "window_closed"
    await communicator.disconnect()


async def test_unsubscribe_and_garbage_messages_are_harmless():
    agent = await database_sync_to_async(UserFactory)()
    other = await database_sync_to_async(UserFactory)()
    ticket = await make()
    comment = await agent_reply(ticket, other)
    communicator, _, _ = await connect(agent)
    for junk in ([1, 2], {"type": "ticket.subscribe", "ticket_id": "1"}, {"type": "nope", "ticket_id": 1}):
        await communicator.send_json_to(junk)
    await communicator.send_json_to({"type": "ticket.subscribe", "ticket_id": ticket.pk})
    await communicator.send_json_to({"type": "ticket.unsubscribe", "ticket_id": ticket.pk})
    await communicator.receive_nothing(timeout=0.1)
    await fail(comment)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


def test_group_names_come_from_one_place():
    assert realtime.agent_group(7) == "agent.7"
    assert realtime.ticket_group(9) == "ticket.9"
