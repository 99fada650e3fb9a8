"""Scale-out drill: 2 daphne + 2 qcluster on one PostgreSQL and one Redis (docs/operations.md). One command:

    make scaleout        # or: .venv/bin/python bench/scaleout.py

Starts daphne A and daphne B (config.asgi, HTTP + WebSocket) and two qcluster processes (2 workers each, the same
cluster name, so they share one Redis queue) on a fresh database `bench_scaleout`, then shows:
1. banners fan out: agent Alice's WebSocket on daphne A and admin Ada's on daphne B both subscribe to a ticket; a
   `failed` status webhook for Alice's reply on it, posted to daphne A, reaches both clients (the frame crosses
   processes through the Redis channel layer);
2. no message is processed twice: the same signed inbound webhooks are posted to both daphnes at once (as a retrying
   Meta or two proxies could); each is stored twice, the four workers process both copies, and every wamid is
   exactly one comment;
then stops everything it started. Exit status 0 when both hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, payloads, processes

DB = "bench_scaleout"


def setup_here() -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
    from tickets.models import AuthorRole, Comment, Contact, DeliveryStatus, Ticket, Via

    users = get_user_model().objects
    alice = users.create_user("alice", password="x-bench-password", first_name="Alice")
    ada = users.create_user("ada", password="x-bench-password", first_name="Ada", is_staff=True)

    def session_for(user) -> str:
        session = SessionStore()
        session.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
            }
        )
        session.create()
        return session.session_key

    account = WhatsAppAccount.objects.create(
        name="Bench line",
        phone_number_id=environment.PHONE_NUMBER_ID,
        waba_id=environment.WABA_ID,
        access_token="bench-token",
    )
    contact = Contact.objects.create(name="Customer", wa_id="5511600000001")
    ticket = Ticket.objects.create(
        subject="Scale-out",
        via=Via.WHATSAPP,
        requester=contact,
        assignee=alice,
        last_customer_message_at=timezone.now(),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    comment = Comment.objects.create(
        ticket=ticket,
        author_role=AuthorRole.AGENT,
        author_user=alice,
        body="Reply",
        public=True,
        via=Via.WHATSAPP,
        channel_message_id="wamid.scaleout.reply",
        delivery_status=DeliveryStatus.SENT,
        delivery_updated_at=timezone.now(),
    )
    return {
        "alice": session_for(alice),
        "ada": session_for(ada),
        "ticket": ticket.pk,
        "comment": comment.pk,
        "wa_id": contact.wa_id,
    }


async def _client(port: int, session: str, ticket: int, frames: list, ready: asyncio.Event, stop: asyncio.Event):
    import websockets

    headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"}
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/agent/", additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "ticket.subscribe", "ticket_id": ticket}))
        await asyncio.sleep(0.5)
        ready.set()
        while not stop.is_set():
            try:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
            except TimeoutError:
                continue


async def fan_out(port_a: int, port_b: int, setup: dict) -> dict:
    frames_a: list = []
    frames_b: list = []
    ready_a, ready_b, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(_client(port_a, setup["alice"], setup["ticket"], frames_a, ready_a, stop)),
        asyncio.create_task(_client(port_b, setup["ada"], setup["ticket"], frames_b, ready_b, stop)),
    ]
    await asyncio.wait_for(asyncio.gather(ready_a.wait(), ready_b.wait()), 10)
    request = payloads.signed_post(
        "/whatsapp/webhook/", payloads.status_failed(wamid="wamid.scaleout.reply", recipient=setup["wa_id"])
    )
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port_a)
    writer.write(request)
    status, _ = await loadgen._read_response(reader)
    writer.close()
    deadline = time.monotonic() + 15
    got = {}

    def arrived(frames: list) -> bool:
        return any(f.get("type") == "delivery.failed" and f.get("comment_id") == setup["comment"] for f in frames)

    while time.monotonic() < deadline and not (arrived(frames_a) and arrived(frames_b)):
        await asyncio.sleep(0.01)
        for name, frames in (("A", frames_a), ("B", frames_b)):
            if name not in got and arrived(frames):
                got[name] = (time.perf_counter() - t0) * 1000
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"webhook": status, "on daphne A (Alice, author)": got.get("A"), "on daphne B (Ada, admin)": got.get("B")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200, help="inbound messages posted to both daphnes")
    parser.add_argument("--setup-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_here:
        print(json.dumps(setup_here()))
        return
    processes.reap_leftovers()
    print(f"Fresh database {DB}; Redis {environment.REDIS_URL}")
    environment.db_fresh(DB)
    environment.redis_flush()
    port_a, port_b = processes.free_port(), processes.free_port()
    env = environment.bench_env(DB, Q_WORKERS="2", **environment.simulator_env(port_a))
    ok = False
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--setup-here"],
            cwd=environment.REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        setup = json.loads(out.stdout.strip().splitlines()[-1])
        daphne_a = processes.daphne(env, port_a, name="daphne-A")
        daphne_b = processes.daphne(env, port_b, name="daphne-B")
        workers = [processes.qcluster(env, name="qcluster-1"), processes.qcluster(env, name="qcluster-2")]
        time.sleep(3)
        alive = [p.name for p in (daphne_a, daphne_b, *workers) if p.alive()]
        print(f"Running: {', '.join(alive)} (daphne A :{port_a}, daphne B :{port_b})")

        fan = asyncio.run(fan_out(port_a, port_b, setup))
        fanned = fan["webhook"] == 200 and fan["on daphne A (Alice, author)"] and fan["on daphne B (Ada, admin)"]
        print(f"1. Fan-out: {fan} -> {'OK' if fanned else 'FAILED'}")

        prefix = f"wamid.scaleout.{int(time.time())}"
        requests = payloads.inbound_requests(
            "/whatsapp/webhook/", args.messages, run=prefix.split(".", 2)[2], contacts=40
        )
        results: dict[str, loadgen.LoadResult] = {}
        threads = [
            threading.Thread(target=lambda n=name, p=port: results.__setitem__(n, loadgen.load(p, requests, 4)))
            for name, port in (("A", port_a), ("B", port_b))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        like = f"wamid.bench.{prefix.split('.', 2)[2]}.%"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            pending = environment.sql(
                DB, "SELECT count(*) FROM channels_whatsapp_webhookdelivery WHERE state = 'pending'"
            )[0][0]
            if not pending:
                break
            time.sleep(1)
        comments, distinct = environment.sql(
            DB,
            "SELECT count(*), count(DISTINCT channel_message_id) FROM tickets_comment WHERE channel_message_id LIKE %s",
            [like],
        )[0]
        stored = environment.sql(
            DB,
            "SELECT count(*) FROM channels_whatsapp_webhookdelivery WHERE payload::text LIKE %s",
            ["%" + like.rstrip("%") + "%"],
        )[0][0]
        processed = environment.sql(
            DB,
            "SELECT count(*) FROM channels_whatsapp_webhookdelivery WHERE state = 'processed' AND payload::text LIKE %s",
            ["%" + like.rstrip("%") + "%"],
        )[0][0]
        once = comments == distinct == args.messages and not pending
        print(
            f"2. Same {args.messages} webhooks to both daphnes: 200s A={results['A'].ok} B={results['B'].ok}, "
            f"{stored} deliveries stored, {processed} processed, {comments} comments for {distinct} "
            f"wamids -> {'OK: each message processed into exactly one comment' if once else 'FAILED'}"
        )
        ok = bool(fanned and once)
    finally:
        processes.stop_all()
        print("Stopped every process this script started.")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
