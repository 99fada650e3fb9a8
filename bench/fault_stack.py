"""The drill's stack (daphne + qcluster + the simulator on one database) and its Django-side helpers, which run
in a subprocess with the drill's environment (`bench/faults.py --here ACTION ARGS`)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import environment, loadgen, payloads, processes
from bench.fault_services import DB, Services

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
            phone_number_id=environment.PHONE_NUMBER_ID,
            defaults={"name": "Bench line", "waba_id": environment.WABA_ID, "access_token": "bench-token"},
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
                    f"55117{i:08d}", f"Customer {i}", text=f"Hello {i}", phone_number_id=environment.PHONE_NUMBER_ID
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
        [sys.executable, str(Path(__file__).with_name("faults.py")), "--here", action, json.dumps(args)],
        cwd=environment.REPO,
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
        self.port = processes.free_port()
        environment.PG = services.pg_url
        environment.db_fresh(DB)
        self.env = environment.bench_env(DB, **environment.simulator_env(self.port))
        self.env["DATABASE_URL"] = f"{services.pg_url}/{DB}"
        self.env["REDIS_URL"] = services.redis_url
        self.env["WHATSAPP_RETRY_BASE_SECONDS"] = "0.5"
        import redis

        redis.Redis.from_url(services.redis_url).flushdb()
        self.name = name
        self.web = processes.daphne(self.env, self.port, name=f"daphne-{name}")
        self.worker: processes.Proc | None = None
        self.start_worker()
        self.setup = call(self.env, "setup")

    def start_worker(self) -> None:
        self.worker = processes.qcluster(self.env, name=f"qcluster-{self.name}")
        time.sleep(2)

    def kill_worker(self) -> None:
        if self.worker is not None:
            self.worker.signal(9)
            self.worker.popen.wait(10)
            processes._forget(self.worker.pid)
            self.worker = None

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()
        self.web.stop()


def burst(stack: Stack, count: int, prefix: str, concurrency: int = 8) -> tuple[threading.Thread, dict]:
    requests = [
        payloads.signed_post(
            "/whatsapp/webhook/",
            payloads.inbound_text(wamid=f"{prefix}.{i}", wa_id=f"55119{i % 100:08d}", text=f"Burst message {i}"),
        )
        for i in range(count)
    ]
    box: dict = {}

    def run() -> None:
        box["result"] = loadgen.load(stack.port, requests, concurrency, timeout=20)

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
