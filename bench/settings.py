"""Settings for the servers the benchmarks start: the product's settings plus bench-only URLs.

Everything else comes from the same environment switches as production (DATABASE_URL, REDIS_URL, DEBUG...);
the scripts run with DEBUG=false so no query log or debug toolbar skews the figures.
"""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The benchmarks talk plain HTTP to 127.0.0.1 (a TLS proxy sits in front in production).
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Pages render {% static %} without a collectstatic run.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
