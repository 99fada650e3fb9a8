"""What every bench script shares: databases, processes, a light HTTP load generator, tables and the report.

Scripts run from the repository root with the project's virtualenv (`.venv/bin/python bench/ingest.py`) against
the local PostgreSQL and Redis (override with BENCH_PG and BENCH_REDIS_URL). Each benchmark gets its own databases
(bench_*) and Redis database number, so it never touches the development or test data.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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


def ensure_template_db() -> None:
    """A migrated empty database to clone from (CREATE DATABASE ... TEMPLATE takes a second, migrating 20)."""
    fingerprint = _migrations_fingerprint()
    if db_exists(TEMPLATE_DB):
        with _admin_connection() as conn:
            row = conn.execute(
                "SELECT description FROM pg_shdescription JOIN pg_database d ON d.oid = objoid WHERE d.datname = %s",
                [TEMPLATE_DB],
            ).fetchone()
        if row and row[0] == fingerprint:
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


# --- Processes -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}; see {proc.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Proc:
    """A server or worker this script started, in its own process group, logging to var/bench-logs/."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(5)
        else:
            self.signal(signal.SIGKILL)  # leftover children of a dead leader
        _forget(self.pid)


_started: list[Proc] = []


def _remember(pid: int) -> None:
    PIDS_FILE.parent.mkdir(exist_ok=True)
    with PIDS_FILE.open("a") as f:
        f.write(f"{pid}\n")


def _forget(pid: int) -> None:
    if PIDS_FILE.exists():
        left = [line for line in PIDS_FILE.read_text().split() if line != str(pid)]
        PIDS_FILE.write_text("".join(f"{p}\n" for p in left))


