"""gunicorn for plain HTTP (pages, API, the webhook): `gunicorn -c config/gunicorn.conf.py config.wsgi:application`.

WebSocket stays on daphne; a reverse proxy sends `/ws/` there and everything else here (docs/operations.md).
Sync workers: one request at a time per process, no thread hops, one pooled connection each (Django's psycopg pool).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 5000  # recycle workers now and then (memory), with jitter so they do not all restart at once
max_requests_jitter = 500
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
