"""Plain HTTP entry point for a multi-process WSGI server (gunicorn: see config/gunicorn.conf.py).

As in config/asgi.py, `/whatsapp/webhook/` (authenticated by its HMAC signature) skips the site's middleware;
every other path keeps the normal stack. WebSocket (`/ws/agent/`) is served by daphne (docs/operations.md).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_wsgi_app = get_wsgi_application()

from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.urls import reverse  # noqa: E402


class LeanWSGIHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware chain (what `MIDDLEWARE = []` would build)."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


WEBHOOK_PATH = reverse("whatsapp:webhook")
webhook_wsgi_app = LeanWSGIHandler()


def application(environ, start_response):
    app = webhook_wsgi_app if environ.get("PATH_INFO") == WEBHOOK_PATH else django_wsgi_app
    return app(environ, start_response)
