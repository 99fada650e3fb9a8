"""Latency to the agent: a `failed` status webhook -> the `delivery.failed` frame at a connected WebSocket client,
and (Redis) an agent's reply through the API -> the Graph POST that sends it.

    .venv/bin/python bench/banners.py              # 200 of each per mode; appends to docs/BENCHMARKS.md
    .venv/bin/python bench/banners.py --quick      # 30, nothing appended

Three modes, each on its own fresh database with 200 sent WhatsApp replies written by the agent `bench`:
- redis: daphne (config.asgi) + qcluster on the Redis broker, channels_redis layer, PostgreSQL;
- embedded: as `make run` starts it (config/run.py): no REDIS_URL, SQLite, daphne + a qcluster on django-q2's ORM
  broker; the worker hands its frames to daphne's in-memory layer over the loopback relay (tickets/realtime.py);
- embedded-inline: the same with Q_SYNC=true (the webhook processed inline in the request, no worker).
The client (the `websockets` package, in this process) is logged in as the author, so the frame reaches it through
its agent group. Failures are sent one at a time (paced), so each latency is the path's own, not a queue's.

Baselines measured in the same run: the channel layer's round trip (group_send -> receive, between two connections
for Redis, in one process for the in-memory layer), for embedded also the relay's (a signed relay POST from this
process -> the frame at the client, the path a worker's frame takes), and a Redis PING.

Agent reply -> Graph POST (redis mode): `POST /api/tickets/{id}/comments/` (token auth, a public reply on an open
WhatsApp ticket), timed until a Graph stand-in in this process (WHATSAPP_GRAPH_URL) has the POST; the stand-in's own
handling time per request (read the body, answer) is reported beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import threading
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
    from django.urls import reverse
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

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
        wamids.append([wamid, contact.wa_id, comment.pk, ticket.pk])
    return {
        "session": session.session_key,
        "wamids": wamids,
        "user_id": user.pk,
        "token": Token.objects.create(user=user).key,
        "relay_path": reverse("tickets:realtime-relay"),
    }


async def banner_frame(ws, comment_id: int, *, deadline: float) -> bool:
    """Whether the `delivery.failed` frame of `comment_id` reaches the WebSocket `ws` before `deadline`
    (time.perf_counter()); other frames are passed over."""
    while time.perf_counter() < deadline:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.perf_counter()))
        except TimeoutError:
            return False
        if frame.get("type") == "delivery.failed" and frame.get("comment_id") == comment_id:
            return True
    return False


async def _measure(port: int, session: str, wamids: list, layer_env: dict) -> dict:
    import websockets

    latencies, acks, missing = [], [], 0
    url = f"ws://127.0.0.1:{port}/ws/agent/"
    headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"}
    async with websockets.connect(url, additional_headers=headers, max_size=2**20) as ws:
        await asyncio.sleep(0.5)  # the consumer has joined its group
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for wamid, wa_id, comment_id, _ticket_id in wamids:
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
            if await banner_frame(ws, comment_id, deadline=t0 + 10):
                latencies.append(time.perf_counter() - t0)
                acks.append(ack)
            else:
                missing += 1
            await asyncio.sleep(0.02)
        writer.close()
    return {"latencies": latencies, "acks": acks, "missing": missing}


async def _relay_round_trips(port: int, session: str, user_id: int, relay_path: str, count: int) -> list[float]:
    """Embedded baseline: a signed relay POST (what a worker sends) -> the frame at the client, one at a time."""
    import websockets

    secret = environment.bench_env("unused")["SECRET_KEY"].encode()
    url = f"ws://127.0.0.1:{port}/ws/agent/"
    headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"}
    times = []
    async with websockets.connect(url, additional_headers=headers, max_size=2**20) as ws:
        await asyncio.sleep(0.5)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(count):
            body = json.dumps({"groups": [f"agent.{user_id}"], "frame": {"type": "bench.ping", "n": i}}).encode()
            signature = hmac.new(secret, b"realtime-relay:" + body, hashlib.sha256).hexdigest()
            request = loadgen.http_request(
                "POST", relay_path, body, {"Content-Type": "application/json", "X-Relay-Signature": signature}
            )
            t0 = time.perf_counter()
            writer.write(request)
            status, close = await loadgen._read_response(reader)
            if status != 204:
                raise RuntimeError(f"relay answered {status}")
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame.get("type") == "bench.ping" and frame.get("n") == i:
                    break
            times.append(time.perf_counter() - t0)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.sleep(0.01)
        writer.close()
    return times


# --- Agent reply -> Graph POST -------------------------------------------------------------------------------------


class GraphStandIn:
    """The Cloud API's `POST /{phone_number_id}/messages`, in a thread of this process: records when each POST
    arrived (by recipient) and how long its own handling took (from the parsed request line to the answer sent)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.handling: list[float] = []
        self.events: dict[str, threading.Event] = {}
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                t0 = time.perf_counter()
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                to = str(payload.get("to", "")).lstrip("+")
                stand_in.arrived[to] = t0
                body = json.dumps(
                    {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": f"wamid.standin.{to}.{time.time_ns()}"}]}
                ).encode()  # fmt: skip
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                self.wfile.write(head.encode() + body)  # one write: no delayed-ACK stall between head and body
                self.wfile.flush()
                stand_in.handling.append(time.perf_counter() - t0)
                stand_in.events.setdefault(to, threading.Event()).set()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, to: str, timeout: float) -> float | None:
        if self.events.setdefault(to, threading.Event()).wait(timeout):
            return self.arrived[to]
        return None

    def close(self) -> None:
        self.server.shutdown()


