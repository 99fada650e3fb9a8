"""The agent's experience while the worker is busy: agent pages and banner latency idle vs during ingest.

    .venv/bin/python bench/under_load.py            # appends to docs/BENCHMARKS.md (about 6 minutes per configuration)
    .venv/bin/python bench/under_load.py --quick    # short windows, nothing appended

The production topology on PostgreSQL + Redis: gunicorn (2 sync workers, config.wsgi) for HTTP, daphne for the
WebSocket, qcluster with 2 workers on the Redis broker. The database (`bench_under_load`, `--db`) is seeded afresh with
`seed_demo --tickets N` (a few thousand tickets) plus the banner benchmark's sent replies (bench/banners.py).

1. Customers open their tickets (one first message each), then the maximum sustained ingest rate of signed follow-up
   webhooks is measured as bench/ingest.py's end-to-end step does: posted closed loop (c=8) with the worker running,
   the rate is follow-ups / (first POST -> last comment).
2. Idle and loaded windows alternate (`--rounds` of each). In a loaded window a separate process offers follow-ups open
   loop at half that maximum; in an idle window nothing is sent and the worker has drained. In both, one probe loop
   (this process) repeats: the agent list page and the ticket page (real HTTP to gunicorn, logged in as the seeded
   agent `agent`), then one delivery failure (a signed `failed` status webhook to gunicorn) timed until its
   `delivery.failed` frame reaches a WebSocket client on daphne logged in as the reply's author.
3. p50 / p95 idle vs loaded and their ratios; the targets are loaded p95 <= 2 x idle p95.

`--configs shared,split`: `split` repeats the run with gunicorn pinned to core 0 and qcluster to core 1 (`taskset`;
daphne, PostgreSQL, Redis and the clients unpinned), to tell CPU contention from contention in the database; `nice`
runs qcluster under `nice -n 10` (the web keeps the CPU when both want it).
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

from bench import banners, environment, loadgen, payloads, processes, reporting, worker_backlog

DB = "bench_under_load"
CONTACTS = 200  # customers sending the follow-ups (each has one open ticket)
PAGES = ("list", "ticket")


# --- In a subprocess with Django set up on the bench database ------------------------------------------------------


def setup_here(count: int) -> dict:
    """The banner benchmark's agent and sent replies, plus a session of the seeded agent and the ticket it opens."""
    result = banners.setup_here(count)
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from tickets.models import Comment
    from tickets.selectors import tickets_visible

    agent = get_user_model().objects.get(username="agent")
    session = SessionStore()
    session["_auth_user_id"] = str(agent.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = agent.get_session_auth_hash()
    session.create()
    visible = tickets_visible(user=agent)
    busiest = (
        Comment.objects.filter(ticket__in=visible.order_by("-id").values("id")[:200])
        .values("ticket_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("ticket_id", flat=True)
        .first()
    )
    result["agent_session"] = session.session_key
    result["ticket_id"] = busiest
    return result


def offer_here(port: int, rate: float, count: int, run: str) -> None:
    """The loaded window's ingest, in its own process (its CPU does not slow the probe loop's clock)."""
    requests = payloads.inbound_requests("/whatsapp/webhook/", count, run=run, contacts=CONTACTS)
    print("go", flush=True)
    result = loadgen.load(port, requests, 32, rate=rate)
    print(json.dumps({"sent": len(requests), "ok": result.ok, "rate": result.rate, "p99": result.pct(99)}), flush=True)


# --- Probes ----------------------------------------------------------------------------------------------------


class Probe:
    """The agent's side: pages over one keep-alive connection to gunicorn, frames on one WebSocket to daphne."""

    def __init__(self, http_port: int, ws_port: int, setup: dict) -> None:
        self.http_port, self.ws_port, self.setup = http_port, ws_port, setup
        cookie = {"Cookie": f"sessionid={setup['agent_session']}"}
        self.pages = {
            "list": loadgen.http_request("GET", "/", headers=cookie),
            "ticket": loadgen.http_request("GET", f"/tickets/{setup['ticket_id']}/", headers=cookie),
        }
        self.failures = iter(setup["wamids"])

    async def window(self, seconds: float) -> dict:
        import websockets

        out: dict[str, list[float]] = {"list": [], "ticket": [], "banner": []}
        missing = errors = 0
        url = f"ws://127.0.0.1:{self.ws_port}/ws/agent/"
        headers = {"Cookie": f"sessionid={self.setup['session']}", "Origin": f"http://127.0.0.1:{self.ws_port}"}
        async with websockets.connect(url, additional_headers=headers, max_size=2**20) as ws:
            await asyncio.sleep(0.3)
            reader, writer = await asyncio.open_connection("127.0.0.1", self.http_port)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                for label in PAGES:
                    t0 = time.perf_counter()
                    writer.write(self.pages[label])
                    status, close = await loadgen._read_response(reader)
                    if status == 200:
                        out[label].append(time.perf_counter() - t0)
                    else:
                        errors += 1
                    if close:
                        writer.close()
                        reader, writer = await asyncio.open_connection("127.0.0.1", self.http_port)
                failure = next(self.failures, None)
                if failure is None:
                    raise RuntimeError("no sent reply left to fail: raise --failures")
                wamid, wa_id, comment_id, _ticket = failure
                request = payloads.signed_post(
                    "/whatsapp/webhook/", payloads.status_failed(wamid=wamid, recipient=wa_id)
                )
                t0 = time.perf_counter()
                writer.write(request)
                status, close = await loadgen._read_response(reader)
                if status != 200:
                    errors += 1
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.http_port)
                if await banners.banner_frame(ws, comment_id, deadline=t0 + 10):
                    out["banner"].append(time.perf_counter() - t0)
                else:
                    missing += 1
                await asyncio.sleep(0.05)
            writer.close()
        return {**out, "missing": missing, "errors": errors}


# --- The run ---------------------------------------------------------------------------------------------------


def _sub(env: dict, *args: str) -> dict:
    return environment.run_json(__file__, list(args), env=env)


def _settle(db: str) -> None:
    worker_backlog._wait_settled(db, 300)


def max_rate(db: str, port: int, count: int, run: str) -> dict:
    """Follow-ups posted closed loop (c=8) with the worker running: follow-ups / (first POST -> last comment)."""
    prefix = f"wamid.bench.{run}"
    requests = payloads.inbound_requests("/whatsapp/webhook/", count, run=run, contacts=CONTACTS)
    result = loadgen.load(port, requests, 8)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done, last, _first = worker_backlog._comments(db, prefix)
        if done >= result.ok:
            break
        time.sleep(0.5)
    span = float(last) - min(result.started)
    return {"sent": count, "acked": result.ok, "comments": done, "ack_rate": result.rate, "e2e_rate": done / span}


def run_config(name: str, args, run_id: str) -> dict:
    db = args.db
    split = name == "split"
    environment.db_fresh(db)
    environment.redis_flush()
    http_port, ws_port = processes.free_port(), processes.free_port()
    env = {**environment.bench_env(db), **environment.simulator_env(http_port)}
    print(f"[{name}] seeding {db}: seed_demo --tickets {args.tickets} ...", flush=True)
    environment.manage("seed_demo", "--tickets", str(args.tickets), env=env)
    setup = _sub(env, "--setup-here", "--count", str(args.failures))
    environment.redis_flush()  # anything the seeding queued
    environment.sql(db, "VACUUM ANALYZE")
    tickets = environment.sql(db, "SELECT count(*) FROM tickets_ticket")[0][0]
    web = processes.gunicorn(env, http_port, name=f"gunicorn-{name}", cpus="0" if split else None)
    ws = processes.daphne(env, ws_port, name=f"daphne-ws-{name}")
    worker_env = {**env, "Q_WORKERS": "2"}
    if name == "nice":  # the worker yields the CPU to the web: the kernel runs it when the web waits
        worker = processes.start(
            f"qcluster-{name}", ["nice", "-n", "10", environment.PYTHON, "manage.py", "qcluster"], worker_env
        )
    else:
        worker = processes.qcluster(worker_env, name=f"qcluster-{name}", cpus="1" if split else None)
    try:
        time.sleep(3)  # the cluster forks its workers
        opened = payloads.inbound_requests(
            "/whatsapp/webhook/", CONTACTS, run=f"{run_id}.{name}.open", contacts=CONTACTS
        )
        loadgen.load(http_port, opened, 8)
        _settle(db)
        peak = max_rate(db, http_port, args.max_count, f"{run_id}.{name}.max")
        _settle(db)
        rate = peak["e2e_rate"] / 2
        print(f"[{name}] max sustained {peak['e2e_rate']:.0f} msgs/s ({peak}); offering {rate:.0f}/s", flush=True)
        probe = Probe(http_port, ws_port, setup)
        idle: dict[str, list] = {"list": [], "ticket": [], "banner": [], "missing": 0, "errors": 0}
        loaded: dict[str, list] = {"list": [], "ticket": [], "banner": [], "missing": 0, "errors": 0}
        offered, loads, backlogs = [], [], []
        for round_ in range(args.rounds):
            _settle(db)
            loads.append(os.getloadavg()[0])
            _merge(idle, asyncio.run(probe.window(args.window)))
            offer = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--offer-here",
                    str(http_port),
                    str(rate),
                    str(int(rate * (args.window + 2))),
                    f"{run_id}.{name}.load.{round_}",
                ],
                cwd=environment.REPO,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert offer.stdout.readline().strip() == "go"
            time.sleep(1)  # the worker has work before the first probe
            with Backlog(db) as backlog:
                result = asyncio.run(probe.window(args.window))
            backlogs.append((max(backlog.samples), backlog.samples[-1]))
            loads.append(os.getloadavg()[0])
            _merge(loaded, result)
            offered.append(json.loads(offer.stdout.readline()))
            offer.wait(60)
            print(
                f"[{name}] round {round_ + 1}: idle {_brief(idle)} | loaded {_brief(loaded)}"
                f" | backlog max / end {backlogs[-1]}",
                flush=True,
            )
        _settle(db)
        lost = _lost(db, f"wamid.bench.{run_id}.{name}.load.")
    finally:
        worker.stop()
        ws.stop()
        web.stop()
    return {
        "config": name,
        "tickets": tickets,
        "peak": peak,
        "rate": rate,
        "offered": offered,
        "idle": idle,
        "loaded": loaded,
        "lost": lost,
        "load_max": max(loads),
        "backlogs": backlogs,
    }


