"""Banner latency: from a `failed` status webhook POST to the `delivery.failed` frame at a connected WebSocket client.

    .venv/bin/python bench/banners.py              # 200 failures per mode; appends to docs/BENCHMARKS.md
    .venv/bin/python bench/banners.py --quick      # 30 failures, nothing appended

Two modes, each on its own fresh database with 200 sent WhatsApp replies written by the agent `bench`:
- redis: daphne (config.asgi) + qcluster on the Redis broker, channels_redis layer, PostgreSQL;
- embedded: no REDIS_URL (in-memory channel layer), SQLite, and Q_SYNC=true: with an in-memory layer only the web
  process can reach its WebSocket clients, so the webhook is processed inline in the request (on commit) instead of
  by a separate worker. That is what the embedded default can do; it says nothing of a separate worker's pickup.
The client (the `websockets` package, in this process) is logged in as the author, so the frame reaches it through
its agent group. Failures are sent one at a time (paced), so each latency is the path's own, not a queue's. Beside
it: the bare channel-layer round trip (group_send -> receive) of the same layer in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, payloads, processes, reporting

SQLITE_PATH = environment.REPO / "var" / "bench-embedded.sqlite3"


def setup_here(count: int) -> dict:
    """In a subprocess with the mode's environment: an agent, a session, `count` sent replies on WhatsApp tickets."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
    from tickets.models import AuthorRole, Comment, Contact, DeliveryStatus, Ticket, Via

    user = get_user_model().objects.create_user("bench", password="bench-password", first_name="Bench")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    account, _ = WhatsAppAccount.objects.get_or_create(
        phone_number_id=environment.PHONE_NUMBER_ID,
        defaults={"name": "Bench line", "waba_id": environment.WABA_ID, "access_token": "bench-token"},
    )
    now = timezone.now()
    wamids = []
    for i in range(count):
        contact = Contact.objects.create(name=f"Customer {i}", wa_id=f"55118{i:08d}")
        ticket = Ticket.objects.create(
            subject=f"Banner {i}", via=Via.WHATSAPP, requester=contact, assignee=user, last_customer_message_at=now
        )
        WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
        wamid = f"wamid.banner.{i}"
        comment = Comment.objects.create(
            ticket=ticket,
            author_role=AuthorRole.AGENT,
            author_user=user,
            body=f"Reply {i}",
            public=True,
            via=Via.WHATSAPP,
            channel_message_id=wamid,
            delivery_status=DeliveryStatus.SENT,
            delivery_updated_at=now,
        )
        wamids.append([wamid, contact.wa_id, comment.pk])
    return {"session": session.session_key, "wamids": wamids}


async def _measure(port: int, session: str, wamids: list, layer_env: dict) -> dict:
    import websockets

    latencies, acks, missing = [], [], 0
    url = f"ws://127.0.0.1:{port}/ws/agent/"
    headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"}
    async with websockets.connect(url, additional_headers=headers, max_size=2**20) as ws:
        await asyncio.sleep(0.5)  # the consumer has joined its group
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for wamid, wa_id, comment_id in wamids:
            request = payloads.signed_post("/whatsapp/webhook/", payloads.status_failed(wamid=wamid, recipient=wa_id))
            t0 = time.perf_counter()
            writer.write(request)
            status, close = await loadgen._read_response(reader)
            ack = time.perf_counter() - t0
            if status != 200:
                raise RuntimeError(f"webhook answered {status}")
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            deadline = t0 + 10
            got = False
            while time.perf_counter() < deadline:
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.perf_counter()))
                except TimeoutError:
                    break
                if frame.get("type") == "delivery.failed" and frame.get("comment_id") == comment_id:
                    got = True
                    break
            if got:
                latencies.append(time.perf_counter() - t0)
                acks.append(ack)
            else:
                missing += 1
            await asyncio.sleep(0.02)
        writer.close()
    return {"latencies": latencies, "acks": acks, "missing": missing}


