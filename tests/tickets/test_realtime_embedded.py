"""Embedded mode as the README runs it in production, with no Redis and no extra variables: `daphne
config.asgi:application` and `python manage.py qcluster` started as two plain commands on one SQLite database.
A status webhook posted to daphne is processed by the worker process; its `delivery.failed` frame must reach the
WebSocket client connected to daphne (the worker finds daphne through the address daphne recorded)."""

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Whatever configures the suite (its database, Redis, settings module) must not reach the processes under test.
DROPPED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "REALTIME_RELAY_URL",
    "SITE_URL",
    "SECRET_KEY",
    "Q_SYNC",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("PYTEST")}
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",  # no SECRET_KEY: this install's own key (DEBUG)
        "WHATSAPP_APP_SECRET": "embedded-app-secret",
        "WHATSAPP_GRAPH_URL": "http://127.0.0.1:9/unused",  # nothing is sent in this test
        "Q_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_for_port(process: subprocess.Popen, port: int, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    pytest.fail(f"daphne did not listen on {port}:\n{log.read_text(errors='replace')[-3000:]}", pytrace=False)


@pytest.fixture
def tmp() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="embedded-") as path:
        yield Path(path)


def test_a_failure_processed_by_a_plain_qcluster_reaches_the_daphne_client(tmp):
    env = plain_env(tmp / "db.sqlite3")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [python, "-m", "tests.tickets.embedded_setup"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    data = json.loads(made.stdout.strip().splitlines()[-1])
    address_file = Path(data["address_file"])
    port = free_port()
    worker = start([python, "manage.py", "qcluster"], env, tmp / "qcluster.log")
    daphne = start(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], env, tmp / "daphne.log"
    )
    try:
        wait_for_port(daphne, port, tmp / "daphne.log")
        headers = {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"{data['session_cookie']}={data['session']}"}
        with connect(f"ws://127.0.0.1:{port}/ws/agent/", additional_headers=headers, open_timeout=10) as ws:
            body = base64.b64decode(data["body"])
            response = httpx.post(
                f"http://127.0.0.1:{port}/whatsapp/webhook/",
                content=body,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": data["signature"]},
                timeout=10,
            )
            assert response.status_code == 200
            try:
                frame = json.loads(ws.recv(timeout=20))  # the worker polls the ORM broker, then relays to daphne
            except TimeoutError:
                logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in tmp.glob("*.log"))
                pytest.fail(f"no frame reached the client:\n{logs}", pytrace=False)
        assert set(frame) == {"type", "ticket_id", "comment_id", "error", "occurred_at", "ticket_url"}  # the contract's
        assert frame["type"] == "delivery.failed"
        assert (frame["ticket_id"], frame["comment_id"]) == (data["ticket_id"], data["comment_id"])
        assert frame["error"]["code"] == "131047"
        assert json.loads(address_file.read_text())["port"] == port
        assert worker.poll() is None, "the worker stopped"
    finally:
        stop(daphne)
        stop(worker)
        address_file.unlink(missing_ok=True)
