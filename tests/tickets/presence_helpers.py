"""Fixtures of the presence tests that open several sockets in one test (consumer and access-matrix tests)."""

import asyncio
import uuid

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers, get_channel_layer

from tickets import presence


@pytest.fixture(autouse=True)
async def presence_isolated(monkeypatch):
    """Each test keeps its presence under keys of its own (they expire by themselves): ticket ids repeat between
    tests, and the shared cache is never flushed under the channel layer (on Redis they share a database).

    On Redis, each test also gets a fresh channel layer: channels_redis keeps per-process locks that a socket closed
    while it waited on one leaves bound to the finished test's event loop."""
    prefix = f"presence-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(presence, "_state_key", lambda ticket_id: f"{prefix}:ticket:{ticket_id}")
    yield
    layer = get_channel_layer()
    if hasattr(layer, "receive_clean_locks"):  # channels_redis
        await asyncio.gather(*list(layer.receive_cleaners), return_exceptions=True)
        channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
        await layer.close_pools()
