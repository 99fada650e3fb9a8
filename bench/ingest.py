"""Webhook ingest: acknowledgement throughput and latency, end-to-end rate, memory. One command:

    .venv/bin/python bench/ingest.py            # full run (about 6 minutes), appends to docs/BENCHMARKS.md
    .venv/bin/python bench/ingest.py --quick    # 300 requests per step, nothing appended

Against PostgreSQL + Redis on this machine, on a fresh database `bench_ingest`. For each server (daphne running
config.asgi, gunicorn with 2 sync workers running config.wsgi, and nginx in front of gunicorn when nginx is
installed) and each concurrency (1, 8, 32) it POSTs the same fixed count of requests to:
- `/bench/trivial/`: a view that answers "ok" (the server's ceiling),
- `/bench/hmac-insert/`: the bare baseline, checks the HMAC and inserts the raw body as one row,
- `/bench/webhook-full-stack/`: the product's webhook view through every middleware (before the lean route),
- `/whatsapp/webhook/`: the product's webhook as deployed (lean route: no middleware),
with signed inbound text messages, every one with its own wamid. The workers are not running during these steps
(tasks wait in Redis and are dropped after). Then the end-to-end step starts qcluster (Redis broker) beside the
web server and POSTs messages until every one is a comment.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, ingest_report, loadgen, payloads, processes, reporting, worker_backlog

DB = "bench_ingest"
ENDPOINTS = {
    "trivial": "/bench/trivial/",
    "hmac+insert": "/bench/hmac-insert/",
    "webhook, full stack": "/bench/webhook-full-stack/",
    "webhook": "/whatsapp/webhook/",
}

NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 4m;
    upstream http_backend {{ server 127.0.0.1:{http_port}; keepalive 32; }}
    upstream ws_backend {{ server 127.0.0.1:{ws_port}; }}
    server {{
        listen 127.0.0.1:{port};
        location /ws/ {{
            proxy_pass http://ws_backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://http_backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def setup_db() -> None:
    environment.db_fresh(DB)
    environment.sql(DB, _create_table())
    environment.sql(
        DB,
        "INSERT INTO channels_whatsapp_whatsappaccount (name, phone_number_id, waba_id, display_phone_number,"
        " access_token, redact_credit_cards, templates_enabled, active, created_at, updated_at)"
        " VALUES ('Bench line', %s, %s, '15550001111', 'bench-token', true, false, true, now(), now())",
        [environment.PHONE_NUMBER_ID, environment.WABA_ID],
    )


def _create_table() -> str:
    from bench.views import CREATE_TABLE

    return CREATE_TABLE


def drop_pending() -> None:
    """The acknowledgement steps leave tasks in Redis and pending rows: drop both before measuring end to end."""
    environment.redis_flush()
    environment.sql(DB, "UPDATE channels_whatsapp_webhookdelivery SET state = 'processed' WHERE state = 'pending'")


def measure(report_rows: list, server: str, port: int, args, run_id: str, procs: list, endpoints=ENDPOINTS) -> None:
    """Each endpoint in turn, in `args.rounds` interleaved rounds (drift from other load hits every endpoint alike)."""
    for conc in args.concurrency:
        parts: dict[str, list] = {label: [] for label in endpoints}
        cpu = dict.fromkeys(endpoints, 0.0)
        per_round = max(1, args.count // args.rounds)
        for label, path in endpoints.items():  # warm up: connections, pools, imports
            loadgen.load(port, _requests(label, path, 50, f"{run_id}.{server}.{conc}.warm.{label}"), conc)
        for round_ in range(args.rounds):
            for label, path in endpoints.items():
                requests = _requests(label, path, per_round, f"{run_id}.{server}.{conc}.{round_}.{label}")
                cpu0 = processes.cpu_seconds(procs)
                parts[label].append(loadgen.load(port, requests, conc))
                cpu[label] += processes.cpu_seconds(procs) - cpu0
        results = {label: loadgen.LoadResult.merge(p) for label, p in parts.items()}
        trivial, bare = results.get("trivial"), results.get("hmac+insert")
        for label, result in results.items():
            report_rows.append(
                [
                    server,
                    conc,
                    label,
                    result.ok,
                    result.rate,
                    result.pct(50) * 1000,
                    result.pct(99) * 1000,
                    result.over_1s,
                    result.rate / trivial.rate if trivial and trivial.rate else float("nan"),
                    result.rate / bare.rate if bare and bare.rate else float("nan"),
                    1000 * cpu[label] / max(1, len(result.statuses)),
                    1e6 * result.client_cpu / max(1, len(result.statuses)),
                ]
            )
            errors = len(result.statuses) - result.ok
            print(
                f"  {server:>16} c={conc:<3} {label:<20} {result.rate:8.0f}/s p50 {result.pct(50) * 1000:7.1f} ms"
                f" p99 {result.pct(99) * 1000:7.1f} ms  server CPU {report_rows[-1][10]:.2f} ms/req"
                f"{f'  {errors} not 200' if errors else ''}",
                flush=True,
            )


def _requests(label: str, path: str, count: int, run: str) -> list[bytes]:
    if label == "trivial":
        return [loadgen.http_request("GET", path)] * count
    return payloads.inbound_requests(path, count, run=run)


def end_to_end(
    web: str, port: int, env: dict, args, run_id: str, rss: dict, rate: float = 0.0, worker_cpus: str | None = None
) -> dict:
    """POST messages (closed loop at e2e-concurrency, or open loop at `rate` per second) with the worker running,
    until every one is a comment: the sustained rate, and each message's latency from POST to comment."""
    drop_pending()
    worker = processes.qcluster({**env, "Q_WORKERS": str(args.workers)}, name=f"qcluster-e2e-{web}", cpus=worker_cpus)
    time.sleep(3)  # the cluster forks its workers
    run = f"{run_id}.e2e.{web}.{int(rate)}"
    prefix = f"wamid.bench.{run}"
    requests = payloads.inbound_requests("/whatsapp/webhook/", args.e2e_count, run=run, contacts=args.contacts)
    procs = {"web": rss["web"], "worker": worker}
    with processes.RssSampler(procs) as sampler:
        cpu_web, cpu_worker = processes.cpu_seconds([procs["web"]]), processes.cpu_seconds([worker])
        result = loadgen.load(port, requests, 32 if rate else args.e2e_concurrency, rate=rate)
        deadline = time.monotonic() + max(180, args.e2e_count / 10)
        done = 0
        while time.monotonic() < deadline:
            done, last, _first = environment.sql(
                DB,
                "SELECT count(*), extract(epoch from max(created_at)), extract(epoch from min(created_at))"
                " FROM tickets_comment WHERE channel_message_id LIKE %s",
                [prefix + ".%"],
            )[0]
            if done >= result.ok:
                break
            time.sleep(0.5)
        cpu_web = processes.cpu_seconds([procs["web"]]) - cpu_web
        cpu_worker = processes.cpu_seconds([worker]) - cpu_worker
    worker.stop()
    duplicates = environment.sql(
        DB,
        "SELECT count(*) FROM (SELECT channel_message_id FROM tickets_comment WHERE channel_message_id LIKE %s"
        " GROUP BY 1 HAVING count(*) > 1) d",
        [prefix + ".%"],
    )[0][0]
    t0 = min(result.started)
    span = (float(last) - t0) if last else float("nan")
    lags = [
        float(created) - result.started[int(wamid.rsplit(".", 1)[1])]
        for wamid, created in environment.sql(
            DB,
            "SELECT channel_message_id, extract(epoch from created_at) FROM tickets_comment"
            " WHERE channel_message_id LIKE %s",
            [prefix + ".%"],
        )
    ]
    return {
        "web": web,
        "offered": f"{rate:.0f}/s" if rate else f"max (c={args.e2e_concurrency})",
        "lag_p50": loadgen.percentile(lags, 50),
        "lag_p95": loadgen.percentile(lags, 95),
        "cpu_web": 1000 * cpu_web / max(1, len(requests)),
        "cpu_worker": 1000 * cpu_worker / max(1, len(requests)),
        "sent": len(requests),
        "acked": result.ok,
        "comments": done,
        "duplicates": duplicates,
        "ack_rate": result.rate,
        "ack_p50": result.pct(50) * 1000,
        "ack_p99": result.pct(99) * 1000,
        "e2e_rate": done / span if span == span and span > 0 else float("nan"),
        "drain_s": (float(last) - (t0 + result.wall)) if last else float("nan"),
        "rss_web": sampler.peak["web"],
        "rss_worker": sampler.peak["worker"],
    }


