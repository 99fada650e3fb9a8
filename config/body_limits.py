"""Bounded request bodies under ASGI: a body larger than its path allows is refused before it is buffered.

The limits, per path (the largest legitimate body plus room for the form around it):
- `/whatsapp/webhook/`: 3 MiB (Meta's own cap on a webhook). Over it: 400 with a JSON error, as the contract says.
- `/simulator/...` while the simulator is enabled: WhatsApp's largest media (100 MB) plus form overhead (the phone
  uploads files, our Cloud API client uploads media to the Graph stand-in).
- everything else: the largest attachment (`tickets.services.MAX_ATTACHMENT_BYTES`, 20 MB) plus form overhead.
  Over it: 413.

Two guards apply the same limits, for the two ways a server hands over a body:
- `BodyLimitMiddleware` wraps the ASGI http app (config/asgi.py). It refuses a declared `Content-Length` over the
  limit before reading anything, and counts streamed (chunked) bytes, answering 413 as soon as they pass the limit
  and never handing more to Django. This is enough under servers that stream the body to the app (uvicorn).
- daphne (twisted) reads the whole body before it calls the app, then queues all of it in memory at once: no ASGI
  middleware can stop that. `install_daphne_guard()` swaps daphne's request class for one that checks the declared
  length as soon as the headers are in and counts the body while it arrives, answers at once when it is too large,
  and discards the rest without storing it (then closes the connection). config/asgi.py installs it; it changes
  nothing when daphne is not the server.
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MiB = 1024 * 1024
FORM_OVERHEAD_BYTES = 1 * MiB
# After refusing a body, how long a client may go on sending (discarded) so that it can read the answer.
DISCARD_SECONDS = 10.0


def webhook_path() -> str:
    from django.urls import reverse

    return reverse("whatsapp:webhook")


def limit_for(path: str) -> int:
    """The largest body accepted on `path`."""
    from channels_whatsapp.intake import MAX_WEBHOOK_BYTES
    from channels_whatsapp.media import INBOUND_MAX_BYTES
    from tickets.services import MAX_ATTACHMENT_BYTES

    if path == webhook_path():
        return MAX_WEBHOOK_BYTES
    if path.startswith("/simulator/") and settings.WHATSAPP_SIMULATOR_ENABLED:
        return INBOUND_MAX_BYTES + FORM_OVERHEAD_BYTES
    return MAX_ATTACHMENT_BYTES + FORM_OVERHEAD_BYTES


def refusal(path: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of the answer to a body that is too large."""
    if path == webhook_path():
        return 400, "application/json", json.dumps({"error": "Body larger than 3 MiB."}).encode()
    return 413, "text/plain; charset=utf-8", _("Request body too large.").encode()


def declared_length(headers) -> int | None:
    """`Content-Length` as a number; None when absent. A malformed one counts as too large (refused)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            value = value.strip()
            return int(value) if value.isdigit() else 1 << 62
    return None


# --- ASGI ----------------------------------------------------------------------------------------------------


class BodyLimitMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = limit_for(path)
        declared = declared_length(scope.get("headers", []))
        if declared is not None and declared > limit:
            return await _answer(send, path)

        received = 0
        overflow = False
        started = False

        async def bounded_receive():
            nonlocal received, overflow
            if overflow:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django sees a client that went away: it stops reading and answers nothing.
                    overflow = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if overflow and not started:
                return  # the refusal below is the answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, bounded_receive, guarded_send)
        if overflow and not started:
            await _answer(send, path)


async def _answer(send, path: str) -> None:
    status, content_type, body = refusal(path)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- daphne -------------------------------------------------------------------------------------------------------


def install_daphne_guard() -> None:
    """Make daphne build bounded requests (idempotent). Without daphne installed, nothing to do."""
    try:
        from daphne import http_protocol
    except ImportError:  # pragma: no cover - daphne is a dependency
        return
    if getattr(http_protocol.WebRequest, "body_limited", False):
        return
    http_protocol.WebRequest = _bounded_request_class(http_protocol.WebRequest)


def _bounded_request_class(base):
    from twisted.internet import reactor

    class BoundedWebRequest(base):
        """daphne's request, refusing an oversized body while it arrives instead of after storing all of it."""

        body_limited = True
        _refused = False
        _body_bytes = 0
        _body_limit = None
        _close_call = None

        def _target_path(self) -> str:
            raw = getattr(self.channel, "_path", b"") or b""
            try:
                return unquote(urlsplit(raw.decode("ascii")).path)
            except UnicodeDecodeError:
                return ""

        def gotLength(self, length):
            self._body_limit = limit_for(self._target_path())
            self._body_bytes = 0
            if length is not None and length > self._body_limit:
                super().gotLength(0)  # an in-memory file that stays empty
                self._refuse()
                return
            super().gotLength(length)

        def handleContentChunk(self, data):
            if self._refused:
                return  # discarded, never stored
            self._body_bytes += len(data)
            if self._body_limit is not None and self._body_bytes > self._body_limit:
                self._refuse()
                return
            super().handleContentChunk(data)

        def requestReceived(self, command, path, version):
            if self._refused:
                # The whole (discarded) body has arrived: the answer is out, close the connection.
                self._close_now()
                return
            super().requestReceived(command, path, version)

        def connectionLost(self, reason):
            if self._close_call is not None and self._close_call.active():
                self._close_call.cancel()
            super().connectionLost(reason)

        def _refuse(self) -> None:
            self._refused = True
            # No "100 Continue" after our answer (twisted sends it once the headers are in).
            self.requestHeaders.removeHeader(b"expect")
            status, content_type, body = refusal(self._target_path())
            reason = b"Request Entity Too Large" if status == 413 else b"Bad Request"
            head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
                status,
                reason,
                content_type.encode(),
                len(body),
            )
            transport = self.channel.transport
            if transport is not None:
                transport.write(head + body)
            # Let the client finish sending (discarded) so that it reads the answer, but not forever.
            self._close_call = reactor.callLater(DISCARD_SECONDS, self._close_now)

        def _close_now(self) -> None:
            transport = self.channel.transport if self.channel is not None else None
            if transport is not None:
                transport.loseConnection()

    return BoundedWebRequest
