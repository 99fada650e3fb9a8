"""Fault drills with real processes: nothing acknowledged is lost, nothing is done twice.

    .venv/bin/python bench/faults.py                       # every scenario (about 6 minutes); appends a report
    .venv/bin/python bench/faults.py --only worker-kill    # one of: worker-kill, graph, postgres-restart, redis-stop

Scenarios (daphne + qcluster on the Redis broker, the simulator as the Graph API, as `make run` wires it):
- worker-kill: SIGKILL the whole qcluster in the middle of a burst of inbound messages, restart it after the
  burst. The Redis broker does not redeliver a task a dead worker had taken; the webhook rows it left `pending` are
  re-enqueued by the minute sweep (channels_whatsapp.tasks.sweep, rows older than 60 s), so this waits up to ~3 min.
  Check: every acknowledged message is exactly one comment.
- graph: the simulator's Graph API answers HTTP 500 (x2), 429 (x2) and one send hangs longer than the client's read
  timeout (15 s); agents reply on 8 tickets. Check: every reply ends sent/delivered/read, each reached the Graph API
  once (the timed-out one is not resent: it is marked failed `timeout`, then revived by its later status webhooks).
- postgres-restart: restart PostgreSQL during a burst. Check: every 200 is a stored WebhookDelivery row and a
  comment; everything else was refused with a non-200 (Meta retries those: the script retries them too, then checks
  again that each message is exactly one comment).
- redis-stop: stop Redis with an agent's WebSocket open. Check: pages and the webhook keep answering; a failure that
  happens during the outage is stored; after Redis returns the client (reconnecting as the browser does) gets it from
  the stored notifications, and a new failure arrives live again.

PostgreSQL and Redis are private instances started for the drill (a `benchfaults` PostgreSQL cluster on port 5433,
created once with pg_createcluster; a redis-server on port 6380), so restarting them disturbs nobody else's
databases. `--main-services` uses the machine's own (port 5432 cluster `main`, Redis 6379) instead. Whatever happens,
the script starts again anything it stopped and checks it with pg_isready / redis-cli ping before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common as c

DB = "bench_faults"
PG_CLUSTER = ("15", "benchfaults", 5433)
REDIS_PORT = 6380


# --- Services --------------------------------------------------------------------------------------------------


class Services:
    def __init__(self, main: bool):
        self.main = main
        version = sorted(os.listdir("/etc/postgresql"))[-1] if Path("/etc/postgresql").exists() else "15"
        if main:
            self.pg = (version, "main", 5432)
            self.redis_port = 6379
        else:
            self.pg = (version, PG_CLUSTER[1], PG_CLUSTER[2])
            self.redis_port = REDIS_PORT
        self.redis_proc: c.Proc | None = None

    @property
    def pg_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg[2]}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/9"

    def pg_ctl(self, action: str) -> None:
        version, cluster, _ = self.pg
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, action], check=True, capture_output=True
        )

    def pg_ready(self) -> bool:
        return (
            subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(self.pg[2])], capture_output=True).returncode
            == 0
        )

    def redis_ready(self) -> bool:
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True, text=True)
        return out.stdout.strip() == "PONG"

    def up(self) -> None:
        version, cluster, port = self.pg
        if not self.main and not Path(f"/etc/postgresql/{version}/{cluster}").exists():
            print(f"  creating the private PostgreSQL cluster {version}/{cluster} on port {port} (once)", flush=True)
            subprocess.run(
                [
                    "pg_createcluster",
                    version,
                    cluster,
                    "-p",
                    str(port),
                    "--",
                    "--auth-local=trust",
                    "--auth-host=trust",
                ],
                check=True,
                capture_output=True,
            )
        if not self.pg_ready():
            self.pg_ctl("start")
        self._wait(self.pg_ready, "PostgreSQL")
        if not self.redis_ready():
            self.redis_start()

    def redis_start(self) -> None:
        if self.main:
            subprocess.run(
                ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", ""],
                check=True,
                capture_output=True,
            )
        else:
            self.redis_proc = c.start(
                "redis-faults",
                [
                    "redis-server",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                dict(os.environ),
            )
            c._started.remove(self.redis_proc)  # a service: stopped by restore(), not with the servers
        self._wait(self.redis_ready, "Redis")

    def redis_stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.redis_port), "shutdown", "nosave"], capture_output=True)
        if self.redis_proc is not None:
            with contextlib.suppress(Exception):
                self.redis_proc.popen.wait(10)
            c._forget(self.redis_proc.pid)
            self.redis_proc = None
        self._wait(lambda: not self.redis_ready(), "Redis to stop")

    def restore(self) -> list[str]:
        """Start again whatever is down; then stop the private instances (the main ones stay up)."""
        notes = []
        if not self.pg_ready():
            self.pg_ctl("start")
            self._wait(self.pg_ready, "PostgreSQL")
            notes.append("PostgreSQL was down and was started again")
        if not self.redis_ready():
            self.redis_start()
            notes.append("Redis was down and was started again")
        notes.append(
            f"pg_isready: {'accepting connections' if self.pg_ready() else 'NOT READY'}; "
            f"redis-cli ping: {'PONG' if self.redis_ready() else 'NO ANSWER'}"
        )
        if not self.main:
            self.redis_stop()
            with contextlib.suppress(subprocess.CalledProcessError):
                self.pg_ctl("stop")
            notes.append("private PostgreSQL (5433) and Redis (6380) stopped")
        main_ok = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode == 0
        main_redis = subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True).stdout.strip()
        notes.append(f"machine's PostgreSQL 5432: {'up' if main_ok else 'DOWN'}; Redis 6379: {main_redis or 'DOWN'}")
        return notes

    @staticmethod
    def _wait(check, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {what}")


# --- Django-side helpers (run in a subprocess with the drill's environment) ---------------------------------------


def here(action: str, args: dict) -> object:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from channels_whatsapp.models import WebhookDelivery, WhatsAppAccount
    from channels_whatsapp.simulator import faults, phone_messages
    from channels_whatsapp.simulator.models import SimMessage
    from tickets import services
    from tickets.models import Comment, Notification, Ticket

    if action == "setup":
        WhatsAppAccount.objects.get_or_create(
            phone_number_id=c.PHONE_NUMBER_ID,
            defaults={"name": "Bench line", "waba_id": c.WABA_ID, "access_token": "bench-token"},
        )
        user = get_user_model().objects.create_user("bench", password="bench-password", first_name="Bench")
        session = SessionStore()
        session.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
            }
        )
        session.create()
        return {"session": session.session_key, "user_id": user.pk}
    if action == "phone":  # customers write from the simulator's phone (signed webhooks over HTTP)
        return [
            phone_messages.phone_send(
                phone_messages.PhoneMessage(
                    f"55117{i:08d}", f"Customer {i}", text=f"Hello {i}", phone_number_id=c.PHONE_NUMBER_ID
                )
            ).payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            for i in range(args["count"])
        ]
    if action == "faults":
        for kind, count, delay in args["faults"]:
            faults.fault_inject(kind, count=count, delay_seconds=delay)
        return True
    if action == "replies":
        user = get_user_model().objects.get(username="bench")
        ids = []
        for ticket in Ticket.objects.filter(via="whatsapp").order_by("id")[: args["count"]]:
            ids.append(services.comment_add(ticket=ticket, author=user, body=f"Reply to {ticket.pk}", public=True).pk)
        return ids
    if action == "deliveries":
        comments = Comment.objects.filter(delivery_status__isnull=False).order_by("id")
        rows = []
        for comment in comments:
            sends = SimMessage.objects.filter(direction="outbound", biz_opaque_callback_data=f"comment:{comment.pk}")
            rows.append([comment.pk, comment.delivery_status, comment.delivery_error_code, sends.count()])
        return {"rows": rows}
    if action == "count":
        prefix = args["prefix"]
        comments = Comment.objects.filter(channel_message_id__startswith=prefix)
        per = {}
        for wamid in comments.values_list("channel_message_id", flat=True):
            per[wamid] = per.get(wamid, 0) + 1
        return {
            "comments": len(per),
            "duplicates": sum(1 for n in per.values() if n > 1),
            "wamids": sorted(per),
            "pending": WebhookDelivery.objects.filter(state="pending").count(),
        }
    if action == "stored-wamids":
        prefix = args["prefix"]
        found = set()
        for payload in WebhookDelivery.objects.values_list("payload", flat=True).iterator():
            for entry in payload.get("entry", []):
                for change in entry.get("changes", []):
                    for message in change.get("value", {}).get("messages", []):
                        if str(message.get("id", "")).startswith(prefix):
                            found.add(message["id"])
        return sorted(found)
    if action == "window-closed-reply":
        user = get_user_model().objects.get(username="bench")
        ticket = Ticket.objects.filter(via="whatsapp").order_by("id").first()
        Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=timezone.now() - timezone.timedelta(days=2))
        ticket.refresh_from_db()
        comment = services.comment_add(ticket=ticket, author=user, body="Reply after the window", public=True)
        comment.refresh_from_db()
        return {
            "comment_id": comment.pk,
            "delivery": comment.delivery_status,
            "notification": Notification.objects.filter(comment=comment, dismissed_at__isnull=True).exists(),
        }
    if action == "sent-reply":
        user = get_user_model().objects.get(username="bench")
        ticket = Ticket.objects.filter(via="whatsapp").order_by("-id").first()
        comment = services.comment_add(ticket=ticket, author=user, body="Reply to fail", public=True)
        Comment.objects.filter(pk=comment.pk).update(channel_message_id=f"wamid.fault.{comment.pk}")
        contact = ticket.requester
        return {
            "comment_id": comment.pk,
            "wamid": f"wamid.fault.{comment.pk}",
            "wa_id": contact.wa_id,
            "ticket": ticket.pk,
        }
    raise ValueError(action)


def call(env: dict, action: str, **args) -> object:
    out = subprocess.run(
        [sys.executable, __file__, "--here", action, json.dumps(args)],
        cwd=c.REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{action}: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- The drill's stack ----------------------------------------------------------------------------------------------


class Stack:
    def __init__(self, services: Services, name: str):
        self.services = services
        self.port = c.free_port()
        c.PG = services.pg_url
        c.db_fresh(DB)
        self.env = c.bench_env(DB, **c.simulator_env(self.port))
        self.env["DATABASE_URL"] = f"{services.pg_url}/{DB}"
        self.env["REDIS_URL"] = services.redis_url
        self.env["WHATSAPP_RETRY_BASE_SECONDS"] = "0.5"
        import redis

        redis.Redis.from_url(services.redis_url).flushdb()
        self.name = name
        self.web = c.daphne(self.env, self.port, name=f"daphne-{name}")
        self.worker: c.Proc | None = None
        self.start_worker()
        self.setup = call(self.env, "setup")

    def start_worker(self) -> None:
        self.worker = c.qcluster(self.env, name=f"qcluster-{self.name}")
        time.sleep(2)

    def kill_worker(self) -> None:
        if self.worker is not None:
            self.worker.signal(9)
            self.worker.popen.wait(10)
            c._forget(self.worker.pid)
            self.worker = None

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()
        self.web.stop()


def burst(stack: Stack, count: int, prefix: str, concurrency: int = 8) -> tuple[threading.Thread, dict]:
    requests = [
        c.signed_post(
            "/whatsapp/webhook/",
            c.inbound_text(wamid=f"{prefix}.{i}", wa_id=f"55119{i % 100:08d}", text=f"Burst message {i}"),
        )
        for i in range(count)
    ]
    box: dict = {}

    def run() -> None:
        box["result"] = c.load(stack.port, requests, concurrency, timeout=20)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def wait_comments(stack: Stack, prefix: str, expected: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        counts = call(stack.env, "count", prefix=prefix)
        if counts["comments"] >= expected or time.monotonic() > deadline:
            counts["waited"] = timeout - (deadline - time.monotonic())
            return counts
        time.sleep(3)


# --- Scenarios ------------------------------------------------------------------------------------------------------


def worker_kill(services: Services, count: int) -> dict:
    stack = Stack(services, "worker-kill")
    prefix = f"wamid.kill.{int(time.time())}"
    try:
        thread, box = burst(stack, count, prefix)
        time.sleep(2.0)
        stack.kill_worker()
        killed_at = time.monotonic()
        thread.join()
        result = box["result"]
        stack.start_worker()
        acked = [f"{prefix}.{i}" for i, s in enumerate(result.statuses) if s == 200]
        counts = wait_comments(stack, prefix, len(acked), timeout=240)
        missing = sorted(set(acked) - set(counts["wamids"]))
        return {
            "scenario": "worker SIGKILLed mid-burst, restarted after",
            "sent": count,
            "acknowledged (200)": len(acked),
            "comments": counts["comments"],
            "duplicates": counts["duplicates"],
            "lost": len(missing),
            "recovered after (s)": round(time.monotonic() - killed_at),
            "ok": not missing and counts["duplicates"] == 0,
        }
    finally:
        stack.stop()


def graph_faults(services: Services, replies: int) -> dict:
    stack = Stack(services, "graph")
    try:
        # Customers write first (their 24-hour window opens); the default auto-reply trigger answers each.
        call(stack.env, "phone", count=replies)
        wait_until(lambda: len(call(stack.env, "deliveries")["rows"]) >= replies, 60)
        wait_until(lambda: all(r[1] in ("delivered", "read") for r in call(stack.env, "deliveries")["rows"]), 60)
        call(stack.env, "faults", faults=[["server_error", 2, 0], ["rate_limit", 2, 0], ["delay", 1, 17]])
        call(stack.env, "replies", count=replies)
        settled = ("delivered", "read")
        wait_until(lambda: sum(1 for r in call(stack.env, "deliveries")["rows"] if r[1] in settled) >= 2 * replies, 120)
        rows = call(stack.env, "deliveries")["rows"]
        twice = [r for r in rows if r[3] > 1]
        undelivered = [r for r in rows if r[1] not in settled]
        return {
            "scenario": "Graph API: 500 x2, 429 x2, one send past the 15 s read timeout",
            "replies": len(rows),
            "delivered/read": len(rows) - len(undelivered),
            "sent twice": len(twice),
            "not delivered": undelivered,
            "ok": not twice and not undelivered,
        }
    finally:
        stack.stop()


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return False


def postgres_restart(services: Services, count: int) -> dict:
    stack = Stack(services, "pg-restart")
    prefix = f"wamid.pg.{int(time.time())}"
    try:
        thread, box = burst(stack, count, prefix, concurrency=8)
        time.sleep(2.0)
        t0 = time.monotonic()
        services.pg_ctl("restart")
        restart_s = time.monotonic() - t0
        thread.join()
        result = box["result"]
        acked = {f"{prefix}.{i}" for i, s in enumerate(result.statuses) if s == 200}
        refused = [i for i, s in enumerate(result.statuses) if s != 200]
        statuses = sorted({s for s in result.statuses if s != 200})
        stored = set(call(stack.env, "stored-wamids", prefix=prefix))
        lost_acked = sorted(acked - stored)
        # Meta redelivers what was not acknowledged; so do we, then everything must be exactly one comment.
        retry = [
            c.signed_post(
                "/whatsapp/webhook/",
                c.inbound_text(wamid=f"{prefix}.{i}", wa_id=f"55119{i % 100:08d}", text=f"Burst message {i}"),
            )
            for i in refused
        ]
        retried = c.load(stack.port, retry, 4) if retry else None
        counts = wait_comments(stack, prefix, count, timeout=240)
        return {
            "scenario": "PostgreSQL restarted mid-burst",
            "sent": count,
            "acknowledged (200)": len(acked),
            "refused (non-200)": f"{len(refused)} {statuses}",
            "200 but not stored": len(lost_acked),
            "restart took (s)": round(restart_s, 1),
            "retried refused -> 200": retried.ok if retried else 0,
            "comments after retries": counts["comments"],
            "duplicates": counts["duplicates"],
            "ok": not lost_acked and counts["comments"] == count and counts["duplicates"] == 0,
        }
    finally:
        stack.stop()


def redis_stop(services: Services) -> dict:
    stack = Stack(services, "redis-stop")
    cookie = {"Cookie": f"sessionid={stack.setup['session']}"}
    try:
        call(stack.env, "phone", count=3)
        wait_until(lambda: len(call(stack.env, "deliveries")["rows"]) >= 3, 60)
        ticket_path = "/tickets/1/"
        frames: list[dict] = []
        client = WsClient(stack.port, stack.setup["session"], frames)
        client.start()
        time.sleep(1)
        services.redis_stop()
        pages = [
            c.load(stack.port, [c.http_request("GET", p, headers=cookie)], 1).statuses[0] for p in ("/", ticket_path)
        ]
        api = c.load(stack.port, [c.http_request("GET", "/api/tickets/", headers=cookie)], 1).statuses[0]
        webhook = c.load(
            stack.port,
            [
                c.signed_post(
                    "/whatsapp/webhook/",
                    c.inbound_text(wamid="wamid.redis-down.1", wa_id="5511700000001", text="While Redis is down"),
                )
            ],
            1,
        ).statuses[0]
        during = call(stack.env, "window-closed-reply")
        time.sleep(2)
        services.redis_start()
        time.sleep(1)
        client.reconnect.set()  # the browser's client reconnects when its socket drops; do it here in any case
        got_stored = wait_until(lambda: any(f.get("comment_id") == during["comment_id"] for f in frames), 30)
        live = call(stack.env, "sent-reply")
        failure = c.signed_post("/whatsapp/webhook/", c.status_failed(wamid=live["wamid"], recipient=live["wa_id"]))
        status = c.load(stack.port, [failure], 1).statuses[0]
        got_live = wait_until(lambda: any(f.get("comment_id") == live["comment_id"] for f in frames), 30)
        comment_arrived = wait_until(lambda: call(stack.env, "count", prefix="wamid.redis-down")["comments"] == 1, 150)
        client.stop()
        return {
            "scenario": "Redis stopped with an agent connected, then started",
            "agent pages during outage (/, ticket)": pages,
            "API list during outage": api if api == 200 else f"{api} (DRF throttle counts live in the Redis cache)",
            "webhook during outage": webhook,
            "failure during outage stored": during["notification"],
            "stored notification delivered after reconnect": got_stored,
            "new failure after restart: webhook / live frame": f"{status} / {got_live}",
            "message posted during outage became a comment": comment_arrived,
            "ok": all(p == 200 for p in pages)
            and webhook == 200
            and during["notification"]
            and got_stored
            and got_live
            and comment_arrived,
        }
    finally:
        stack.stop()


class WsClient(threading.Thread):
    """An agent's WebSocket that reconnects (as static/js/realtime.js does) and keeps every frame it receives."""

    def __init__(self, port: int, session: str, frames: list):
        super().__init__(daemon=True)
        self.port, self.session, self.frames = port, session, frames
        self.reconnect = threading.Event()
        self.stopped = threading.Event()

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        import websockets

        url = f"ws://127.0.0.1:{self.port}/ws/agent/"
        headers = {"Cookie": f"sessionid={self.session}", "Origin": f"http://127.0.0.1:{self.port}"}
        while not self.stopped.is_set():
            try:
                async with websockets.connect(url, additional_headers=headers, open_timeout=5) as ws:
                    while not self.stopped.is_set() and not self.reconnect.is_set():
                        with contextlib.suppress(TimeoutError):
                            self.frames.append(json.loads(await asyncio.wait_for(ws.recv(), 0.5)))
                    self.reconnect.clear()
            except Exception:  # noqa: S110 - dropped or refused: retry as the browser does
                pass
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        self.stopped.set()
        self.join(5)


