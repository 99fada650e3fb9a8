"""A real HTTP stand-in for the Cloud API: records each request, answers from a script of responses."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class GraphStandIn:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    # Each scripted answer: (status, json body) or ("sleep", seconds). Consumed in order; then a success.
    script: list = field(default_factory=list)
    counter: int = 0

    def posts(self, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]


def meta_error(code: int, message: str, details: str = "", status: int = 400):
    return status, {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AbCdEf",
        }
    }


def start(state: GraphStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
            if state.script:
                step = state.script.pop(0)
                if step[0] == "sleep":
                    time.sleep(step[1])
                    status, payload = 200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.late"}]}
                else:
                    status, payload = step
            else:
                state.counter += 1
                if self.path.endswith("/media"):
                    status, payload = 200, {"id": f"media-{state.counter}"}
                else:
                    to = ""
                    if body.startswith(b"{"):
                        to = json.loads(body).get("to", "")
                    status, payload = (
                        200,
                        {
                            "messaging_product": "whatsapp",
                            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                            "messages": [{"id": f"wamid.OUT{state.counter}"}],
                        },
                    )
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = _answer
        do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v23.0"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server
