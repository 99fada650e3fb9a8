"""HTTP and WebSocket entry point for daphne (or uvicorn).

The WhatsApp webhook is the hottest endpoint and needs none of the site's middleware (no session, user, messages
or CSRF: it is authenticated by its HMAC signature). Under ASGI every sync middleware costs two thread hops per
request, so `/whatsapp/webhook/` is served by a Django handler without middleware; every other path keeps the normal
stack. The view, its URL and its contract are the same (channels_whatsapp/webhooks.py); docs/BENCHMARKS.md has the
before/after figures.

Every HTTP request passes the body limits first (config/body_limits.py): a body over its path's limit is refused
before it is buffered, both by an ASGI middleware and, under daphne, while the body is still arriving.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.urls import reverse  # noqa: E402

from config.body_limits import BodyLimitMiddleware, install_daphne_guard  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from tickets import realtime  # noqa: E402

install_daphne_guard()


class LeanASGIHandler(ASGIHandler):
    """Django's ASGI handler with an empty middleware chain (what `MIDDLEWARE = []` would build)."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        get_response = self._get_response_async if is_async else self._get_response
        self._middleware_chain = convert_exception_to_response(get_response)


WEBHOOK_PATH = reverse("whatsapp:webhook")
webhook_asgi_app = LeanASGIHandler()


async def http_application(scope, receive, send):
    app = webhook_asgi_app if scope["path"] == WEBHOOK_PATH else django_asgi_app
    return await app(scope, receive, send)


router = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(http_application),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope, receive, send):
    """The router, after telling tickets/realtime.py that this process serves the channel layer (and, without Redis,
    where: the worker relays its frames to that port; daphne sends no lifespan event, so the first connection says)."""
    if scope["type"] in ("http", "websocket"):
        realtime.web_process_started(scope.get("server"))
    return await router(scope, receive, send)
