"""Scale-out: live frames cross processes through real Redis.

A daphne subprocess serves `/ws/agent/`; this test process plays the worker and commits a delivery failure; the
frame must reach the client connected to daphne. A second test adds a real `qcluster` subprocess: a signed
status webhook posted to daphne is queued in Redis, processed by the worker process, and the banner frame it
broadcasts reaches the browser side through daphne. Three processes, one database, one Redis.

Needs REDIS_URL and PostgreSQL (CI has both): SQLite's test database lives in this process's memory.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from channels_whatsapp.simulator import protocol
from tests.factories import GroupFactory, UserFactory
from tickets import delivery, events, realtime
from tickets.models import Comment, Contact, Event, Notification, Ticket, TicketStatus, Via

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FRAME_KEYS = {"type", "ticket_id", "comment_id", "error", "occurred_at", "ticket_url"}
FRAME_TIMEOUT = 2.0
WA = "5511987650077"

pytestmark = [
    pytest.mark.skipif(
        not (settings.REDIS_URL and connection.vendor == "postgresql"),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL: daphne and the worker run in other processes, "
        "which can reach neither the in-memory channel layer nor SQLite's in-memory test database",
    ),
    pytest.mark.django_db(transaction=True),
]


# --- Subprocesses ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """This test's database (the test_... one), for the subprocesses."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


def subprocess_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,  # the session's auth hash is keyed by it
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@dataclass
class Proc:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start(name: str, args: list[str], env: dict[str, str], tmp: Path) -> Proc:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(name, process, log)


def stop(proc: Proc) -> None:
    """Always: terminate the process group, then kill it if it lingers."""
    if proc.process.poll() is not None:
        return
    try:
        os.killpg(proc.process.pid, signal.SIGTERM)
        proc.process.wait(3)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.process.pid, signal.SIGKILL)
        proc.process.wait(5)