class Backlog:
    """Webhook deliveries stored but not yet processed, sampled every second in a thread: whether the worker keeps
    up with the offered rate (a growing backlog is a queue every status webhook waits behind)."""

    def __init__(self, db: str) -> None:
        self.db, self.samples = db, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(
                environment.sql(
                    self.db, "SELECT count(*) FROM channels_whatsapp_webhookdelivery WHERE state = 'pending'"
                )[0][0]
            )
            self._stop.wait(1.0)

    def __enter__(self) -> Backlog:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def _merge(into: dict, part: dict) -> None:
    for key, value in part.items():
        into[key] += value


def _brief(d: dict) -> str:
    return " ".join(f"{k} p95 {_ms(d[k], 95):.0f} ms" for k in ("list", "ticket", "banner"))


def _lost(db: str, prefix: str) -> dict:
    """Follow-ups the offer process sent vs comments stored (none lost, none duplicated)."""
    total, distinct = environment.sql(
        db,
        "SELECT count(*), count(DISTINCT channel_message_id) FROM tickets_comment WHERE channel_message_id LIKE %s",
        [prefix + "%"],
    )[0]
    return {"comments": total, "distinct": distinct}


def _ms(values: list[float], p: float) -> float:
    return loadgen.percentile(values, p) * 1000


