"""Everything that leaves for the browsers: group names and frames. Called only from services, after commit."""

import hashlib
import hmac
import ipaddress
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections, transaction
from django.urls import reverse

from config.http_client import process_client
from tickets import layer_loop

logger = logging.getLogger(__name__)


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def ticket_url(ticket_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('tickets:ticket', args=[ticket_id])}"


def delivery_failed_frame(
    *, ticket_id: int, comment_id: int | None, code: str, title: str, detail: str, occurred_at: datetime
) -> dict:
    """The contract's `delivery.failed` frame, exactly."""
    return {
        "type": "delivery.failed",
        "ticket_id": ticket_id,
        "comment_id": comment_id,
        "error": {"code": code, "title": title, "detail": detail},
        "occurred_at": occurred_at.isoformat(),
        "ticket_url": ticket_url(ticket_id),
    }


def comment_added_frame(*, ticket_id: int, comment_id: int) -> dict:
    """A new message on the ticket: open ticket pages refresh their conversation."""
    return {"type": "comment.added", "ticket_id": ticket_id, "comment_id": comment_id}


def delivery_status_frame(*, ticket_id: int, comment_id: int, status: str) -> dict:
    """An outbound message moved forward (sent, delivered, read): open ticket pages refresh its tick."""
    return {"type": "delivery.status", "ticket_id": ticket_id, "comment_id": comment_id, "status": status}


def notifications_resolved_frame(*, ticket_id: int, comment_ids: list[int], resolved_by: int) -> dict:
    """A later message on the ticket was delivered: the failure banners of these messages are resolved."""
    return {
        "type": "notification.resolved",
        "ticket_id": ticket_id,
        "comment_ids": sorted(comment_ids),
        "resolved_by": resolved_by,
    }


def notifications_dismissed_frame(*, comment_ids: list[int] | None = None) -> dict:
    """The agent dismissed notifications (all of them when `comment_ids` is None) in one tab: the others follow."""
    return {"type": "notification.dismissed", "comment_ids": None if comment_ids is None else sorted(comment_ids)}


def send_to_groups(groups: list[str], frame: dict) -> None:
    """group_send to each group. A channel-layer outage must not break the write that caused it: the stored
    notifications fill the gap when the layer is back."""
    send_many_to_groups([(groups, frame)])


def send_to_local_groups(groups: list[str], frame: dict) -> None:
    """group_send on this process's own channel layer, never relayed (where relayed frames end)."""
    _send_local([(groups, frame)])


def broadcast_on_commit(groups: list[str], frame: dict) -> None:
    transaction.on_commit(lambda: send_to_groups(groups, frame))


def broadcast_many_on_commit(sends: list[tuple[list[str], dict]]) -> None:
    """Many (groups, frame) pairs after commit, in order: the same frames as `broadcast_on_commit` for each, but sent
    in one pass over the channel layer (one event loop, not one per frame) for writes that change many tickets."""
    if sends:
        transaction.on_commit(lambda: send_many_to_groups(sends))


def send_many_to_groups(sends: list[tuple[list[str], dict]]) -> None:
    url = relay_url()
    if url:
        for groups, frame in sends:
            relay_to_web(groups, frame, url=url)
        return
    _send_local(sends)


def _send_local(sends: list[tuple[list[str], dict]]) -> None:
    """Every (groups, frame) pair on this process's channel layer, in order, in one call: outside an event loop (a
    worker, a management command) each `async_to_sync` call ran a new loop, and channels_redis opens a new connection
    for each loop, so a frame to four groups cost four connections. Redis: on this process's own long-lived loop
    (tickets/layer_loop.py); the in-memory layer belongs to the server's loop, which async_to_sync finds."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if type(layer).__module__.startswith("channels_redis"):
            layer_loop.run(_group_send_all(layer, sends))
        else:
            async_to_sync(_group_send_all)(layer, sends)
    except Exception:
        logger.warning("Could not broadcast %s", sends[0][1].get("type") if sends else "", exc_info=True)


async def _group_send_all(layer, sends: list[tuple[list[str], dict]]) -> None:
    for groups, frame in sends:
        for group in dict.fromkeys(groups):
            try:
                await layer.group_send(group, {"type": "agent.frame", "frame": frame})
            except Exception:
                logger.warning("Could not broadcast %s to %s", frame.get("type"), group, exc_info=True)


# --- Embedded mode: the worker reaches the web process's in-memory layer over loopback HTTP -----------------------


# Headers a reverse proxy adds to say who the client really is. The worker's own relay POST never carries them.
_FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded", "Client-Ip", "True-Client-Ip", "X-Client-Ip")


def _loopback(address: str) -> bool:
    address = address.strip().strip('"')
    if address.startswith("[") and "]" in address:  # "[::1]:8000" (Forwarded's quoted IPv6)
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "127.0.0.1:8000"
        address = address.split(":", 1)[0]
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _forwarded_addresses(headers) -> list[str]:
    found: list[str] = []
    for name in _FORWARDING_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        for part in value.replace(";", ",").split(","):
            key, _, rest = part.strip().partition("=")
            if name == "Forwarded":
                if key.strip().lower() == "for":
                    found.append(rest)
                elif key.strip().lower() not in ("by", "proto", "host"):
                    found.append(part)  # unparsable: treated as a foreign address
            else:
                found.append(part)
    return found


def relay_peer_allowed(request) -> bool:
    """The relay is a loopback-only door: the peer is 127.0.0.0/8 or ::1, and no proxy header names anyone else."""
    if not _loopback(request.META.get("REMOTE_ADDR") or ""):
        return False
    return all(_loopback(address) for address in _forwarded_addresses(request.headers))


def relay_signature(body: bytes) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"realtime-relay:" + body, hashlib.sha256).hexdigest()


def _relay_post(url: str, **kwargs) -> httpx.Response:
    """POST on this process's kept-alive client (config/http_client.py)."""
    return process_client().post(url, **kwargs)