def layer_round_trip_here(count: int) -> dict:
    """group_send -> receive on the configured layer: for Redis between two layer instances (two connections)."""
    import django

    django.setup()
    from channels.layers import channel_layers, get_channel_layer

    async def run() -> list[float]:
        sender = get_channel_layer()
        receiver = channel_layers.make_backend("default") if os.environ.get("REDIS_URL") else sender
        channel = await receiver.new_channel()
        await receiver.group_add("bench.rtt", channel)
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            await sender.group_send("bench.rtt", {"type": "bench.ping"})
            await receiver.receive(channel)
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(0.005)
        await receiver.group_discard("bench.rtt", channel)
        return times

    times = asyncio.run(run())
    return {"p50": loadgen.percentile(times, 50), "p95": loadgen.percentile(times, 95)}


def _sub(mode_env: dict, flag: str, count: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, flag, "--count", str(count)],
        cwd=environment.REPO,
        env=mode_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_mode(mode: str, count: int) -> dict:
    port = processes.free_port()
    if mode == "redis":
        db = "bench_banners"
        environment.db_fresh(db)
        environment.redis_flush()
        env = environment.bench_env(db, **environment.simulator_env(port))
    else:
        SQLITE_PATH.unlink(missing_ok=True)
        env = environment.bench_env("unused", redis=False, Q_SYNC="true", **environment.simulator_env(port))
        env["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
        environment.manage("migrate", "--noinput", env=env)
    setup = _sub(env, "--setup-here", count)
    rtt = _sub(env, "--layer-here", count)
    web = processes.daphne(env, port, name=f"daphne-banners-{mode}")
    worker = processes.qcluster(env, name="qcluster-banners") if mode == "redis" else None
    try:
        time.sleep(3 if worker else 0.5)
        result = asyncio.run(_measure(port, setup["session"], setup["wamids"], env))
    finally:
        if worker:
            worker.stop()
        web.stop()
    lat = result["latencies"]
    return {
        "mode": mode,
        "frames": len(lat),
        "missing": result["missing"],
        "p50": loadgen.percentile(lat, 50) * 1000,
        "p95": loadgen.percentile(lat, 95) * 1000,
        "ack_p50": loadgen.percentile(result["acks"], 50) * 1000,
        "rtt_p50": rtt["p50"] * 1000,
        "rtt_p95": rtt["p95"] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--modes", default="redis,embedded")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--setup-here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--layer-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_here:
        print(json.dumps(setup_here(args.count)))
        return
    if args.layer_here:
        print(json.dumps(layer_round_trip_here(args.count)))
        return
    if args.quick:
        args.count = 30
    processes.reap_leftovers()
    report = reporting.Report(
        "Banner latency", "python bench/banners.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    rows = []
    try:
        for mode in args.modes.split(","):
            r = run_mode(mode, args.count)
            print(f"  {r}", flush=True)
            rows.append(r)
    finally:
        processes.stop_all()
    report.add(f"\n{args.count} `failed` status webhooks, one at a time, each to its own sent reply.\n")
    report.add(
        reporting.table(
            [
                "mode",
                "frames",
                "missing",
                "p50 ms",
                "p95 ms",
                "webhook ack p50 ms",
                "layer round trip p50 ms",
                "layer round trip p95 ms",
                "target p95",
            ],
            [
                [
                    r["mode"],
                    r["frames"],
                    r["missing"],
                    r["p50"],
                    r["p95"],
                    r["ack_p50"],
                    r["rtt_p50"],
                    r["rtt_p95"],
                    reporting.verdict(r["p95"] < (100 if r["mode"] == "redis" else 500) and not r["missing"])
                    + (" (< 100 ms)" if r["mode"] == "redis" else " (< 500 ms)"),
                ]
                for r in rows
            ],
        )
    )
    if not args.quick:
        report.write()


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