def reap_leftovers() -> None:
    """Process groups a previous, interrupted bench run started (recorded by pid in var/bench-pids). Also makes a
    SIGTERM to this script run its cleanup (`finally:` blocks) as Ctrl-C does."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not PIDS_FILE.exists():
        return
    for line in PIDS_FILE.read_text().split():
        with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
            os.killpg(int(line), signal.SIGKILL)
    PIDS_FILE.unlink()


def start(name: str, argv: list[str], env: dict[str, str]) -> Proc:
    logs = REPO / "var" / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    handle = log.open("w")
    popen = subprocess.Popen(argv, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    proc = Proc(name, popen, log)
    _started.append(proc)
    _remember(popen.pid)
    return proc


def stop_all() -> None:
    while _started:
        _started.pop().stop()


def daphne(env: dict[str, str], port: int, name: str = "daphne") -> Proc:
    proc = start(
        name, [str(VENV_BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], env
    )
    wait_port(port, proc=proc)
    return proc


def gunicorn(env: dict[str, str], port: int, workers: int = 2, name: str = "gunicorn") -> Proc:
    argv = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "config/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--max-requests",
        "0",  # no worker recycling during a measurement (its CPU time would leave the process tree)
        "config.wsgi:application",
    ]
    proc = start(name, argv, env)
    wait_port(port, proc=proc)
    return proc


def uvicorn(env: dict[str, str], port: int, workers: int = 2, name: str = "uvicorn") -> Proc:
    argv = [
        str(VENV_BIN / "uvicorn"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "config.asgi:application",
    ]
    proc = start(name, argv, env)
    wait_port(port, proc=proc)
    return proc


def qcluster(env: dict[str, str], name: str = "qcluster") -> Proc:
    return start(name, [PYTHON, "manage.py", "qcluster"], env)


def cpu_seconds(procs: Iterable[Proc]) -> float:
    """User + system CPU time so far of each process tree (the server's own work, whatever else runs), including
    children that already exited (django-q recycles its workers, gunicorn can too)."""
    import psutil

    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            leader = psutil.Process(proc.pid)
            for p in [leader, *leader.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    total += times.user + times.system + times.children_user + times.children_system
    return total


# --- Memory --------------------------------------------------------------------------------------------------


class RssSampler:
    """Peak resident memory of each named process tree (leader + children), sampled every 100 ms in a thread."""

    def __init__(self, procs: dict[str, Proc]):
        self.procs = procs
        self.peak: dict[str, int] = dict.fromkeys(procs, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            for label, proc in self.procs.items():
                with contextlib.suppress(psutil.Error):
                    leader = psutil.Process(proc.pid)
                    total = sum(p.memory_info().rss for p in [leader, *leader.children(recursive=True)])
                    self.peak[label] = max(self.peak[label], total)
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)


# --- Load generation -------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    statuses: list[int]
    latencies: list[float]  # seconds, per request, in request order
    started: list[float]  # time.time() when each request was sent
    wall: float
    client_cpu: float

    @classmethod
    def merge(cls, parts: Sequence[LoadResult]) -> LoadResult:
        return cls(
            [s for p in parts for s in p.statuses],
            [x for p in parts for x in p.latencies],
            [x for p in parts for x in p.started],
            sum(p.wall for p in parts),
            sum(p.client_cpu for p in parts),
        )

    @property
    def ok(self) -> int:
        return sum(1 for s in self.statuses if s == 200)

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def pct(self, p: float) -> float:
        done = sorted(lat for lat, s in zip(self.latencies, self.statuses, strict=True) if s)
        return percentile(done, p)

    @property
    def over_1s(self) -> float:
        return 100.0 * sum(1 for lat in self.latencies if lat > 1.0) / max(1, len(self.latencies))


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def http_request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: bench"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip().lower()
    close = headers.get("connection") == "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        close = True
    return status, close


async def _load(
    port: int, requests: Sequence[bytes], concurrency: int, timeout: float, rate: float = 0.0
) -> LoadResult:
    n = len(requests)
    statuses = [0] * n
    latencies = [0.0] * n
    started = [0.0] * n
    next_index = iter(range(n))

    async def worker() -> None:
        reader = writer = None
        for i in next_index:
            if rate:  # open loop: request i leaves at i / rate seconds, whatever the answers' speed
                await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
            t0 = time.perf_counter()
            started[i] = time.time()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(requests[i])
                async with asyncio.timeout(timeout):  # cheaper than wait_for, which makes a task per call
                    status, close = await _read_response(reader)
                statuses[i] = status
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
                status, close = 0, True
            latencies[i] = time.perf_counter() - t0
            if close and writer is not None:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    begin = t0
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(statuses, latencies, started, time.perf_counter() - t0, time.process_time() - cpu0)


def load(
    port: int, requests: Sequence[bytes], concurrency: int, timeout: float = 30.0, rate: float = 0.0
) -> LoadResult:
    """Send every request once over `concurrency` keep-alive connections (closed-loop), in order.

    asyncio streams (on uvloop when installed) with hand-written HTTP/1.1: its CPU per request is reported as
    `client_cpu`, so what the load generator takes from the server's cores is in the table.
    """
    try:  # uvloop (installed with uvicorn[standard]) halves the client's CPU per request
        import uvloop

        return uvloop.run(_load(port, requests, concurrency, timeout, rate))
    except ImportError:
        return asyncio.run(_load(port, requests, concurrency, timeout, rate))


# --- WhatsApp payloads -----------------------------------------------------------------------------------------


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def inbound_text(*, wamid: str, wa_id: str, text: str, name: str = "Bench Customer") -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def status_failed(*, wamid: str, recipient: str, code: int = 131026) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": "failed",
                                    "timestamp": str(int(time.time())),
                                    "recipient_id": recipient,
                                    "errors": [
                                        {
                                            "code": code,
                                            "title": "Message undeliverable",
                                            "message": "Message undeliverable",
                                            "error_data": {"details": "Message Undeliverable."},
                                        }
                                    ],
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def signed_post(path: str, payload: dict) -> bytes:
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
    return http_request("POST", path, body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)})


def inbound_requests(path: str, count: int, *, run: str, contacts: int = 300) -> list[bytes]:
    """`count` signed text messages with unique wamids from `contacts` customers (a realistic spread of tickets)."""
    return [
        signed_post(
            path,
            inbound_text(
                wamid=f"wamid.bench.{run}.{i}",
                wa_id=f"55119{i % contacts:08d}",
                text=f"Hello, this is message {i} of the benchmark. My order #{1000 + i} has not arrived yet.",
                name=f"Customer {i % contacts}",
            ),
        )
        for i in range(count)
    ]


# --- Report ------------------------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[_cell(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load1 = os.getloadavg()[0]
    return f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}, load average {load1:.2f} at start"


@dataclass
class Report:
    """A dated section of docs/BENCHMARKS.md: printed as it grows, appended at the end."""

    title: str
    command: str
    parts: list[str] = field(default_factory=list)
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    host: str = field(default_factory=machine)

    def add(self, text: str) -> None:
        print(text, flush=True)
        self.parts.append(text)

    def write(self) -> None:
        REPORT.parent.mkdir(exist_ok=True)
        if not REPORT.exists():
            REPORT.write_text("# Benchmarks\n\nSections appended by the bench/ scripts (see bench/README.md).\n")
        section = [f"\n## {self.title}, {self.started}\n", f"`{self.command}` ({self.host}).\n", *self.parts]
        with REPORT.open("a") as f:
            f.write("\n".join(section).rstrip() + "\n")
        print(f"\nAppended to {REPORT.relative_to(REPO)}.")


def verdict(ok: bool, gap: str = "") -> str:
    return "met" if ok else f"NOT met ({gap})" if gap else "NOT met"
