"""Test settings: the same switches as production (DATABASE_URL, REDIS_URL), plus speed-ups."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def _worker_redis_url(url: str, worker: str) -> str:
    """Under pytest-xdist each worker takes its own Redis database, the next numbers after REDIS_URL's ("gw1" of
    redis://host/5 uses 6), so channel groups named by ids ("agent.1") and cache keys of two workers' tests never meet,
    as their PostgreSQL test databases don't (pytest-django suffixes those)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + int(worker.removeprefix('gw'))}"))


if "pytest" in sys.modules and os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER", "")[:2] == "gw":
    # In the worker only (the servers and workers a test starts inherit the worker's environment, already moved, or
    # are given a URL of their own), and in the environment, so those processes use the same database.
    os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])

from config.settings.base import *  # noqa: E402, F403
from config.settings.base import Q_CLUSTER, REST_FRAMEWORK, env  # noqa: E402

# The suite's own key (subprocesses it starts get the same one through SECRET_KEY); never used outside the suite.
SECRET_KEY = env.str("SECRET_KEY", default="test-settings-only-" + "0123456789abcdef" * 3)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# The suite makes thousands of API calls as a handful of users: throttling is tested with its own rates.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
# No test ever reaches Meta: anything not pointed at a stand-in fails fast on a closed local port.
WHATSAPP_GRAPH_URL = "http://127.0.0.1:9/v23.0"
WHATSAPP_RETRY_BASE_SECONDS = 0
WEBHOOK_RETRY_BASE_SECONDS = 0
WEBHOOK_TIMEOUT_SECONDS = 5
WHATSAPP_APP_SECRET = "test-app-secret"
WHATSAPP_VERIFY_TOKEN = "test-verify-token"
WHATSAPP_SIMULATOR_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Browser tests and the servers the suite starts serve static files from the source folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The test process plays the web process: its frames go to its own in-memory layer unless a test says otherwise.
REALTIME_RELAY_DISCOVERY = False
