"""Request bodies are bounded under ASGI (config/body_limits.py): over its path's limit a body is refused before it
is buffered. The ASGI middleware is tested directly; daphne, which buffers bodies itself, is tested as a real
subprocess: before, a 500 MB chunked POST to the login page grew it by 500 MB, and a webhook declaring a huge
`Content-Length` waited for the whole body before its 400."""

import asyncio
import json
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from config import body_limits
from config.body_limits import BodyLimitMiddleware
from tests.factories import AdminFactory, TicketFactory
from tests.tickets.test_realtime_redis import BIN, free_port, start, stop, subprocess_env, wait_for_port
from tickets.models import Attachment
from tickets.services import MAX_ATTACHMENT_BYTES

MiB = 1024 * 1024
WEBHOOK = "/whatsapp/webhook/"


# --- Limits ------------------------------------------------------------------------------------------------------


def test_limits_follow_the_largest_legitimate_body(settings):
    assert body_limits.limit_for(WEBHOOK) == 3 * MiB
    general = body_limits.limit_for("/accounts/login/")
    assert MAX_ATTACHMENT_BYTES < general <= MAX_ATTACHMENT_BYTES + 2 * MiB
    assert body_limits.limit_for("/tickets/1/") == general
    settings.WHATSAPP_SIMULATOR_ENABLED = True
    assert body_limits.limit_for("/simulator/graph/v23.0/1/media") > 100 * 1000 * 1000  # WhatsApp's largest media
    settings.WHATSAPP_SIMULATOR_ENABLED = False
    assert body_limits.limit_for("/simulator/graph/v23.0/1/media") == general


# --- The ASGI middleware -------------------------------------------------------------------------------------------


def drive(app, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[list[dict], list[dict]]:
    """Run one http request through `app`; returns (messages the app sent, body messages it was never given)."""
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)  # the client has nothing more to send

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 5))
    return sent, pending


class RecordingApp:
    def __init__(self):
        self.called = False
        self.body = b""

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # as Django does: a client that went away gets no answer
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_a_declared_length_over_the_limit_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(body_limits, "limit_for", lambda path: 100)
    inner = RecordingApp()
    sent, unread = drive(BodyLimitMiddleware(inner), "/accounts/login/", [(b"content-length", b"101")], [b"x" * 101])
    assert sent[0]["status"] == 413
    assert not inner.called
    assert len(unread) == 1  # not even the first chunk was read


def test_a_streamed_body_over_the_limit_is_cut_off_with_413(monkeypatch):
    monkeypatch.setattr(body_limits, "limit_for", lambda path: 100)
    inner = RecordingApp()
    sent, unread = drive(BodyLimitMiddleware(inner), "/accounts/login/", [], [b"x" * 60] * 10)
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]
    assert len(inner.body) <= 100  # the app never got more than the limit
    assert len(unread) == 8  # and the rest was never read


def test_the_webhook_keeps_its_contract_400_json(monkeypatch):
    inner = RecordingApp()
    sent, _ = drive(BodyLimitMiddleware(inner), WEBHOOK, [(b"content-length", b"100000000")], [b"{}"])
    assert sent[0]["status"] == 400
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"error": "Body larger than 3 MiB."}
    assert not inner.called


def test_bodies_within_the_limit_pass_untouched(monkeypatch):
    monkeypatch.setattr(body_limits, "limit_for", lambda path: 100)
    inner = RecordingApp()
    sent, _ = drive(BodyLimitMiddleware(inner), "/accounts/login/", [(b"content-length", b"100")], [b"x" * 50] * 2)
    assert sent[0]["status"] == 200
    assert inner.body == b"x" * 100


def test_the_application_answers_a_huge_declared_webhook_without_waiting_for_its_body():
    """The real ASGI app (lean webhook route included): the answer comes though no body byte was ever sent."""
    from config.asgi import application

    sent, _ = drive(application, WEBHOOK, [(b"host", b"testserver"), (b"content-length", b"100000000")], [])
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["error"]


# --- Real daphne -------------------------------------------------------------------------------------------------


def vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def daphne_url(transactional_db) -> Iterator[tuple[str, int]]:
    """daphne as in production (`daphne config.asgi:application`), on the test settings and this test's database."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a PostgreSQL DATABASE_URL: daphne runs in another process (CI sets it)")
    with tempfile.TemporaryDirectory(prefix="body-limits-") as tmp:
        port = free_port()
        env = subprocess_env(DJANGO_SETTINGS_MODULE="config.settings.test")
        if not settings.REDIS_URL:
            env.pop("REDIS_URL", None)
        proc = start(
            "daphne",
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            env,
            Path(tmp),
        )
        try:
            wait_for_port(proc, port)
            yield f"http://127.0.0.1:{port}", proc.process.pid
        finally:
            stop(proc)


def chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    block = b"x" * size
    for _ in range(total // size):
        yield block


def test_a_50_mb_chunked_login_post_is_refused_without_growing_daphne(daphne_url):
    url, pid = daphne_url
    for _ in range(3):  # warm up: imports, first requests
        assert httpx.get(f"{url}/accounts/login/", timeout=10).status_code == 200
    before = vm_rss_kb(pid)
    response = httpx.post(f"{url}/accounts/login/", content=chunks(50 * MiB), timeout=60)
    after = vm_rss_kb(pid)
    assert response.status_code == 413
    assert after - before < 8 * 1024, f"daphne grew by {(after - before) // 1024} MB for a refused 50 MB body"
    assert httpx.get(f"{url}/accounts/login/", timeout=10).status_code == 200  # still serving


def test_a_webhook_declaring_100_mb_is_answered_at_once_with_400(daphne_url):
    url, _ = daphne_url
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /whatsapp/webhook/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"X-Hub-Signature-256: sha256=00\r\nContent-Length: 100000000\r\n\r\n{}"
        )
        # The declared body never comes: the answer must not wait for it (the timeout only guards a hang).
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"application/json" in head
    assert json.loads(body) == {"error": "Body larger than 3 MiB."}


def test_a_normal_attachment_upload_still_works_under_daphne(daphne_url):
    url, _ = daphne_url
    admin = AdminFactory()
    ticket = TicketFactory()
    client = Client()
    client.force_login(admin)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value, "csrftoken": "a" * 32}
    size = MAX_ATTACHMENT_BYTES - MiB  # a big, allowed file
    response = httpx.post(
        f"{url}/tickets/{ticket.pk}/",
        data={
            "csrfmiddlewaretoken": "a" * 32,
            "status": ticket.status,
            "mode": "internal",
            "body": "The log file",
            "tags": "",
        },
        files={"attachments": ("server.log", b"l" * size, "text/plain")},
        cookies=cookies,
        headers={"Referer": f"{url}/tickets/{ticket.pk}/"},
        timeout=60,
    )
    assert response.status_code == 302, response.text[:500]
    assert Attachment.objects.get(ticket=ticket).size == size


# --- WSGI (gunicorn) ---------------------------------------------------------------------------------------------


class Unreadable:
    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.parametrize(
    ("path", "status"), [(WEBHOOK, "400 Bad Request"), ("/accounts/login/", "413 Request Entity Too Large")]
)
def test_wsgi_refuses_a_declared_length_over_the_limit_before_reading(path, status):
    from config.wsgi import application

    started = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": "100000000",
        "CONTENT_TYPE": "application/json",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": Unreadable(),
        "wsgi.url_scheme": "http",
    }
    body = b"".join(application(environ, lambda s, h: started.append((s, h))))
    assert started[0][0] == status
    if path == WEBHOOK:
        assert json.loads(body) == {"error": "Body larger than 3 MiB."}