SCENARIOS = ("worker-kill", "graph", "postgres-restart", "redis-stop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--count", type=int, default=600, help="messages per burst")
    parser.add_argument("--main-services", action="store_true", help="drill the machine's own PostgreSQL and Redis")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--here", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        print(json.dumps(here(args.here[0], json.loads(args.here[1])), default=str))
        return
    for tool in ("pg_ctlcluster", "redis-server", "redis-cli", "pg_isready"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed")
    c.reap_leftovers()
    services = Services(args.main_services)
    report = c.Report("Fault drills", "python bench/faults.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""))
    results = []
    try:
        services.up()
        for name in args.only.split(","):
            print(f"- {name}", flush=True)
            t0 = time.monotonic()
            if name == "worker-kill":
                r = worker_kill(services, args.count)
            elif name == "graph":
                r = graph_faults(services, 8)
            elif name == "postgres-restart":
                r = postgres_restart(services, args.count * 2)
            elif name == "redis-stop":
                r = redis_stop(services)
            else:
                raise SystemExit(f"unknown scenario {name}")
            r["took (s)"] = round(time.monotonic() - t0)
            print(f"  {r}", flush=True)
            results.append(r)
    finally:
        c.stop_all()
        notes = services.restore()
        for note in notes:
            print(f"  {note}")
    for r in results:
        ok = r.pop("ok")
        report.add(f"\n**{r.pop('scenario')}**: {'nothing lost, nothing twice' if ok else 'FAILED'}\n")
        report.add(c.table(["check", "result"], [[k, v] for k, v in r.items()]))
    report.add("\nServices after the drill: " + "; ".join(notes) + ".")
    if not args.no_report:
        report.write()
    if not all("FAILED" not in p for p in report.parts):
        sys.exit(1)


if __name__ == "__main__":
    os.chdir(c.REPO)
    main()
