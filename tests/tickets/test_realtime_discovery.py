"""Embedded mode: the worker finds the web process on its own (tickets/realtime.py, relay discovery)."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tickets import realtime

FRAME = {"type": "delivery.status", "ticket_id": 5, "comment_id": 9, "status": "read"}
RELAY_PATH = "/internal/realtime/"


@pytest.fixture
def worker(settings, tmp_path, monkeypatch):
    """A process that does not serve the ASGI application, in embedded mode, with discovery on."""
    settings.REDIS_URL = ""
    settings.REALTIME_RELAY_URL = ""
    settings.REALTIME_RELAY_DISCOVERY = True
    settings.REALTIME_WEB_ADDRESS_DIR = tmp_path
    settings.SITE_URL = "https://desk.example.com"
    monkeypatch.setattr(realtime, "_serving_layer", False)
    monkeypatch.setattr(realtime, "_recorded_ports", set())
    return settings


def as_web_process(server) -> None:
    realtime.web_process_started(server)
    realtime._serving_layer = False  # back to playing the worker, which reads what the web process wrote


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (["127.0.0.1", 8123], f"http://127.0.0.1:8123{RELAY_PATH}"),
        (["0.0.0.0", 9000], f"http://127.0.0.1:9000{RELAY_PATH}"),  # bound everywhere: loopback works
        (["192.168.1.20", 9001], f"http://127.0.0.1:9001{RELAY_PATH}"),  # reached over the LAN first
        (["::1", 8124], f"http://[::1]:8124{RELAY_PATH}"),
    ],
)
def test_the_web_process_records_its_port_and_the_worker_relays_there(worker, server, expected):
    assert realtime.relay_url() == ""  # nothing recorded, SITE_URL is not this machine
    as_web_process(server)
    assert realtime.relay_url() == expected
    assert json.loads(realtime.web_address_file().read_text())["port"] == server[1]


def test_the_worker_posts_its_frames_to_the_recorded_address(worker, monkeypatch):
    sent = {}
    monkeypatch.setattr(realtime, "_relay_post", lambda url, **kwargs: sent.update(url=url, **kwargs))
    as_web_process(["127.0.0.1", 8125])
    realtime.send_to_groups(["ticket.5"], FRAME)
    assert sent["url"] == f"http://127.0.0.1:8125{RELAY_PATH}"
    assert sent["headers"]["X-Relay-Signature"] == realtime.relay_signature(sent["content"])


def test_the_explicit_relay_url_wins_over_the_record(worker):
    as_web_process(["127.0.0.1", 8126])
    worker.REALTIME_RELAY_URL = "http://127.0.0.1:7000/internal/realtime/"
    assert realtime.relay_url() == "http://127.0.0.1:7000/internal/realtime/"


def test_site_url_is_the_fallback_only_when_it_is_this_machine(worker):
    worker.SITE_URL = "http://localhost:8000"
    assert realtime.relay_url() == f"http://localhost:8000{RELAY_PATH}"
    worker.SITE_URL = "http://127.0.0.1:9000"
    assert realtime.relay_url() == f"http://127.0.0.1:9000{RELAY_PATH}"
    worker.SITE_URL = "http://0.0.0.0:9000"  # `HOST=0.0.0.0 make run`
    assert realtime.relay_url() == f"http://127.0.0.1:9000{RELAY_PATH}"
    worker.SITE_URL = "http://[::1]:9000"
    assert realtime.relay_url() == f"http://[::1]:9000{RELAY_PATH}"
    for public in ("https://desk.example.com", "http://desk.example.com", "https://127.0.0.1:8000"):
        worker.SITE_URL = public
        assert realtime.relay_url() == "", public  # frames never leave the machine


def test_a_record_naming_another_host_is_ignored(worker):
    path = realtime.web_address_file()
    path.write_text(json.dumps({"host": "203.0.113.9", "port": 80}))
    assert realtime.relay_url() == ""
    path.write_text("not json")
    assert realtime.relay_url() == ""


def test_the_web_process_itself_never_relays(worker, monkeypatch):
    """The web process owns the in-memory layer: even with REALTIME_RELAY_URL set (a shared .env) it sends there."""
    monkeypatch.setattr(realtime, "_relay_post", lambda *a, **k: pytest.fail("the web process relayed to itself"))
    worker.REALTIME_RELAY_URL = "http://127.0.0.1:8000/internal/realtime/"
    realtime.web_process_started(["127.0.0.1", 8127])
    assert realtime.relay_url() == ""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("ticket.5", channel)
    realtime.send_to_groups(["ticket.5"], FRAME)
    assert async_to_sync(layer.receive)(channel) == {"type": "agent.frame", "frame": FRAME}


def test_no_relay_with_redis(worker):
    as_web_process(["127.0.0.1", 8128])
    worker.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert realtime.relay_url() == ""


def test_the_record_belongs_to_its_database(worker):
    """Two installs (or a test run beside `make run`) on other databases never read each other's web process."""
    from django.db import connections

    first = realtime.web_address_file()
    original = connections["default"].settings_dict["NAME"]
    connections["default"].settings_dict["NAME"] = "some_other_database"
    try:
        assert realtime.web_address_file() != first
    finally:
        connections["default"].settings_dict["NAME"] = original


@pytest.mark.django_db
def test_the_relay_view_sends_locally_even_with_a_relay_url(client, worker, monkeypatch):
    """Relayed frames end at the web process: the view never relays them on (no loop through its own HTTP)."""
    monkeypatch.setattr(realtime, "_relay_post", lambda *a, **k: pytest.fail("relayed on"))
    worker.REALTIME_RELAY_URL = "http://127.0.0.1:8000/internal/realtime/"
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("ticket.5", channel)
    body = json.dumps({"groups": ["ticket.5"], "frame": FRAME}).encode()
    response = client.post(
        RELAY_PATH,
        data=body,
        content_type="application/json",
        headers={"X-Relay-Signature": realtime.relay_signature(body)},
    )
    assert response.status_code == 204
    assert async_to_sync(layer.receive)(channel) == {"type": "agent.frame", "frame": FRAME}
