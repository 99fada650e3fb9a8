"""Settings shared by every environment; each switch comes from one environment variable (see README).

Production-safe on its own: `DEBUG` is false unless the environment says otherwise, no secret has a default, the
simulator is off. `local.py` (what `make run` chooses) turns on the development conveniences; `production.py` (what
manage.py, config/asgi.py and config/wsgi.py default to) adds the HTTPS hardening and refuses to start without a
`SECRET_KEY`; `test.py` is the suite's.
"""

import sys

from config.env import BASE_DIR, env

# --- Core -----------------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "tickets.admin_site.SupportDeskAdminConfig",  # django.contrib.admin, entered by product admins only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_q",
    "tickets",
    "channels_whatsapp",
    "channels_whatsapp.simulator",
    "macros",
    "automations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tickets.middleware.AgentPreferencesMiddleware",  # the agent's own language and time zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The task worker (`manage.py qcluster`) forks a sentinel, a monitor, a pusher and Q_WORKERS workers from one
# process, and each of them holds what that process imported. It leaves out what only the web process uses: the
# daphne app (imported for `runserver`, it loads daphne's server and Twisted: ~25 MiB a process) and the admin's
# autodiscovery (every admin module and the page and API code they import: ~12 MiB). bench/memory.py measures it.
WORKER_PROCESS = sys.argv[1:2] == ["qcluster"] and env.bool("Q_WORKER_LEAN", default=True)
if WORKER_PROCESS:
    INSTALLED_APPS.remove("daphne")
    _admin = INSTALLED_APPS.index("tickets.admin_site.SupportDeskAdminConfig")
    INSTALLED_APPS[_admin] = "tickets.admin_site.SupportDeskWorkerAdminConfig"

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.context_processors.agent_shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write at the same time: WAL plus IMMEDIATE transactions avoid "database is locked".
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _db["ENGINE"] in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db.setdefault("OPTIONS", {})
    # Short queries only: PostgreSQL's JIT compiler costs seconds on a large full-text search and never pays back here.
    _db["OPTIONS"].setdefault("options", "-c jit=off")
    if env.bool("DATABASE_POOL", default=True):
        _db["OPTIONS"]["pool"] = {"min_size": 1, "max_size": env.int("DATABASE_POOL_MAX", default=10), "timeout": 10}
        _db["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, task broker, cache ------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
# Embedded mode only (no Redis): a worker process hands its live frames to the web process over loopback HTTP. The web
# process records its port in REALTIME_WEB_ADDRESS_DIR on its first connection and the worker finds it there
# (tickets/realtime.py); REALTIME_RELAY_URL, when set, overrides that for every process but the web one.
REALTIME_RELAY_URL = "" if REDIS_URL else env.str("REALTIME_RELAY_URL", default="")
REALTIME_RELAY_DISCOVERY = True
REALTIME_WEB_ADDRESS_DIR = BASE_DIR / "var" / "run"

if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    "name": "supportdesk",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 60,
    "retry": 90,  # must exceed timeout, or a slow task runs twice
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    # Successful tasks are not stored (-1): django-q2 prunes them by loading every stored success FOR UPDATE after each
    # task (~35 ms at 1,000 rows, in the one monitor process: it capped the whole pipeline near 30 tasks/s). Their
    # outcome is in WebhookDelivery / OutboundSend rows; failures are always stored. See docs/BENCHMARKS.md.
    "save_limit": env.int("Q_SAVE_LIMIT", default=-1),
    "label": "Task queue",
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    Q_CLUSTER["broker_class"] = "config.q_broker.PooledRedis"  # one Redis client per process, not one per enqueue
else:
    Q_CLUSTER["orm"] = "default"
    # How long the ORM broker's pusher sleeps after finding the queue empty: the wait before a task is picked up,
    # so before an embedded banner (bench/banners.py). 0.05 s costs an indexed SELECT 20 times a second when idle.
    Q_CLUSTER["poll"] = env.float("Q_POLL", default=0.05)

# --- Auth -----------------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tickets:home"
LOGOUT_REDIRECT_URL = "login"
# Login attempts per username + client address, and per username across addresses, within the window
# (tickets/throttling.py): then the login form says to wait, without checking the password.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_USER = env.int("LOGIN_FAILURE_LIMIT_PER_USER", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)

# --- I18n, static, media --------------------------------------------------------------------------------

# The account's default language: pages for agents who chose none and whose browser asks for no shipped language,
# and texts to customers whose language is not known. One of LANGUAGES.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
# The languages the product ships (docs/i18n.md says how to add one). German is written for German-speaking teams who
# know Zendesk's German terms.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Our date formats per language (config/formats/<lang>/formats.py): German dates read 3.12.2026, times 24-hour.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    # Attachments are private: never served from a public URL, only through an authorised view.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Form data (not files) held in memory per request; above the webhook's 3 MiB. Whole bodies are bounded before Django
# reads them: config/body_limits.py (daphne and gunicorn) and nginx's client_max_body_size (docs/operations.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="support@supportdesk.localhost")

# --- API ------------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tickets.permissions.IsAgent"],
    "DEFAULT_PAGINATION_CLASS": "tickets.api.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tickets.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Generous: a runaway script is slowed down, an agent or an integration never notices. 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["tickets.throttling.AnonRateThrottle", "tickets.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SupportDesk API",
    "DESCRIPTION": "Tickets, comments, events, contacts, macros, business rules and WhatsApp accounts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.TicketStatus",
        "DeliveryStatusEnum": "tickets.models.DeliveryStatus",
        "CustomFieldTypeEnum": "tickets.custom_field_models.CustomFieldType",
        "TicketTypeEnum": "tickets.models.TicketType",
        "WebhookStatusEnum": "automations.webhooks.models.WebhookStatus",
    },
}

