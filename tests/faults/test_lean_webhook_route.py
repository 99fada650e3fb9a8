"""config/asgi.py and config/wsgi.py serve `/whatsapp/webhook/` without the site's middleware (the hot path):
the contract holds there too, and every other path keeps the full stack."""

import io
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import ApplicationCommunicator
from django.db import connections

from channels_whatsapp.models import WebhookDelivery
from tests.channels_whatsapp.conftest import sign
from tests.faults.test_durability import inbound

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def stored_count() -> int:
    try:
        return WebhookDelivery.objects.count()
    finally:
        connections.close_all()  # this worker thread's connection, back to the pool


async def asgi_request(method: str, path: str, body: bytes = b"", headers: dict | None = None):
    from config.asgi import application

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(10)
    chunks = []
    while True:
        message = await communicator.receive_output(10)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(10)
    return start["status"], {k.lower(): v for k, v in start["headers"]}, b"".join(chunks)


async def test_asgi_webhook_signed_is_stored_and_acknowledged(account):
    body = inbound("wamid.asgi.1")
    status, headers, content = await asgi_request(
        "POST", "/whatsapp/webhook/", body, {"content-type": "application/json", "x-hub-signature-256": sign(body)}
    )
    assert status == 200
    assert json.loads(content) == {"status": "received"}
    assert b"x-frame-options" not in headers  # no middleware ran on this path
    assert await stored_count() == 1


@pytest.mark.parametrize(("body", "signature", "status"), [(b'{"a":1}', "sha256=00", 403), (b"not json", None, 400)])
async def test_asgi_webhook_refusals_keep_the_contract(account, body, signature, status):
    got, _, content = await asgi_request(
        "POST", "/whatsapp/webhook/", body, {"x-hub-signature-256": signature or sign(body)}
    )
    assert got == status
    assert json.loads(content)["error"]
    assert await stored_count() == 0


async def test_asgi_handshake_and_other_methods(account):
    status, _, _ = await asgi_request("PUT", "/whatsapp/webhook/")
    assert status == 405


async def test_asgi_other_paths_keep_the_middleware():
    status, headers, _ = await asgi_request("GET", "/accounts/login/")
    assert status == 200
    assert headers.get(b"x-frame-options") == b"DENY"


def wsgi_request(method: str, path: str, body: bytes = b"", headers: dict | None = None):
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()})
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = int(status.split()[0])
        captured["headers"] = {k.lower(): v for k, v in response_headers}

    content = b"".join(application(environ, start_response))
    return captured["status"], captured["headers"], content


def test_wsgi_webhook_is_stored_and_the_rest_keeps_the_middleware(account):
    body = inbound("wamid.wsgi.1")
    status, headers, _ = wsgi_request("POST", "/whatsapp/webhook/", body, {"X-Hub-Signature-256": sign(body)})
    assert status == 200
    assert "x-frame-options" not in headers
    assert WebhookDelivery.objects.count() == 1
    assert wsgi_request("POST", "/whatsapp/webhook/", body, {"X-Hub-Signature-256": "sha256=00"})[0] == 403
    status, headers, _ = wsgi_request("GET", "/accounts/login/")
    assert status == 200 and headers["x-frame-options"] == "DENY"
