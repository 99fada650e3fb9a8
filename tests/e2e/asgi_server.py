"""An in-process ASGI live server (uvicorn in a thread) for browser tests that need WebSockets.

pytest-django's `live_server` is WSGI only, so `/ws/agent/` cannot be reached through it. `asgi_server` serves
`config.asgi.application` (HTTP + WebSocket, static files through whitenoise) on 127.0.0.1 and a free port:

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_something(page, asgi_server, login):
        login(page, asgi_server, user, "password")

Being in the test process, it shares the test database (on SQLite a file, see tests/conftest.py; or the real
PostgreSQL test DB) and the channel layer: the in-memory layer when REDIS_URL is unset, real Redis otherwise.
The simulator's Graph API and its webhooks are wired to this server, with no delay between status webhooks.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings

STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class AsgiServer:
    url: str  # http://127.0.0.1:<port>, no trailing slash
    host: str
    port: int
    loop: asyncio.AbstractEventLoop
    server: object  # the uvicorn.Server

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def drop_websockets(self) -> int:
        """Close every open WebSocket as a restarting server does (1012), HTTP keeps working. How many."""
        sockets = [c for c in list(self.server.server_state.connections) if "WebSocket" in type(c).__name__]
        for connection in sockets:
            self.loop.call_soon_threadsafe(connection.shutdown)
        return len(sockets)


def _serve(server, sock: socket.socket, ready: dict) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    ready["loop"] = loop
    try:
        loop.run_until_complete(server.serve(sockets=[sock]))
    finally:
        loop.close()


def _in_memory_layer_threadsafe(monkeypatch, loop: asyncio.AbstractEventLoop) -> None:
    """The in-memory layer's queues belong to the server's event loop: a `group_send` made from another thread
    (the test body's `delivery_fail`, through `async_to_sync`) is run on that loop, so the waiting consumer wakes
    at once instead of on the loop's next unrelated wake-up."""
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    layer = get_channel_layer()
    if not isinstance(layer, InMemoryChannelLayer):
        return  # Redis: every loop has its own connections; nothing to bridge
    original = layer.group_send

    async def group_send(group, message):
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - always called from a coroutine
            running = None
        if running is loop:
            return await original(group, message)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(original(group, message), loop))

    monkeypatch.setattr(layer, "group_send", group_send)


@pytest.fixture
def asgi_server(transactional_db, settings, monkeypatch) -> Iterator[AsgiServer]:
    import uvicorn

    from channels_whatsapp.simulator import status_webhooks
    from config.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        lifespan="off",
        ws="websockets-sansio",  # the `websockets` library without its deprecated legacy layer
        loop="asyncio",
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    ready: dict = {}
    thread = threading.Thread(target=_serve, args=(server, sock, ready), name=f"asgi-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            pytest.fail(f"uvicorn did not start on {host}:{port}", pytrace=False)
        time.sleep(0.02)

    url = f"http://{host}:{port}"
    settings.SITE_URL = url
    settings.WHATSAPP_GRAPH_URL = f"{url}/simulator/graph/v23.0"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = f"{url}/whatsapp/webhook/"
    monkeypatch.setattr(status_webhooks, "STATUS_DELAY_SECONDS", 0)
    _in_memory_layer_threadsafe(monkeypatch, ready["loop"])
    try:
        yield AsgiServer(url=url, host=host, port=port, loop=ready["loop"], server=server)
    finally:
        status_webhooks.status_threads_join(10)
        server.should_exit = True
        thread.join(15)
        sock.close()


# --- Helpers for tests that wait on the channel layer --------------------------------------------------------


def group_members(group: str) -> set[str]:
    """The channel names in a channel-layer group right now (in-memory layer or Redis)."""
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return set(dict(layer.groups.get(group, {})))
    import redis

    client = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        return {m.decode() for m in client.zrange(layer._group_key(group), 0, -1)}
    finally:
        client.close()


def wait_for_new_member(group: str, before: set[str], timeout: float = 5.0) -> set[str]:
    """Wait until a channel not in `before` has joined `group` (e.g. a page's socket after `ticket.subscribe`)."""
    deadline = time.monotonic() + timeout
    while True:
        new = group_members(group) - before
        if new:
            return new
        if time.monotonic() > deadline:
            raise AssertionError(f"No new member joined {group} within {timeout}s")
        time.sleep(0.02)


def run_in_thread(fn: Callable[[], object]) -> object:
    """Run `fn` in a plain thread and return its result (re-raising its exception).

    Playwright's sync API keeps an event loop running in the test's thread, and `async_to_sync` (used by the
    broadcast after commit) refuses to run in a thread with a running loop; a worker thread has none, like the
    real worker process.
    """
    from django.db import connections

    box: dict = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="test-worker")
    thread.start()
    thread.join(30)
    if "error" in box:
        raise box["error"]
    return box.get("result")