def report_config(report: reporting.Report, r: dict, args) -> list[str]:
    peak, offered = r["peak"], r["offered"]
    sent = sum(o["sent"] for o in offered)
    ok = sum(o["ok"] for o in offered)
    report.add(
        f"\n**{r['config']}**"
        + {
            "split": " (gunicorn pinned to core 0, qcluster to core 1)",
            "nice": " (nothing pinned, qcluster under `nice -n 10`)",
        }.get(r["config"], " (nothing pinned)")
        + f": {r['tickets']:,} tickets; maximum sustained ingest {peak['e2e_rate']:.0f} follow-ups/s"
        f" ({peak['comments']} of {peak['sent']} closed loop at c=8, ack {peak['ack_rate']:.0f}/s); loaded windows"
        f" offered {r['rate']:.0f}/s open loop ({ok} of {sent} acknowledged; {r['lost']['comments']} comments,"
        f" {r['lost']['distinct']} distinct); {args.rounds} idle and {args.rounds} loaded windows of {args.window:.0f} s"
        f" alternating; 1-min load average up to {r['load_max']:.2f}.\n"
    )
    rows, verdicts = [], []
    labels = {"list": "agent list page (/)", "ticket": "ticket page", "banner": "failure -> banner frame"}
    for key, label in labels.items():
        i, lo = r["idle"][key], r["loaded"][key]
        ratio = _ms(lo, 95) / _ms(i, 95) if i and lo else float("nan")
        rows.append(
            [label, len(i), _ms(i, 50), _ms(i, 95), len(lo), _ms(lo, 50), _ms(lo, 95), f"{ratio:.2f} x",
             reporting.verdict(ratio <= 2, f"{ratio:.2f} x") + " (<= 2 x)"]
        )  # fmt: skip
        verdicts.append(
            f"{r['config']}: {label} p95 under load / idle = {ratio:.2f} x: {reporting.verdict(ratio <= 2)}"
        )
    report.add(
        reporting.table(
            [
                "what",
                "idle n",
                "idle p50 ms",
                "idle p95 ms",
                "loaded n",
                "loaded p50 ms",
                "loaded p95 ms",
                "p95 loaded / idle",
                "target",
            ],
            rows,
        )
    )
    report.add(
        "\nWebhook deliveries waiting for the worker in each loaded window (max / at its end): "
        + ", ".join(f"{peak} / {end}" for peak, end in r["backlogs"])
        + " (a growing backlog means the offered rate exceeded what the worker processed in that window)."
    )
    missing = r["idle"]["missing"] + r["loaded"]["missing"]
    errors = r["idle"]["errors"] + r["loaded"]["errors"]
    if missing or errors:
        report.add(f"\nProbe: {missing} banner frames missing, {errors} answers not 200.")
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=DB, help="the database to create afresh for this run")
    parser.add_argument("--tickets", type=int, default=3000, help="tickets seeded with seed_demo")
    parser.add_argument("--failures", type=int, default=1500, help="sent replies available to fail (banner probes)")
    parser.add_argument("--max-count", type=int, default=2000, help="follow-ups posted to find the maximum rate")
    parser.add_argument("--rounds", type=int, default=3, help="idle and loaded windows, alternating")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per window")
    parser.add_argument(
        "--configs", default="shared,split", help="shared (nothing pinned), split (taskset), nice (qcluster niced)"
    )
    parser.add_argument("--quick", action="store_true", help="short windows; no report appended")
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--setup-here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--offer-here", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_here:
        print(json.dumps(setup_here(args.count)))
        return
    if args.offer_here:
        port, rate, count, run = args.offer_here
        offer_here(int(port), float(rate), int(count), run)
        return
    if args.quick:
        args.tickets, args.failures, args.max_count, args.rounds, args.window = 1000, 300, 600, 2, 10.0
    processes.reap_leftovers()
    report = reporting.Report(
        "The agent while the worker ingests",
        "python bench/under_load.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""),
    )
    print(f"Database {args.db}, Redis db", environment.REDIS_URL.rsplit("/", 1)[-1], flush=True)
    run_id = str(int(time.time()))
    results = []
    try:
        for name in [c for c in args.configs.split(",") if c]:
            results.append(run_config(name, args, run_id))
    finally:
        processes.stop_all()
        environment.redis_flush()
    report.add(
        "\nProduction topology: gunicorn (2 sync workers) for HTTP, daphne for the WebSocket, qcluster (2 workers,"
        " Redis broker), PostgreSQL, all on this machine with the clients. Each probe round: the agent list page, the"
        " ticket page (the busiest of the agent's 200 newest), then one `failed` status webhook timed until its"
        " `delivery.failed` frame, one at a time. Targets: p95 during ingest at half the maximum rate <= 2 x idle.\n"
    )
    verdicts = []
    for r in results:
        verdicts += report_config(report, r, args)
    report.add("\n" + "\n".join(f"- {v}" for v in verdicts))
    load = os.getloadavg()
    report.add(f"\nLoad average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min).")
    if not args.quick:
        report.write()


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