def wait_for_port(proc: Proc, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            pytest.fail(f"{proc.name} exited with {proc.process.returncode}:\n{proc.output()}", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{proc.name} did not listen on {port} within {timeout}s:\n{proc.output()}", pytrace=False)


@dataclass
class Daphne:
    port: int
    proc: Proc

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/agent/"


@pytest.fixture
def tmp_logs() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="realtime-redis-") as tmp:
        yield Path(tmp)


def run_daphne(env: dict[str, str], tmp: Path) -> Iterator[Daphne]:
    port = free_port()
    daphne = str(BIN / "daphne")
    proc = start("daphne", [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"], env, tmp)
    try:
        wait_for_port(proc, port)
        yield Daphne(port, proc)
    finally:
        stop(proc)


@pytest.fixture
def daphne_server(transactional_db, tmp_logs) -> Iterator[Daphne]:
    """daphne on the test settings, this test's database and Redis."""
    yield from run_daphne(subprocess_env(DJANGO_SETTINGS_MODULE="config.settings.test"), tmp_logs)


# --- WebSocket clients -------------------------------------------------------------------------------------------


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def ws_connect(server: Daphne, user=None, *, origin: str | None = None) -> ClientConnection:
    headers = {"Origin": origin or server.http}
    if user is not None:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session_cookie(user)}"
    return connect(server.ws, additional_headers=headers, open_timeout=5, close_timeout=2)


def group_members(group: str) -> set[str]:
    import redis
    from channels.layers import get_channel_layer

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return {m.decode() for m in client.zrange(get_channel_layer()._group_key(group), 0, -1)}
    finally:
        client.close()


def subscribe(ws: ClientConnection, ticket_id: int) -> None:
    """Subscribe and wait until daphne has really joined the ticket group in Redis."""
    group = realtime.ticket_group(ticket_id)
    before = group_members(group)
    ws.send(json.dumps({"type": "ticket.subscribe", "ticket_id": ticket_id}))
    deadline = time.monotonic() + 5
    while not group_members(group) - before:
        assert time.monotonic() < deadline, f"daphne did not join {group}"
        time.sleep(0.02)


def receive(ws: ClientConnection, timeout: float = FRAME_TIMEOUT) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def assert_silent(ws: ClientConnection, seconds: float = 0.5) -> None:
    with pytest.raises(TimeoutError):
        ws.recv(timeout=seconds)


def expected_frame(comment: Comment) -> dict:
    comment.refresh_from_db()
    event = Event.objects.get(ticket_id=comment.ticket_id, type=events.DELIVERY_FAILED, data__comment_id=comment.pk)
    return {
        "type": "delivery.failed",
        "ticket_id": comment.ticket_id,
        "comment_id": comment.pk,
        "error": {
            "code": comment.delivery_error_code,
            "title": comment.delivery_error_title,
            "detail": comment.delivery_error_detail,
        },
        "occurred_at": event.created_at.isoformat(),
        "ticket_url": f"{settings.SITE_URL}/tickets/{comment.ticket_id}/",
    }


def assert_contract_frame(frame: dict, expected: dict) -> None:
    assert set(frame) == FRAME_KEYS
    assert set(frame["error"]) == {"code", "title", "detail"}
    assert frame == expected
    datetime.fromisoformat(frame["occurred_at"])


# --- Data --------------------------------------------------------------------------------------------------------


def whatsapp_ticket(*, group=None, assignee=None, account=None) -> Ticket:
    contact = Contact.objects.create(name="Ana Souza", wa_id=WA, phone=f"+{WA}")
    ticket = Ticket.objects.create(
        subject="Where is my order?",
        requester=contact,
        via=Via.WHATSAPP,
        status=TicketStatus.OPEN,
        group=group,
        assignee=assignee,
        last_customer_message_at=timezone.now() - timedelta(hours=1),
    )
    if account is not None:
        WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def agent_reply(ticket: Ticket, author, wamid: str = "wamid.SCALEOUT") -> Comment:
    return Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=author,
        body="It left the warehouse this morning.",
        public=True,
        via=Via.WHATSAPP,
        channel_message_id=wamid,
        delivery_status="sent",
        delivery_updated_at=timezone.now(),
    )


# --- daphne + this process as the worker -------------------------------------------------------------------------


def test_failure_committed_in_another_process_reaches_the_daphne_client(daphne_server):
    author = UserFactory(username="alice")
    colleague = UserFactory(username="carol")
    outsider = UserFactory(username="bob")
    billing = GroupFactory(name="Billing")
    billing.members.add(author, colleague)
    ticket = whatsapp_ticket(group=billing)
    comment = agent_reply(ticket, author)

    with (
        ws_connect(daphne_server, author) as author_ws,
        ws_connect(daphne_server, colleague) as colleague_ws,
        ws_connect(daphne_server, outsider) as outsider_ws,
    ):
        subscribe(colleague_ws, ticket.pk)  # has the ticket open
        outsider_ws.send(json.dumps({"type": "ticket.subscribe", "ticket_id": ticket.pk}))  # refused silently
        time.sleep(0.3)

        started = time.monotonic()
        with transaction.atomic():
            assert delivery.delivery_fail(
                comment=comment, code="131047", title="Re-engagement message", detail=protocol.RE_ENGAGEMENT_DETAILS
            )
        expected = expected_frame(comment)

        frame = receive(author_ws)  # to the author: their agent group
        latency = time.monotonic() - started
        assert_contract_frame(frame, expected)
        assert_contract_frame(receive(colleague_ws), expected)  # to whoever has the ticket open
        assert_silent(author_ws)  # once each
        assert_silent(colleague_ws)
        assert_silent(outsider_ws)
        print(f"frame through daphne + Redis in {latency * 1000:.0f} ms")

    # The stored notification is replayed by daphne on the next connect, as the same contract frame.
    with ws_connect(daphne_server, author) as again:
        replayed = receive(again)
        assert set(replayed) == FRAME_KEYS
        assert {k: v for k, v in replayed.items() if k != "occurred_at"} == {
            k: v for k, v in expected.items() if k != "occurred_at"
        }
        notification = Notification.objects.get(user=author, comment=comment)
        assert replayed["occurred_at"] == notification.created_at.isoformat()
    with ws_connect(daphne_server, colleague) as other:
        assert_silent(other)  # not theirs to keep


def test_anonymous_and_foreign_origin_websockets_are_refused(daphne_server):
    agent = UserFactory(username="alice")
    with pytest.raises((InvalidStatus, ConnectionClosed)) as refused, ws_connect(daphne_server) as anonymous:
        anonymous.recv(timeout=FRAME_TIMEOUT)
    if isinstance(refused.value, InvalidStatus):
        assert refused.value.response.status_code == 403
    else:
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401
    with pytest.raises(InvalidStatus) as foreign:
        ws_connect(daphne_server, agent, origin="https://evil.example")
    assert foreign.value.response.status_code == 403
    with ws_connect(daphne_server, agent) as ok:  # the same agent from our origin is welcome
        assert_silent(ok, 0.3)


# --- daphne + qcluster: the webhook is processed by the worker process --------------------------------------------


@pytest.fixture
def pipeline(transactional_db, tmp_logs) -> Iterator[Daphne]:
    """daphne and `manage.py qcluster` on the production settings (tasks go through Redis, not inline), with a
    task queue of their own: nothing is left for, or taken from, any other cluster on the same Redis."""
    queue = f"supportdesk-test-{uuid.uuid4().hex[:12]}"
    (tmp_logs / "pipeline_settings.py").write_text(
        f"from config.settings.base import *  # noqa: F403\nQ_CLUSTER = {{**Q_CLUSTER, 'name': {queue!r}}}  # noqa: F405\n"
    )
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="pipeline_settings",
        PYTHONPATH=os.pathsep.join([str(tmp_logs), str(ROOT)]),
        Q_SYNC="false",
        Q_WORKERS="1",
        WHATSAPP_APP_SECRET=settings.WHATSAPP_APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=settings.WHATSAPP_VERIFY_TOKEN,
        WHATSAPP_GRAPH_URL="http://127.0.0.1:9/unused",  # nothing is sent in this test
    )
    worker = start("qcluster", [sys.executable, "manage.py", "qcluster"], env, tmp_logs)
    try:
        yield from run_daphne(env, tmp_logs)
    finally:
        stop(worker)
        if worker.process.returncode not in (0, -signal.SIGTERM):
            print(worker.output())
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            client.delete(*(client.keys(f"django_q:{queue}:*") or [f"django_q:{queue}:q"]))
        finally:
            client.close()