def relay_to_web(groups: list[str], frame: dict, *, url: str) -> None:
    """Without Redis the worker (another process) cannot reach the browsers' channel layer: its frames are handed
    to the web process (relay_url() says where), which sends them on."""
    body = json.dumps({"groups": list(dict.fromkeys(groups)), "frame": frame}).encode()
    try:
        _relay_post(
            url,
            content=body,
            headers={"Content-Type": "application/json", "X-Relay-Signature": relay_signature(body)},
            timeout=3,
        )
    except httpx.HTTPError:
        logger.warning("Could not relay %s to the web process", frame.get("type"), exc_info=True)


# --- Embedded mode: where the web process is (relay discovery) ---------------------------------------------------
#
# The web process (daphne, runserver) records the port it serves on the first HTTP or WebSocket connection it gets
# (daphne sends no ASGI lifespan events); every other process (qcluster, management commands) reads it. Nothing to
# configure: REALTIME_RELAY_URL only overrides it. The record is keyed by the database, since web and worker are
# paired by the database they share.

_serving_layer = False  # True in a process that serves the ASGI application: it owns the in-memory layer
_recorded_ports: set[int] = set()


def web_address_file() -> Path:
    db = connections["default"].settings_dict
    name = str(db.get("NAME") or "")
    if "sqlite" in str(db.get("ENGINE")) and name and not name.startswith(("file:", ":memory:")):
        name = str(Path(name).resolve())
    identity = "|".join([str(db.get("ENGINE") or ""), name, str(db.get("HOST") or ""), str(db.get("PORT") or "")])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return Path(settings.REALTIME_WEB_ADDRESS_DIR) / f"web-{digest}.json"


def web_process_started(server) -> None:
    """Called by the ASGI entry point (config/asgi.py) for each connection: this process serves the channel layer,
    and in embedded mode its port is recorded once for the worker. `server` is the ASGI scope's (host, port)."""
    global _serving_layer
    _serving_layer = True
    if settings.REDIS_URL or not server or len(server) < 2 or server[1] is None:
        return  # Redis carries the frames; or a Unix socket, which the relay does not use
    port = int(server[1])
    if port in _recorded_ports:
        return
    _recorded_ports.add(port)
    # The relay only accepts loopback peers, so the worker always calls the loopback address of the same family
    # (daphne bound to 0.0.0.0 or to 127.0.0.1 answers on 127.0.0.1 alike).
    host = "::1" if ":" in str(server[0]) else "127.0.0.1"
    path = web_address_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        aside.write_text(json.dumps({"host": host, "port": port, "pid": os.getpid()}))
        os.replace(aside, path)
    except OSError:
        logger.warning("Could not record the web process's address in %s", path, exc_info=True)


