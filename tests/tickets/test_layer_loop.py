"""Frames sent from sync code to the Redis channel layer go through one long-lived loop per process."""

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from tickets import layer_loop, realtime


@pytest.fixture
def redis_layer():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the in-memory layer keeps using async_to_sync")
    return get_channel_layer()


def test_frames_reach_the_group_through_one_loop(redis_layer, monkeypatch):
    monkeypatch.setattr(realtime, "relay_url", lambda: "")
    channel = layer_loop.run(redis_layer.new_channel())
    layer_loop.run(redis_layer.group_add("ticket.layer-loop-test", channel))
    loop = layer_loop._running_loop()
    for n in (1, 2):
        realtime.send_to_local_groups(["ticket.layer-loop-test"], {"type": "comment.added", "comment_id": n})
        received = layer_loop.run(redis_layer.receive(channel))
        assert received == {"type": "agent.frame", "frame": {"type": "comment.added", "comment_id": n}}
    assert layer_loop._running_loop() is loop  # not a new loop (nor a new Redis connection) per frame
    layer_loop.run(redis_layer.group_discard("ticket.layer-loop-test", channel))


def test_a_forked_child_starts_its_own_loop(monkeypatch):
    parent = layer_loop._running_loop()
    monkeypatch.setattr(layer_loop.os, "getpid", lambda: -1)  # as if in a child after fork
    child = layer_loop._running_loop()
    assert child is not parent
    assert child.is_running() or layer_loop.run(_answer()) == 42


async def _answer():
    return 42


def test_a_layer_that_fails_does_not_break_the_write(redis_layer, monkeypatch):
    async def refused(group, message):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(realtime, "relay_url", lambda: "")
    monkeypatch.setattr(redis_layer, "group_send", refused)
    realtime.send_to_local_groups(["ticket.layer-loop-test"], {"type": "comment.added"})  # logged, not raised
