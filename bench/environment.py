"""Where the benchmarks run: paths, the PostgreSQL and Redis they use, the environment of each process and
the bench_* databases (created from one migrated template).

Scripts run from the repository root with the project's virtualenv (`.venv/bin/python bench/ingest.py`) against
the local PostgreSQL and Redis (override with BENCH_PG and BENCH_REDIS_URL). Each benchmark gets its own databases
(bench_*) and Redis database number, so it never touches the development or test data.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
REPORT = REPO / "docs" / "BENCHMARKS.md"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
TEMPLATE_DB = "bench_template"
PIDS_FILE = REPO / "var" / "bench-pids"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


# --- Environment and databases ------------------------------------------------------------------------------


def db_url(name: str) -> str:
    return f"{PG}/{name}"


def bench_env(db: str, *, redis: bool = True, **extra: str) -> dict[str, str]:
    """The environment of every process a benchmark starts: production switches, bench URLs, quiet logs."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "Q_SYNC")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=db_url(db),
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-not-for-production",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_VERIFY_TOKEN="bench-verify-token",
        WHATSAPP_SIMULATOR_ENABLED="true",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
    )
    if redis:
        env["REDIS_URL"] = REDIS_URL
    env.update(extra)
    return env


def simulator_env(port: int) -> dict[str, str]:
    """Point the Cloud API at the simulator of the web server on `port`, and its webhooks back at that server."""
    return {
        "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{port}/simulator/graph/v23.0",
        "WHATSAPP_SIMULATOR_WEBHOOK_URL": f"http://127.0.0.1:{port}/whatsapp/webhook/",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }


def _admin_connection():
    import psycopg

    return psycopg.connect(db_url("postgres"), autocommit=True)


def db_exists(name: str) -> bool:
    with _admin_connection() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def db_drop(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_json(script: str, args: list[str], *, env: dict[str, str], echo_stderr: bool = False) -> dict:
    """Run a bench script's in-process mode (`script args`) in a fresh interpreter with `env`: its last stdout line is
    its JSON result."""
    out = subprocess.run(
        [sys.executable, script, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    if echo_stderr:
        print(out.stderr, end="", flush=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def manage(*args: str, env: dict[str, str], quiet: bool = True, timeout: float = 1800) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    if not quiet:
        print(result.stdout.strip())
    return result.stdout


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(REPO.glob("*/migrations/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def db_comment(name: str) -> str | None:
    """The database's comment: what a benchmark recorded of how it made it (None without one)."""
    row = sql(
        "postgres",
        "SELECT description FROM pg_shdescription JOIN pg_database d ON d.oid = objoid WHERE d.datname = %s",
        [name],
    )
    return row[0][0] if row else None


def ensure_template_db() -> None:
    """A migrated empty database to clone from (CREATE DATABASE ... TEMPLATE takes a second, migrating 20)."""
    fingerprint = _migrations_fingerprint()
    if db_exists(TEMPLATE_DB):
        if db_comment(TEMPLATE_DB) == fingerprint:
            return
        db_drop(TEMPLATE_DB)
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    print(f"  migrating {TEMPLATE_DB} (once per set of migrations)...", flush=True)
    manage("migrate", "--noinput", env=bench_env(TEMPLATE_DB, redis=False))
    with _admin_connection() as conn:
        conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")


def db_fresh(name: str) -> None:
    """A new, migrated, empty database `name` (dropped first if present)."""
    ensure_template_db()
    db_drop(name)
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')


def sql(db: str, query: str, params: Sequence | None = None) -> list[tuple]:
    import psycopg

    with psycopg.connect(db_url(db), autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