def main() -> None:
    global DB
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000, help="requests per endpoint and concurrency")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--servers", default="daphne,gunicorn,nginx", help="daphne,gunicorn,nginx,uvicorn")
    parser.add_argument("--e2e-count", type=int, default=3000)
    parser.add_argument("--e2e-concurrency", type=int, default=8)
    parser.add_argument("--e2e-servers", default="gunicorn,daphne,gunicorn-split")
    parser.add_argument(
        "--e2e-rates",
        type=lambda v: [float(x) for x in v.split(",") if x],
        default=[80.0],
        help="open-loop offered rates (msgs/s) of the end-to-end step, after the closed-loop one",
    )
    parser.add_argument("--workers", type=int, default=2, help="qcluster worker processes")
    parser.add_argument(
        "--contacts",
        type=int,
        default=300,
        help="customers writing in the end-to-end step (each first message opens a ticket)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per concurrency")
    parser.add_argument("--db", default=DB, help="the database to create afresh for this run")
    parser.add_argument("--backlog", type=int, default=10000, help="follow-ups the worker drains (0: skip the step)")
    parser.add_argument("--backlog-contacts", type=int, default=200, help="customers writing the backlog")
    parser.add_argument("--in-process", type=int, default=300, help="follow-ups processed in-process for their cost")
    parser.add_argument("--quick", action="store_true", help="300 requests per step; no report appended")
    args = parser.parse_args()
    if args.quick:
        args.count, args.e2e_count, args.rounds, args.contacts = 300, 600, 2, 60
        args.backlog, args.backlog_contacts, args.in_process = min(args.backlog, 1000), 50, 100
    DB = args.db
    servers = args.servers.split(",")
    if "nginx" in servers and not shutil.which("nginx"):
        print("nginx is not installed (apt-get install nginx-light): measuring gunicorn directly only.")
        servers.remove("nginx")

    processes.reap_leftovers()
    report = reporting.Report(
        "Webhook ingest",
        "python bench/ingest.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""),
    )
    run_id = str(int(time.time()))
    print(f"Fresh database {DB}, Redis db", environment.REDIS_URL.rsplit("/", 1)[-1], flush=True)
    setup_db()
    environment.redis_flush()
    env = environment.bench_env(DB)
    rows: list = []
    rss: dict[str, int] = {}
    e2e: list[dict] = []
    worker: dict | None = None
    cost: dict | None = None
    try:
        if "daphne" in servers:
            port = processes.free_port()
            web = processes.daphne(env, port)
            with processes.RssSampler({"web": web}) as sampler:
                measure(rows, "daphne", port, args, run_id, [web])
            rss["daphne (ack steps)"] = sampler.peak["web"]
            web.stop()
        if "uvicorn" in servers:
            port = processes.free_port()
            web = processes.uvicorn(env, port)
            measure(rows, "uvicorn x2", port, args, run_id, [web])
            web.stop()
        if "gunicorn" in servers or "nginx" in servers:
            port = processes.free_port()
            web = processes.gunicorn(env, port)
            with processes.RssSampler({"web": web}) as sampler:
                if "gunicorn" in servers:
                    measure(rows, "gunicorn x2", port, args, run_id, [web])
                if "nginx" in servers:
                    ws_port = processes.free_port()
                    ws = processes.daphne(env, ws_port, name="daphne-ws")
                    proxy_port = processes.free_port()
                    tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
                    (tmp / "nginx.conf").write_text(
                        NGINX_CONF.format(dir=tmp, port=proxy_port, http_port=port, ws_port=ws_port)
                    )
                    proxy = processes.start(
                        "nginx", ["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"], env
                    )
                    processes.wait_port(proxy_port, proc=proxy)
                    lean = {k: v for k, v in ENDPOINTS.items() if k != "webhook, full stack"}
                    measure(rows, "nginx+gunicorn x2", proxy_port, args, run_id, [web, proxy], endpoints=lean)
                    proxy.stop()
                    ws.stop()
                    shutil.rmtree(tmp, ignore_errors=True)
            rss["gunicorn x2 (ack steps)"] = sampler.peak["web"]
            web.stop()
        for web_name in [s for s in args.e2e_servers.split(",") if s]:
            port = processes.free_port()
            # Replies (the default auto-reply trigger answers each new ticket) go to the simulator's Graph API on
            # the same web server, whose status webhooks come back to it, as with `make run`.
            env = {**env, **environment.simulator_env(port)}
            # "gunicorn-split": the web on core 0 and the worker on core 1 (PostgreSQL, Redis, the client unpinned).
            split = web_name == "gunicorn-split"
            web = (
                processes.daphne(env, port, name="daphne-e2e")
                if web_name == "daphne"
                else processes.gunicorn(env, port, name=web_name, cpus="0" if split else None)
            )
            if web_name == "gunicorn" and args.backlog and worker is None:
                worker = worker_backlog.backlog_drain(
                    db=DB,
                    port=port,
                    env=env,
                    run_id=run_id,
                    count=args.backlog,
                    contacts=args.backlog_contacts,
                    workers=args.workers,
                )
                print(f"  worker backlog: {worker}", flush=True)
                if args.in_process:
                    cost = worker_backlog.in_process(db=DB, env=env, count=args.in_process)
                    print(f"  worker in-process: {cost}", flush=True)
            for rate in (0.0,) if split else (0.0, *args.e2e_rates):
                result = end_to_end(
                    web_name, port, env, args, run_id, {"web": web}, rate=rate, worker_cpus="1" if split else None
                )
                e2e.append(result)
                print(f"  e2e {web_name}: {result}", flush=True)
            web.stop()
    finally:
        processes.stop_all()
        drop_pending()

    headers = [
        "server",
        "c",
        "endpoint",
        "200s",
        "msgs/s",
        "p50 ms",
        "p99 ms",
        "% > 1 s",
        "x trivial",
        "x hmac+insert",
        "server CPU ms/req",
        "client CPU us/req",
    ]
    if rows:
        report.add(f"\n{args.count} requests per row, keep-alive connections, workers stopped.\n")
        report.add(reporting.table(headers, rows))
    if e2e:
        report.add(
            f"\nEnd to end: {args.e2e_count} messages from {args.contacts} customers (each one's first message opens a"
            " ticket, and the shipped auto-reply trigger answers it through the simulator's Graph API, whose sent,"
            f" delivered and read status webhooks come back) closed loop at concurrency {args.e2e_concurrency} (as fast as the web answers), then open"
            f" loop at {', '.join(f'{r:.0f}' for r in args.e2e_rates)} msgs/s offered; qcluster with "
            f"{args.workers} workers on the Redis broker, web + worker + PostgreSQL + Redis + client on {os.cpu_count()} cores"
            " (`gunicorn-split`: the web pinned to core 0 and the worker to core 1 with taskset, the rest unpinned).\n"
        )
        report.add(
            reporting.table(
                [
                    "web",
                    "offered",
                    "sent",
                    "200s",
                    "comments",
                    "duplicates",
                    "ack msgs/s",
                    "ack p50 ms",
                    "ack p99 ms",
                    "end-to-end msgs/s",
                    "POST to comment p50 s",
                    "POST to comment p95 s",
                    "drain after last ack s",
                    "web CPU ms/msg",
                    "worker CPU ms/msg",
                    "peak RSS web MiB",
                    "peak RSS worker MiB",
                ],
                [
                    [
                        r["web"],
                        r["offered"],
                        r["sent"],
                        r["acked"],
                        r["comments"],
                        r["duplicates"],
                        r["ack_rate"],
                        r["ack_p50"],
                        r["ack_p99"],
                        r["e2e_rate"],
                        r["lag_p50"],
                        r["lag_p95"],
                        r["drain_s"],
                        r["cpu_web"],
                        r["cpu_worker"],
                        r["rss_web"] / 2**20,
                        r["rss_worker"] / 2**20,
                    ]
                    for r in e2e
                ],
            )
        )
    if rss:
        report.add(
            "\nPeak RSS during the acknowledgement steps (process tree): "
            + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in rss.items())
            + "."
        )
    if worker:
        report.add(
            f"\nWorker on follow-up text messages: {worker['contacts']} customers opened their tickets, then"
            f" {worker['backlog']:,} follow-ups were posted to gunicorn (c=8) with the worker stopped and drained by"
            f" qcluster ({args.workers} workers); then {args.in_process} more processed in-process"
            " (`bench/worker_backlog.py`).\n"
        )
        report.add(
            reporting.table(
                ["backlog", "ack msgs/s", "comments", "duplicates", "drain s", "drain msgs/s", "worker CPU ms/msg"]
                + (["in-process CPU ms/msg", "statements/msg"] if cost else []),
                [
                    [
                        worker["backlog"],
                        worker["ack_rate"],
                        worker["comments"],
                        worker["duplicates"],
                        worker["drain_s"],
                        worker["drain_rate"],
                        worker["worker_cpu_ms"],
                    ]
                    + ([cost["cpu_ms"], cost["queries_median"]] if cost else [])
                ],
            )
        )
    report.add("\n" + ingest_report.targets(rows, e2e))
    report.add("\n".join(["", "Round 2 (worker and webhook; ratios to the same run's bare view):"]))
    report.add("\n".join(ingest_report.worker_targets(rows, e2e, worker, cost)))
    load = os.getloadavg()
    report.add(f"\nLoad average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min).")
    if not args.quick:
        if rows:
            ingest_report.plot(rows, environment.REPO / "docs" / "ingest-latency.png")
            report.add("\n![ack latency by concurrency](ingest-latency.png)")
        report.write()


if __name__ == "__main__":
    main()