def recorded_relay_url() -> str:
    try:
        data = json.loads(web_address_file().read_text())
        host, port = str(data["host"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if not _loopback(host):
        return ""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{reverse('tickets:realtime-relay')}"


def site_relay_url() -> str:
    """SITE_URL's relay, only when SITE_URL is this machine: frames never leave it."""
    parts = urlsplit(settings.SITE_URL)
    host = parts.hostname or ""
    if host in ("0.0.0.0", "::"):  # noqa: S104  (`HOST=0.0.0.0 make run`: served on every address, loopback too)
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"  # noqa: S104
    elif parts.scheme != "http" or not (host == "localhost" or _loopback(host)):
        return ""
    if parts.scheme != "http":
        return ""
    netloc = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"http://{netloc}{port}{reverse('tickets:realtime-relay')}"


def relay_url() -> str:
    """Where this process hands its frames, or "" to use its own channel layer.

    Redis: nowhere (the layer is shared). The web process: nowhere (the layer is its own). Any other process in
    embedded mode: REALTIME_RELAY_URL if set, else the address the web process recorded, else SITE_URL when it is
    a loopback address.
    """
    if settings.REDIS_URL or _serving_layer:
        return ""
    if settings.REALTIME_RELAY_URL:
        return settings.REALTIME_RELAY_URL
    if not settings.REALTIME_RELAY_DISCOVERY:
        return ""
    return recorded_relay_url() or site_relay_url()


# --- Channel changes to stored comments ----------------------------------------------------------------------------


def comment_updated_frame(*, ticket_id: int, comment_id: int, change: str) -> dict:
    """A comment already on the page changed (`change`: edited, reaction, revoked, attachment): the open ticket page
    re-renders its conversation."""
    return {"type": "comment.updated", "ticket_id": ticket_id, "comment_id": comment_id, "change": change}


# --- Live ticket lists ---------------------------------------------------------------------------------------------
#
# A list page joins, on `list.subscribe`, the list groups of what its agent may see (tickets.permissions): admins one
# group that hears every ticket; an agent the group of each of their ticket groups, the unrouted tickets' group and
# their own (tickets assigned to them). A change is sent to the groups of the ticket before and after it, so a
# broadcast costs a handful of group sends however many agents are online, and an agent whose list loses the ticket
# (moved to another group, reassigned) hears it too. The frame carries ids only: the page asks for what it may see.


def list_all_group() -> str:
    return "list.all"


def list_unrouted_group() -> str:
    return "list.unrouted"


def list_team_group(group_id: int) -> str:
    return f"list.group.{group_id}"


def list_agent_group(user_id: int) -> str:
    return f"list.agent.{user_id}"


def list_groups_for(*, admin: bool, user_id: int, group_ids) -> list[str]:
    """The list groups a list page of this agent joins: exactly the tickets `restrict_tickets` lets them see."""
    if admin:
        return [list_all_group()]
    return [list_unrouted_group(), list_agent_group(user_id), *(list_team_group(g) for g in sorted(group_ids))]


def ticket_list_groups(*, group_ids, assignee_ids) -> list[str]:
    """Who may see a ticket whose group was or is one of `group_ids` and whose assignee was or is one of
    `assignee_ids` (None: no group / nobody)."""
    groups = [list_all_group()]
    for group_id in dict.fromkeys(group_ids):
        groups.append(list_unrouted_group() if group_id is None else list_team_group(group_id))
    groups.extend(list_agent_group(a) for a in dict.fromkeys(assignee_ids) if a is not None)
    return groups


def ticket_changed_frame(*, ticket_id: int) -> dict:
    """A ticket's row or the view counts may have changed: open lists refresh what they show."""
    return {"type": "ticket.changed", "ticket_id": ticket_id}


def ticket_changed_on_commit(ticket, *, former_group_ids=(), former_assignee_ids=()) -> None:
    """Tell the lists of everyone who may see `ticket`, and of those who could before a move (its former groups
    and assignees), that it changed."""
    groups = ticket_list_groups(
        group_ids=[ticket.group_id, *former_group_ids], assignee_ids=[ticket.assignee_id, *former_assignee_ids]
    )
    broadcast_on_commit(groups, ticket_changed_frame(ticket_id=ticket.pk))


def tickets_changed_on_commit(tickets) -> None:
    """`ticket_changed_on_commit` for each of many tickets whose group and assignee stayed (an automation sweep's
    batch): the same frames to the same groups, sent together after commit."""
    broadcast_many_on_commit(
        [
            (
                ticket_list_groups(group_ids=[ticket.group_id], assignee_ids=[ticket.assignee_id]),
                ticket_changed_frame(ticket_id=ticket.pk),
            )
            for ticket in tickets
        ]
    )


# --- Agent collision: who else has a ticket open (the state is kept by tickets/presence.py) ------------------------


def presence_frame(*, ticket_id: int, viewers: list[dict]) -> dict:
    """The agents who have the ticket open: `[{"id", "name", "initials", "typing", "internal"}]`, names only."""
    return {"type": "presence", "ticket_id": ticket_id, "viewers": viewers}


async def presence_send(ticket_id: int, frame: dict) -> None:
    """Sent by the consumers themselves (a join, a leave, typing, a heartbeat), so always in the web process and never
    relayed. Each socket drops its own agent from the list (`AgentConsumer.agent_presence`)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(ticket_group(ticket_id), {"type": "agent.presence", "frame": frame})
    except Exception:
        logger.warning("Could not send presence on ticket %s", ticket_id, exc_info=True)
