"""`/ws/agent/`: live delivery failures, delivery ticks, new messages and ticket list changes for a logged-in agent."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tickets import list_selectors, presence, realtime, selectors
from tickets.permissions import is_agent

CLOSE_UNAUTHENTICATED = 4401


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """Thin: authenticates (session, via AuthMiddlewareStack), joins groups, relays frames."""

    async def connect(self):
        user = self.scope.get("user")
        if not is_agent(user):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.tickets: set[int] = set()
        self.list_groups: list[str] = []
        self.presence = presence.PresenceSession(channel=self.channel_name, user=user, send=self.send_json)
        await self.channel_layer.group_add(realtime.agent_group(user.pk), self.channel_name)
        await self.accept()
        # After a reconnect (or a broadcast missed while the layer was down), stored notifications fill the gap.
        for frame in await database_sync_to_async(selectors.open_notification_frames)(user=user):
            await self.send_json(frame)

    async def disconnect(self, code):
        if not hasattr(self, "user"):
            return
        await self.channel_layer.group_discard(realtime.agent_group(self.user.pk), self.channel_name)
        for ticket_id in self.tickets:
            await self.channel_layer.group_discard(realtime.ticket_group(ticket_id), self.channel_name)
        await self.list_subscription(subscribe=False)
        await self.presence.close()

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        if content.get("type") in ("list.subscribe", "list.unsubscribe"):
            await self.list_subscription(subscribe=content["type"] == "list.subscribe")
            return
        ticket_id = content.get("ticket_id")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            return
        if content.get("type") == "ticket.subscribe":
            allowed = await database_sync_to_async(selectors.ticket_get)(user=self.user, ticket_id=ticket_id)
            if allowed is None:
                return  # refused silently: no hint whether the ticket exists
            self.tickets.add(ticket_id)
            await self.channel_layer.group_add(realtime.ticket_group(ticket_id), self.channel_name)
            await self.presence.join(ticket_id)
        elif content.get("type") == "ticket.unsubscribe" and ticket_id in self.tickets:
            self.tickets.discard(ticket_id)
            await self.channel_layer.group_discard(realtime.ticket_group(ticket_id), self.channel_name)
            await self.presence.leave(ticket_id)
        elif content.get("type") == "ticket.typing" and ticket_id in self.tickets:
            await self.presence.typing(ticket_id, content)

    async def agent_frame(self, event):
        await self.send_json(event["frame"])

    async def list_subscription(self, *, subscribe: bool) -> None:
        """A ticket list page: the list groups of exactly what this agent may see now (realtime.list_groups_for)."""
        for group in self.list_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.list_groups = []
        if subscribe:
            self.list_groups = await database_sync_to_async(list_selectors.list_groups)(user=self.user)
            for group in self.list_groups:
                await self.channel_layer.group_add(group, self.channel_name)

    async def agent_presence(self, event):
        await self.presence.deliver(event["frame"])  # without the agent themselves; nothing when nothing changed
