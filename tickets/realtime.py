"""Everything that leaves for the browsers: group names and frames. Called only from services, after commit."""

import hashlib
import hmac
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
