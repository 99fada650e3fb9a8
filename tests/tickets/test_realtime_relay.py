"""Embedded mode: a worker process hands its frames to the web process over a signed loopback POST."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tickets import realtime

FRAME = {"type": "delivery.status", "ticket_id": 5, "comment_id": 9, "status": "read"}


def signed_post(client, payload: dict, signature: str | None = None):
    body = json.dumps(payload).encode()
    return client.post(
        "/internal/realtime/",
        data=body,
        content_type="application/json",
        headers={"X-Relay-Signature": signature if signature is not None else realtime.relay_signature(body)},
    )


@pytest.fixture
def embedded(settings):
    settings.REDIS_URL = ""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.ticket_group(5), channel)
    return layer, channel


@pytest.mark.django_db
def test_a_signed_relay_reaches_the_web_process_groups(client, embedded):
    layer, channel = embedded
    response = signed_post(client, {"groups": [realtime.ticket_group(5)], "frame": FRAME})
    assert response.status_code == 204
    message = async_to_sync(layer.receive)(channel)
    assert message == {"type": "agent.frame", "frame": FRAME}


@pytest.mark.django_db
def test_unsigned_or_malformed_relays_are_refused(client, embedded):
    assert signed_post(client, {"groups": ["ticket.5"], "frame": FRAME}, signature="0" * 64).status_code == 403
    assert signed_post(client, {"nope": 1}).status_code == 400


@pytest.mark.django_db
def test_the_relay_is_off_with_redis(client, settings, embedded):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert signed_post(client, {"groups": ["ticket.5"], "frame": FRAME}).status_code == 403


def test_worker_side_posts_to_the_relay_url(settings, monkeypatch):
    sent = {}

    def fake_post(url, content, headers, timeout):
        sent.update(url=url, body=content, signature=headers["X-Relay-Signature"])

    monkeypatch.setattr(realtime, "_relay_post", fake_post)
    monkeypatch.setattr(realtime, "_serving_layer", False)  # a worker, even if this process served ASGI before
    settings.REDIS_URL = ""
    settings.REALTIME_RELAY_URL = "http://127.0.0.1:8000/internal/realtime/"
    realtime.send_to_groups(["ticket.5", "ticket.5", "agent.1"], FRAME)
    assert sent["url"] == settings.REALTIME_RELAY_URL
    assert json.loads(sent["body"]) == {"groups": ["ticket.5", "agent.1"], "frame": FRAME}
    assert sent["signature"] == realtime.relay_signature(sent["body"])


def test_many_frames_from_a_worker_are_relayed_one_by_one_in_order(settings, monkeypatch):
    """A sweep's batch (`broadcast_many_on_commit`): the web process gets each frame as a single broadcast gives it."""
    sent = []
    monkeypatch.setattr(
        realtime, "_relay_post", lambda url, content, headers, timeout: sent.append(json.loads(content))
    )
    monkeypatch.setattr(realtime, "_serving_layer", False)
    settings.REDIS_URL = ""
    settings.REALTIME_RELAY_URL = "http://127.0.0.1:8000/internal/realtime/"
    frames = [realtime.ticket_changed_frame(ticket_id=i) for i in (3, 4)]
    realtime.send_many_to_groups([(["list.all", "list.unrouted"], frames[0]), (["list.all"], frames[1])])
    assert sent == [{"groups": ["list.all", "list.unrouted"], "frame": frames[0]}, {"groups": ["list.all"],
                                                                                    "frame": frames[1]}]  # fmt: skip


def test_many_frames_reach_the_groups_of_the_layer_in_order(embedded):
    layer, channel = embedded
    frames = [realtime.ticket_changed_frame(ticket_id=5), FRAME]
    realtime.send_many_to_groups([([realtime.ticket_group(5)], frame) for frame in frames])
    received = [async_to_sync(layer.receive)(channel) for _ in frames]
    assert received == [{"type": "agent.frame", "frame": frame} for frame in frames]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "203.0.113.7"},
        {"REMOTE_ADDR": "10.0.0.5"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.7"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "198.51.100.1"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": 'for="[2001:db8::1]:4711";proto=https'},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=_hidden"},
        {"REMOTE_ADDR": ""},
    ],
)
def test_a_correctly_signed_relay_from_elsewhere_is_refused(client, embedded, meta):
    """A valid signature is not enough: the relay is only for the worker on this machine, never through a proxy."""
    layer, channel = embedded
    body = json.dumps({"groups": [realtime.ticket_group(5)], "frame": FRAME}).encode()
    response = client.post(
        "/internal/realtime/",
        data=body,
        content_type="application/json",
        headers={"X-Relay-Signature": realtime.relay_signature(body)},
        **meta,
    )
    assert response.status_code == 403
    assert channel not in layer.channels or layer.channels[channel].empty()  # nothing sent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "::1"},
        {"REMOTE_ADDR": "127.0.0.53"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": 'for="[::1]:8000";proto=http'},
    ],
)
def test_loopback_peers_with_a_signature_are_accepted(client, embedded, meta):
    body = json.dumps({"groups": [realtime.ticket_group(5)], "frame": FRAME}).encode()
    response = client.post(
        "/internal/realtime/",
        data=body,
        content_type="application/json",
        headers={"X-Relay-Signature": realtime.relay_signature(body)},
        **meta,
    )
    assert response.status_code == 204


@pytest.mark.django_db
def test_the_former_public_development_key_no_longer_signs(client, embedded):
    """With SECRET_KEY unset the key used to be a constant in the source: anyone could sign a relay frame."""
    import hashlib
    import hmac

    layer, channel = embedded
    body = json.dumps({"groups": [realtime.ticket_group(5)], "frame": FRAME}).encode()
    forged = hmac.new(
        b"dev-only-insecure-key-do-not-use-in-production", b"realtime-relay:" + body, hashlib.sha256
    ).hexdigest()
    response = client.post(
        "/internal/realtime/", data=body, content_type="application/json", headers={"X-Relay-Signature": forged}
    )
    assert response.status_code == 403
    assert channel not in layer.channels or layer.channels[channel].empty()  # nothing sent
