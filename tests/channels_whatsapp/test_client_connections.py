"""The Graph client keeps one HTTP client per process: consecutive calls reuse one kept-alive connection (a new client
per call paid a new connection and a new TLS context before every send)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from channels_whatsapp import client


def test_consecutive_sends_reuse_one_connection(settings):
    peers = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps the connection open, as the Cloud API does

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            peers.append(self.client_address)
            raw = json.dumps({"messages": [{"id": f"wamid.{len(peers)}"}], "contacts": [{"wa_id": "1"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings.WHATSAPP_GRAPH_URL = f"http://127.0.0.1:{server.server_address[1]}/v23.0"
    try:
        sent = [client.send_message(phone_number_id="1", token="t", payload={"to": "+1"}) for _ in range(3)]
    finally:
        server.shutdown()
        server.server_close()
    assert [result.wamid for result in sent] == ["wamid.1", "wamid.2", "wamid.3"]
    assert len(set(peers)) == 1, peers
