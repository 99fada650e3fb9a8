"""Helpers of the simulator's tests: a recording webhook receiver, a Graph API client, request bodies."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings

GRAPH = "/simulator/graph/v23.0"
TOKEN = "test-token-abc"


@dataclass(frozen=True)
class Received:
    path: str
    headers: Any  # an http.client.HTTPMessage: case-insensitive .get()
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def signature_ok(self) -> bool:
        expected = (
            "sha256=" + hmac.new(django_settings.WHATSAPP_APP_SECRET.encode(), self.body, hashlib.sha256).hexdigest()
        )
        return hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), expected)

    @property
    def statuses(self) -> list[dict]:
        return [s for e in self.json["entry"] for c in e["changes"] for s in c["value"].get("statuses", [])]


class Receiver:
    def __init__(self) -> None:
        self._requests: list[Received] = []
        self._lock = threading.Lock()
        self.answer = 200
        self.url = ""

    def record(self, received: Received) -> None:
        with self._lock:
            self._requests.append(received)

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def statuses(self) -> list[dict]:
        return [s for r in self.requests for s in r.statuses]

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        """Bounded poll: true as soon as `predicate(self)` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.01)
        return predicate(self)


class Graph:
    """The Django test client speaking to the simulator's Graph endpoints with a Bearer token."""

    def __init__(self, client) -> None:
        self.client = client

    def _auth(self, token):
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def post_json(self, path: str, body, *, token: str | None = TOKEN):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(f"{GRAPH}/{path}", data=data, content_type="application/json", **self._auth(token))

    def send(self, body, *, phone_number_id: str = "SIMPHONE1", token: str | None = TOKEN):
        return self.post_json(f"{phone_number_id}/messages", body, token=token)

    def get(self, path: str, *, token: str | None = TOKEN, **params):
        url = path if path.startswith("http") else f"{GRAPH}/{path}"
        return self.client.get(url, params or None, **self._auth(token))

    def upload(self, content: bytes, mime_type: str, filename: str = "file", *, token: str | None = TOKEN, **extra):
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {"messaging_product": "whatsapp", "type": mime_type, **extra}
        if content is not None:
            data["file"] = SimpleUploadedFile(filename, content, content_type=mime_type)
        return self.client.post(f"{GRAPH}/SIMPHONE1/media", data=data, **self._auth(token))


def text_body(to: str = "+5511999990000", text: str = "Hello", **extra) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": text},
        **extra,
    }


def template_body(name: str, language: str = "en_US", params: list[str] | None = None, **extra) -> dict:
    components = []
    if params is not None:
        components.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in params]})
    return {
        "messaging_product": "whatsapp",
        "to": "+5511999990000",
        "type": "template",
        "template": {"name": name, "language": {"code": language}, "components": components},
        **extra,
    }
