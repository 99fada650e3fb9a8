"""Production (the default of manage.py, config/asgi.py and config/wsgi.py): a secret key is required, HTTPS is
enforced and cookies are secure. A proxy in front terminates TLS (docs/operations.md)."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY, env

# --- Secret ---------------------------------------------------------------------------------------------

if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG=false a secret key is required: "
        "set SECRET_KEY in the environment or in .env (or choose config.settings.local for development)."
    )

# --- HTTPS hardening ------------------------------------------------------------------------------------

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
