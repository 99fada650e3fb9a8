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
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, fault_drills, fault_services, fault_stack, processes, reporting

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
        print(json.dumps(fault_stack.here(args.here[0], json.loads(args.here[1])), default=str))
        return
    for tool in ("pg_ctlcluster", "redis-server", "redis-cli", "pg_isready"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed")
    processes.reap_leftovers()
    services = fault_services.Services(args.main_services)
    report = reporting.Report(
        "Fault drills", "python bench/faults.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    results = []
    try:
        services.up()
        for name in args.only.split(","):
            print(f"- {name}", flush=True)
            t0 = time.monotonic()
            if name == "worker-kill":
                r = fault_drills.worker_kill(services, args.count)
            elif name == "graph":
                r = fault_drills.graph_faults(services, 8)
            elif name == "postgres-restart":
                r = fault_drills.postgres_restart(services, args.count * 2)
            elif name == "redis-stop":
                r = fault_drills.redis_stop(services)
            else:
                raise SystemExit(f"unknown scenario {name}")
            r["took (s)"] = round(time.monotonic() - t0)
            print(f"  {r}", flush=True)
            results.append(r)
    finally:
        processes.stop_all()
        notes = services.restore()
        for note in notes:
            print(f"  {note}")
    for r in results:
        ok = r.pop("ok")
        report.add(f"\n**{r.pop('scenario')}**: {'nothing lost, nothing twice' if ok else 'FAILED'}\n")
        report.add(reporting.table(["check", "result"], [[k, v] for k, v in r.items()]))
    report.add("\nServices after the drill: " + "; ".join(notes) + ".")
    if not args.no_report:
        report.write()
    if not all("FAILED" not in p for p in report.parts):
        sys.exit(1)


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
