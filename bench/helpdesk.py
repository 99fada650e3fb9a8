"""django-helpdesk beside SupportDesk, measured the same way (bench/pages.py --helpdesk runs it).

django-helpdesk 2.6.1 (PyPI) goes into its own virtualenv, bench/.helpdesk-venv, with a minimal Django project that
this script writes there (PostgreSQL, DEBUG=false, teams mode off so pinax-teams is not needed). Its database
bench_helpdesk_<N>k is migrated once and seeded with bulk INSERT ... SELECT generate_series: N tickets in 3 queues
with 3 follow-ups each (about SupportDesk's demo volume), created once and reused. Then, in-process with Django's
test client and CaptureQueriesContext as for SupportDesk, as a superuser:
- its ticket-list data endpoint: `datatables_ticket_list/<base64 query>` (the JSON the list page fetches: 25 open
  tickets, sorted by creation), the equivalent of SupportDesk's list with data;
- its ticket page: `tickets/<id>/`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, reporting

VENV = environment.REPO / "bench" / ".helpdesk-venv"
PROJECT = VENV / "project"
VERSION = "2.6.1"

SETTINGS = """
import os

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdproject.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["HD_DB"], "USER": "postgres",
    "HOST": "127.0.0.1", "PORT": os.environ.get("HD_PORT", "5432"), "OPTIONS": {"pool": True},
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
HELPDESK_TEAMS_MODE_ENABLED = False
"""

URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [path("admin/", admin.site.urls), path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

MANAGE = """
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

MEASURE = """
import base64, json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from helpdesk.models import Ticket
from helpdesk.query import query_to_base64

repeat = int(sys.argv[1])
user = get_user_model().objects.get(username="admin")
client = Client()
client.force_login(user)
query = query_to_base64({"filtering": {"status__in": [1, 2, 3]}, "sorting": "created", "search_string": "",
                         "sortreverse": False})
busiest = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
pages = {
    "ticket-list data endpoint": f"/datatables_ticket_list/{query}?draw=1&start=0&length=25",
    "ticket page": f"/tickets/{busiest}/",
}
out = {"tickets": Ticket.objects.count(), "pages": {}}
for label, url in pages.items():
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
    times.sort()
    out["pages"][label] = {"url": url, "queries": len(ctx.captured_queries), "p50_ms": 1000 * times[len(times) // 2],
                           "sql_ms": 1000 * sum(float(q["time"]) for q in ctx.captured_queries)}
print(json.dumps(out))
"""


def _run(argv: list[str], env: dict | None = None, timeout: float = 1800) -> str:
    result = subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"  creating {VENV.relative_to(environment.REPO)} (django-helpdesk {VERSION} from PyPI) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "ensurepip", "--upgrade"], check=True, capture_output=True)
    check = subprocess.run([str(python), "-c", "import helpdesk, psycopg_pool"], capture_output=True)
    if check.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"django-helpdesk=={VERSION}", "psycopg[binary,pool]"],
            check=True,
        )
    (PROJECT / "hdproject").mkdir(parents=True, exist_ok=True)
    (PROJECT / "hdproject" / "__init__.py").write_text("")
    (PROJECT / "hdproject" / "settings.py").write_text(textwrap.dedent(SETTINGS))
    (PROJECT / "hdproject" / "urls.py").write_text(textwrap.dedent(URLS))
    (PROJECT / "manage.py").write_text(textwrap.dedent(MANAGE))
    (PROJECT / "measure.py").write_text(textwrap.dedent(MEASURE))
    return python


def db_name(size: int) -> str:
    return f"bench_helpdesk_{size // 1000}k"


