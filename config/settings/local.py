"""Development (`make run` chooses it): DEBUG on, this install's own secret key, local hosts, the WhatsApp
simulator, static files served from the source folders."""

from django.core.exceptions import ImproperlyConfigured

from config.env import development_secret_key
from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY, STORAGES, env

# --- Core -----------------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=false a secret key is required: "
            "set SECRET_KEY in the environment or in .env."
        )
    # A random key made once for this install (var/secret_key, git-ignored, mode 0600).
    SECRET_KEY = development_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])

# --- Development conveniences ---------------------------------------------------------------------------

WHATSAPP_SIMULATOR_ENABLED = env.bool("WHATSAPP_SIMULATOR_ENABLED", default=DEBUG)
if DEBUG:
    STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