# --- WhatsApp -------------------------------------------------------------------------------------------

WHATSAPP_GRAPH_URL = env.str("WHATSAPP_GRAPH_URL", default="https://graph.facebook.com/v23.0").rstrip("/")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_SIMULATOR_ENABLED = env.bool("WHATSAPP_SIMULATOR_ENABLED", default=False)  # local.py: follows DEBUG
WHATSAPP_OPT_OUT_KEYWORDS = env.list("WHATSAPP_OPT_OUT_KEYWORDS", default=["STOP", "UNSUBSCRIBE", "PARAR"])
WHATSAPP_OPT_IN_KEYWORDS = env.list("WHATSAPP_OPT_IN_KEYWORDS", default=["START", "SUBSCRIBE"])
# First retry of a failed outbound send after this many seconds, doubling with each attempt.
WHATSAPP_RETRY_BASE_SECONDS = env.float("WHATSAPP_RETRY_BASE_SECONDS", default=1.0)
# Where the simulator posts its signed webhooks (our own webhook, reached over real HTTP).
WHATSAPP_SIMULATOR_WEBHOOK_URL = env.str("WHATSAPP_SIMULATOR_WEBHOOK_URL", default="")

# --- Webhooks (the notification_webhook action) ------------------------------------------------------------

# Off: webhooks may only reach public addresses (no loopback, private, link-local, multicast or reserved ones).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# Requests per call: 5xx, timeouts and connection errors are retried after WEBHOOK_RETRY_BASE_SECONDS, doubling.
# Keep attempts x timeout + the pauses under Q_CLUSTER's timeout (60 s): 4 x 10 s + 1 + 2 + 4 s by default.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=4)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=1.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)

# --- Product --------------------------------------------------------------------------------------------

SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
ACCOUNT_REDACT_CREDIT_CARDS = env.bool("ACCOUNT_REDACT_CREDIT_CARDS", default=False)

# --- Security (production.py adds HTTPS hardening) ---------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_permission_traceback": {"()": "tickets.log_filters.PermissionDeniedWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "django.request": {"filters": ["no_permission_traceback"]},
    },
}

# Whitenoise serves static files under daphne too (collected ones; local.py serves the source folders).
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