def test_status_webhook_processed_by_the_worker_process_reaches_the_daphne_client(pipeline):
    author = UserFactory(username="alice")
    account = WhatsAppAccount.objects.create(
        name="Support line",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
    )
    ticket = whatsapp_ticket(assignee=author, account=account)
    comment = agent_reply(ticket, author, wamid="wamid.QCLUSTER1")
    status = protocol.status_json(
        wamid=comment.channel_message_id,
        status="failed",
        timestamp=int(time.time()),
        recipient_id=WA,
        callback_data=f"comment:{comment.pk}",
        errors=[protocol.status_error(131047, "Re-engagement message", protocol.RE_ENGAGEMENT_DETAILS)],
    )
    payload = protocol.envelope(
        waba_id=account.waba_id,
        phone_number_id=account.phone_number_id,
        display_phone_number=account.display_phone_number,
        value={"statuses": [status]},
    )
    body = protocol.serialize(payload)

    with ws_connect(pipeline, author) as ws:
        started = time.monotonic()
        response = httpx.post(
            f"{pipeline.http}/whatsapp/webhook/",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": protocol.signature(body, settings.WHATSAPP_APP_SECRET),
            },
            timeout=10,
        )
        assert response.status_code == 200
        try:
            frame = receive(ws, timeout=15)  # the worker picks the task from Redis, then broadcasts
        except TimeoutError:
            pytest.fail(f"no frame; qcluster log:\n{pipeline_logs(pipeline)}", pytrace=False)
        latency = time.monotonic() - started
        assert_contract_frame(frame, expected_frame(comment))
        assert frame["error"]["code"] == "131047"
        print(f"webhook -> daphne -> Redis -> qcluster -> Redis -> daphne -> client in {latency * 1000:.0f} ms")
    comment.refresh_from_db()
    assert (comment.delivery_status, comment.delivery_error_code) == ("failed", "131047")
    assert Notification.objects.filter(user=author, comment=comment, dismissed_at__isnull=True).exists()


def pipeline_logs(server: Daphne) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in server.proc.log.parent.glob("*.log"))
