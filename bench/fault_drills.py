"""The fault drills themselves, one function each: worker kill, Graph API errors, PostgreSQL restart, Redis stop.
Each returns its checks as a dict with `scenario` and `ok` (bench/faults.py runs and reports them)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time

from bench import loadgen, payloads
from bench.fault_services import Services
from bench.fault_stack import Stack, burst, call, wait_comments

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
            payloads.signed_post(
                "/whatsapp/webhook/",
                payloads.inbound_text(wamid=f"{prefix}.{i}", wa_id=f"55119{i % 100:08d}", text=f"Burst message {i}"),
            )
            for i in refused
        ]
        retried = loadgen.load(stack.port, retry, 4) if retry else None
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
            loadgen.load(stack.port, [loadgen.http_request("GET", p, headers=cookie)], 1).statuses[0]
            for p in ("/", ticket_path)
        ]
        api = loadgen.load(stack.port, [loadgen.http_request("GET", "/api/tickets/", headers=cookie)], 1).statuses[0]
        webhook = loadgen.load(
            stack.port,
            [
                payloads.signed_post(
                    "/whatsapp/webhook/",
                    payloads.inbound_text(
                        wamid="wamid.redis-down.1", wa_id="5511700000001", text="While Redis is down"
                    ),
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
        failure = payloads.signed_post(
            "/whatsapp/webhook/", payloads.status_failed(wamid=live["wamid"], recipient=live["wa_id"])
        )
        status = loadgen.load(stack.port, [failure], 1).statuses[0]
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
