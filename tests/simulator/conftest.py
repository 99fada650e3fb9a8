"""Fixtures: a real HTTP receiver standing in for our webhook, a Graph API client, no status delays."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_whatsapp.simulator import status_webhooks
from tests.simulator.helpers import Graph, Received, Receiver


@pytest.fixture(autouse=True)
def _no_status_delay(monkeypatch):
    monkeypatch.setattr(status_webhooks, "STATUS_DELAY_SECONDS", 0)


@pytest.fixture
def webhook_receiver(settings):
    """A tiny HTTP server on 127.0.0.1 that records every POST; the simulator posts its webhooks to it."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.record(Received(path=self.path, headers=self.headers, body=body))
            self.send_response(receiver.answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/whatsapp/webhook/"
    settings.WHATSAPP_SIMULATOR_WEBHOOK_URL = receiver.url
    yield receiver
    status_webhooks.status_threads_join(5)
    server.shutdown()
    server.server_close()


@pytest.fixture
def graph(client):
    return Graph(client)