async def _replies(port: int, token: str, wamids: list, stand_in: GraphStandIn) -> dict:
    """One public reply per ticket through the API, one at a time; each timed until the stand-in has its POST."""
    latencies, acks, missing = [], [], 0
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i, (_wamid, wa_id, _comment_id, ticket_id) in enumerate(wamids):
        body = json.dumps({"body": f"Second reply {i}", "public": True}).encode()
        request = loadgen.http_request(
            "POST",
            f"/api/tickets/{ticket_id}/comments/",
            body,
            {"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        t0 = time.perf_counter()
        writer.write(request)
        status, close = await loadgen._read_response(reader)
        ack = time.perf_counter() - t0
        if status != 201:
            raise RuntimeError(f"the API answered {status}")
        arrived = await asyncio.to_thread(stand_in.wait, wa_id, 10)
        if arrived is None:
            missing += 1
        else:
            latencies.append(arrived - t0)
            acks.append(ack)
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(0.02)
    writer.close()
    return {"latencies": latencies, "acks": acks, "missing": missing}


def layer_round_trip_here(count: int) -> dict:
    """group_send -> receive on the configured layer: for Redis between two layer instances (two connections);
    with Redis also a PING."""
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
    pings = []
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        client.ping()
        for _ in range(count):
            t0 = time.perf_counter()
            client.ping()
            pings.append(time.perf_counter() - t0)
    return {
        "p50": loadgen.percentile(times, 50),
        "p95": loadgen.percentile(times, 95),
        "ping_p50": loadgen.percentile(pings, 50) if pings else float("nan"),
    }


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


def _ms(values: list[float], p: float) -> float:
    return loadgen.percentile(values, p) * 1000


def run_mode(mode: str, count: int, args_db: str = "bench_banners") -> dict:
    port = processes.free_port()
    stand_in = GraphStandIn() if mode == "redis" else None
    if mode == "redis":
        db = args_db
        environment.db_fresh(db)
        environment.redis_flush()
        env = environment.bench_env(db, **environment.simulator_env(port))
        env["WHATSAPP_GRAPH_URL"] = f"http://127.0.0.1:{stand_in.port}/v23.0"
    else:
        SQLITE_PATH.unlink(missing_ok=True)
        extra = {"Q_SYNC": "true"} if mode == "embedded-inline" else {}
        env = environment.bench_env("unused", redis=False, **extra, **environment.simulator_env(port))
        env["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
        environment.manage("migrate", "--noinput", env=env)
    setup = _sub(env, "--setup-here", count)
    rtt = _sub(env, "--layer-here", count)
    web = processes.daphne(env, port, name=f"daphne-banners-{mode}")
    worker = processes.qcluster(env, name=f"qcluster-banners-{mode}") if mode != "embedded-inline" else None
    relay: list[float] = []
    replies = None
    try:
        time.sleep(3 if worker else 0.5)
        result = asyncio.run(_measure(port, setup["session"], setup["wamids"], env))
        if mode == "embedded":
            relay = asyncio.run(
                _relay_round_trips(port, setup["session"], setup["user_id"], setup["relay_path"], count)
            )
        if stand_in is not None:
            replies = asyncio.run(_replies(port, setup["token"], setup["wamids"], stand_in))
    finally:
        if worker:
            worker.stop()
        web.stop()
        if stand_in is not None:
            stand_in.close()
    lat = result["latencies"]
    row = {
        "mode": mode,
        "frames": len(lat),
        "missing": result["missing"],
        "p50": _ms(lat, 50),
        "p95": _ms(lat, 95),
        "ack_p50": _ms(result["acks"], 50),
        "rtt_p50": rtt["p50"] * 1000,
        "rtt_p95": rtt["p95"] * 1000,
        "ping_p50": rtt["ping_p50"] * 1000,
        "relay_p50": _ms(relay, 50) if relay else float("nan"),
        "relay_p95": _ms(relay, 95) if relay else float("nan"),
    }
    if replies is not None:
        row["reply"] = {
            "posts": len(replies["latencies"]),
            "missing": replies["missing"],
            "p50": _ms(replies["latencies"], 50),
            "p95": _ms(replies["latencies"], 95),
            "api_p50": _ms(replies["acks"], 50),
            "stand_in_p50": _ms(stand_in.handling, 50),
        }
    return row


def banner_verdict(r: dict) -> str:
    """redis: p95 <= 15 x the layer's round trip; embedded (worker): p95 <= 100 x the layer's round trip."""
    if r["mode"] == "embedded-inline":
        return reporting.verdict(r["p95"] < 500 and not r["missing"]) + " (< 500 ms)"
    factor = 15 if r["mode"] == "redis" else 100
    limit = factor * r["rtt_p50"]
    ok = r["p95"] <= limit and not r["missing"]
    return reporting.verdict(ok, f"{r['p95'] / r['rtt_p50']:.0f} x") + f" (<= {factor} x = {limit:.1f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--modes", default="redis,embedded,embedded-inline")
    parser.add_argument("--db", default="bench_banners", help="the PostgreSQL database of the redis mode (made afresh)")
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
        "Latency to the agent", "python bench/banners.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    rows = []
    try:
        for mode in args.modes.split(","):
            r = run_mode(mode, args.count, args.db)
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
                "layer round trip p50 / p95 ms",
                "relay round trip p50 / p95 ms",
                "p95 / layer p50",
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
                    f"{r['rtt_p50']:.3f} / {r['rtt_p95']:.3f}",
                    "-" if r["relay_p50"] != r["relay_p50"] else f"{r['relay_p50']:.2f} / {r['relay_p95']:.2f}",
                    f"{r['p95'] / r['rtt_p50']:.0f} x",
                    banner_verdict(r),
                ]
                for r in rows
            ],
        )
    )
    replies = [r for r in rows if "reply" in r]
    if replies:
        report.add(
            f"\nAgent reply -> Graph POST: {args.count} public replies through `POST /api/tickets/{{id}}/comments/`, "
            "one at a time, each timed until the Graph stand-in has the POST.\n"
        )
        rows_out = []
        for r in replies:
            x = r["reply"]
            limit = 10 * r["rtt_p50"] + x["stand_in_p50"]
            rows_out.append(
                [
                    r["mode"],
                    x["posts"],
                    x["missing"],
                    x["p50"],
                    x["p95"],
                    x["api_p50"],
                    x["stand_in_p50"],
                    r["rtt_p50"],
                    r["ping_p50"],
                    f"{(x['p50'] - x['stand_in_p50']) / r['rtt_p50']:.0f} x",
                    reporting.verdict(x["p50"] <= limit and not x["missing"], f"{x['p50']:.1f} ms")
                    + f" (<= 10 x layer + stand-in = {limit:.1f} ms)",
                ]
            )
        report.add(
            reporting.table(
                [
                    "mode",
                    "POSTs",
                    "missing",
                    "p50 ms",
                    "p95 ms",
                    "API answer p50 ms",
                    "stand-in's own p50 ms",
                    "Redis layer round trip p50 ms",
                    "Redis PING p50 ms",
                    "(p50 - stand-in) / layer p50",
                    "target p50",
                ],
                rows_out,
            )
        )
    if not args.quick:
        report.write()


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
