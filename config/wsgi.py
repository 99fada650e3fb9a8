"""Plain HTTP entry point for a multi-process WSGI server (gunicorn: see config/gunicorn.conf.py).

As in config/asgi.py, `/whatsapp/webhook/` (authenticated by its HMAC signature) skips the site's middleware;
every other path keeps the normal stack. WebSocket (`/ws/agent/`) is served by daphne (docs/operations.md).
A declared `Content-Length` over the path's limit (config/body_limits.py) is refused before anything is read; a
chunked body is bounded by nginx's `client_max_body_size` in front, and Django spools uploads to disk.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django_wsgi_app = get_wsgi_application()

from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.urls import resolve, reverse  # noqa: E402

from channels_whatsapp.intake import MAX_WEBHOOK_BYTES  # noqa: E402
from config import body_limits  # noqa: E402


class LeanWSGIHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware chain (what `MIDDLEWARE = []` would build)."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)

    def resolve_request(self, request):
        """Only the webhook's path reaches this handler: its match is known, no URL pattern needs to be tried."""
        request.resolver_match = WEBHOOK_MATCH
        return WEBHOOK_MATCH


WEBHOOK_PATH = reverse("whatsapp:webhook")
WEBHOOK_MATCH = resolve(WEBHOOK_PATH)
webhook_wsgi_app = LeanWSGIHandler()


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    declared = body_limits.declared_length([(b"content-length", environ.get("CONTENT_LENGTH", "").encode())])
    # Every path's limit is at least the webhook's 3 MiB: smaller bodies need no look at the path's own limit.
    too_large = declared is not None and declared > MAX_WEBHOOK_BYTES and declared > body_limits.limit_for(path)
    if environ.get("CONTENT_LENGTH") and too_large:
        status, content_type, body = body_limits.refusal(path)
        reason = "Request Entity Too Large" if status == 413 else "Bad Request"
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close")]
        start_response(f"{status} {reason}", headers)
        return [body]
    app = webhook_wsgi_app if environ.get("PATH_INFO") == WEBHOOK_PATH else django_wsgi_app
    return app(environ, start_response)