def ensure_seeded(python: Path, size: int) -> None:
    name = db_name(size)
    marker = f"helpdesk {VERSION} seeded {size}"
    if environment.db_exists(name):
        if environment.db_comment(name) == marker:
            return
        environment.db_drop(name)
    print(f"  seeding {name} ({size} tickets, bulk INSERT ... SELECT) ...", flush=True)
    t0 = time.monotonic()
    environment.sql("postgres", f'CREATE DATABASE "{name}"')
    env = {"HD_DB": name, "PATH": "/usr/bin:/bin"}
    _run([str(python), "manage.py", "migrate", "--noinput"], env)
    _run(
        [
            str(python),
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_superuser('admin', 'admin@example.com', 'admin')",
        ],
        env,
    )
    statements = [
        """INSERT INTO helpdesk_queue (title, slug, allow_public_submission, allow_email_submission,
               escalate_days, new_ticket_cc, updated_ticket_cc, email_box_type, email_box_ssl, email_box_interval,
               socks_proxy_type, socks_proxy_host, socks_proxy_port, logging_type, logging_dir, default_owner_id,
               dedicated_time, enable_notifications_on_email_events, email_box_host, email_box_port, email_box_user,
               email_box_pass, email_box_imap_folder, email_box_local_dir, email_address, locale, permission_name)
           SELECT 'Queue ' || q, 'queue-' || q, true, false, NULL, '', '', 'pop3', false, 5, NULL, NULL, NULL,
                  'none', '', NULL, NULL, false, '', NULL, '', '', 'INBOX', '', '', '', 'helpdesk.queue_access_q' || q
           FROM generate_series(1, 3) q""",
        f"""INSERT INTO helpdesk_ticket (title, queue_id, created, modified, submitter_email, status,
               on_hold, description, resolution, priority, last_escalation, secret_key, kbitem_id, merged_to_id,
               due_date, assigned_to_id)
           SELECT 'Order ' || i || ' has not arrived', (SELECT min(id) FROM helpdesk_queue) + i % 3,
                  now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval,
                  'customer' || i % 5000 || '@example.com', 1 + i % 4, false,
                  'Hello, my order ' || i || ' has not arrived yet. Can you check?', NULL, 1 + i % 5, NULL,
                  md5(i::text), NULL, NULL, NULL, CASE WHEN i % 3 = 0 THEN NULL ELSE (SELECT min(id) FROM auth_user) END
           FROM generate_series(1, {size}) i""",
        """INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, user_id, new_status, message_id,
               time_spent)
           SELECT t.id, t.created + (n || ' hours')::interval, 'Comment', 'Follow-up ' || n || ' on ' || t.title,
                  true, CASE WHEN n = 2 THEN (SELECT min(id) FROM auth_user) END, NULL, NULL, NULL
           FROM helpdesk_ticket t CROSS JOIN generate_series(1, 3) n""",
        "VACUUM ANALYZE",
    ]
    for statement in statements:
        environment.sql(name, statement)
    environment.sql("postgres", f"COMMENT ON DATABASE \"{name}\" IS '{marker}'")
    print(f"  seeded {name} in {time.monotonic() - t0:.0f} s", flush=True)


def measure(python: Path, size: int, repeat: int) -> dict:
    out = _run([str(python), "measure.py", str(repeat)], {"HD_DB": db_name(size), "PATH": "/usr/bin:/bin"})
    return json.loads(out.strip().splitlines()[-1])


def compare(
    report: reporting.Report, ours: dict[int, dict], sizes: list[int], repeat: int
) -> dict[str, dict[int, float]]:
    """Measure django-helpdesk at each size and add the side-by-side table; returns its series for the plot."""
    try:
        python = ensure_venv()
        theirs = {}
        for size in sizes:
            ensure_seeded(python, size)
            theirs[size] = measure(python, size, repeat)
            print(f"  django-helpdesk {size}: {theirs[size]['pages']}", flush=True)
    except Exception as error:  # report why, and fall back to the figures in PERFORMANCE.md
        report.add(
            f"\ndjango-helpdesk could not be measured here ({str(error)[:300]}); the baseline is then PERFORMANCE.md's "
            "figures on this machine: its ticket-list data endpoint 74 queries and ~960 ms at 100k tickets (41 ms "
            "at 1k), its ticket page 36-50 queries and ~30 ms."
        )
        return {}
    largest = max(sizes)
    pairs = [
        ("ticket-list data endpoint", "list htmx fragment [admin]", "list (all unsolved) [admin]"),
        ("ticket page", "ticket page [admin]", None),
    ]
    rows = []
    for theirs_label, our_label, our_full in pairs:
        for size in sizes:
            t = theirs[size]["pages"][theirs_label]
            o = ours[size]["pages"][our_label]
            row = [
                f"{theirs_label} / {our_label}",
                f"{size // 1000}k",
                t["queries"],
                t["p50_ms"],
                o["queries"],
                o["p50_ms"],
                t["p50_ms"] / o["p50_ms"],
            ]
            if our_full:
                row.append(ours[size]["pages"][our_full]["p50_ms"])
            rows.append(row)
    report.add(f"\nSide by side with django-helpdesk {VERSION} (same data volume, same measurement, as a superuser).\n")
    report.add(
        reporting.table(
            [
                "django-helpdesk page / SupportDesk page",
                "tickets",
                "helpdesk queries",
                "helpdesk p50 ms",
                "SupportDesk queries",
                "SupportDesk p50 ms",
                "x faster",
                "SupportDesk full list page p50 ms",
            ],
            [r + [""] * (8 - len(r)) for r in rows],
        )
    )
    t_list = theirs[largest]["pages"]["ticket-list data endpoint"]["p50_ms"]
    o_list = ours[largest]["pages"]["list htmx fragment [admin]"]["p50_ms"]
    report.add(
        f"\nTarget at {largest // 1000}k: list data >= 10 x faster than django-helpdesk's: {t_list / o_list:.1f} x "
        f"({reporting.verdict(t_list / o_list >= 10)})."
    )
    return {
        label: {size: theirs[size]["pages"][label]["p50_ms"] for size in sizes}
        for label in ("ticket-list data endpoint", "ticket page")
    }


if __name__ == "__main__":
    python = ensure_venv()
    for size in [int(x) for x in (sys.argv[1:] or ["1000"])]:
        ensure_seeded(python, size)
        print(json.dumps(measure(python, size, 5), indent=1))
