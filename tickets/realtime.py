"""Everything that leaves for the browsers: group names and frames. Called only from services, after commit."""

import hashlib
import hmac
import ipaddress
import json
import logging
from datetime import datetime

import httpx
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.urls import reverse

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


def send_to_groups(groups: list[str], frame: dict) -> None:
    """group_send to each group. A channel-layer outage must not break the write that caused it: the stored
    notifications fill the gap when the layer is back."""
    if settings.REALTIME_RELAY_URL:
        relay_to_web(groups, frame)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    for group in dict.fromkeys(groups):
        try:
            async_to_sync(layer.group_send)(group, {"type": "agent.frame", "frame": frame})
        except Exception:
            logger.warning("Could not broadcast %s to %s", frame.get("type"), group, exc_info=True)


def broadcast_on_commit(groups: list[str], frame: dict) -> None:
    transaction.on_commit(lambda: send_to_groups(groups, frame))


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


def relay_to_web(groups: list[str], frame: dict) -> None:
    """Without Redis the worker (another process) cannot reach the browsers' channel layer; `make run` gives the
    worker REALTIME_RELAY_URL so its frames are handed to the web process, which sends them on."""
    body = json.dumps({"groups": list(dict.fromkeys(groups)), "frame": frame}).encode()
    try:
        httpx.post(
            settings.REALTIME_RELAY_URL,
            content=body,
            headers={"Content-Type": "application/json", "X-Relay-Signature": relay_signature(body)},
            timeout=3,
        )
    except httpx.HTTPError:
        logger.warning("Could not relay %s to the web process", frame.get("type"), exc_info=True)
