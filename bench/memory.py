"""The worker's memory: resident memory of the qcluster process tree (2 workers), idle and after N messages.

    .venv/bin/python bench/memory.py               # 1,000 inbound messages per variant; appends to docs/BENCHMARKS.md
    .venv/bin/python bench/memory.py --quick       # 200 messages, nothing appended

`manage.py qcluster` (Redis broker, PostgreSQL, production settings as in bench/README.md) is one process that forks
a sentinel, which forks a monitor, a pusher and Q_WORKERS workers: 2 + 2 + N processes, each starting with what the
first one imported. Two variants of the same code, on one fresh database each, in this run:
- full: `Q_WORKER_LEAN=false`, the worker loads every installed app as the web process does (the "before");
- lean: the default, the worker leaves out the daphne app and the admin's autodiscovery (config/settings/base.py).
For each: the tree idle (10 s after it started), its peak while N signed inbound webhooks (sent to a daphne beside
it) are processed into comments (with the replies the shipped triggers send, to the simulator), and the tree after. RSS is what the target counts (pages shared between the forked
processes are counted once per process); PSS shares them out and USS is each process's own, for reference. The web
process's (daphne) RSS in the same run is printed beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, payloads, processes, reporting

TARGET_MIB = 400
SETTLE_SECONDS = 10.0


def setup_db(db: str) -> None:
    environment.db_fresh(db)
    environment.sql(
        db,
        "INSERT INTO channels_whatsapp_whatsappaccount (name, phone_number_id, waba_id, display_phone_number,"
        " access_token, redact_credit_cards, templates_enabled, active, created_at, updated_at)"
        " VALUES ('Bench line', %s, %s, '15550001111', 'bench-token', true, false, true, now(), now())",
        [environment.PHONE_NUMBER_ID, environment.WABA_ID],
    )


def tree(pid: int) -> list:
    import psutil

    leader = psutil.Process(pid)
    return [leader, *leader.children(recursive=True)]


def snapshot(pid: int) -> dict:
    """RSS, PSS and USS (MiB) summed over the tree, and each process's RSS in the order they were started."""
    import psutil

    rss = pss = uss = 0
    each = []
    for proc in sorted(tree(pid), key=lambda p: (p.create_time(), p.pid)):
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            rss += info.rss
            pss += info.pss
            uss += info.uss
            each.append(info.rss / 2**20)
    return {"rss": rss / 2**20, "pss": pss / 2**20, "uss": uss / 2**20, "procs": len(each), "each": each}


def wait_processed(db: str, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        done = environment.sql(db, "SELECT count(*) FROM channels_whatsapp_webhookdelivery WHERE state <> 'pending'")
        if done[0][0] >= count:
            return time.monotonic() - t0
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not process {count} webhooks within {timeout} s")


def run_variant(name: str, lean: bool, count: int, db: str) -> dict:
    setup_db(db)
    environment.redis_flush()
    port = processes.free_port()
    lean_env = {"Q_WORKERS": "2", "Q_WORKER_LEAN": "true" if lean else "false"}
    env = environment.bench_env(db, **lean_env, **environment.simulator_env(port))  # replies go to the simulator
    web = processes.daphne(env, port, name=f"daphne-memory-{name}")
    worker = processes.qcluster(env, name=f"qcluster-memory-{name}")
    try:
        deadline = time.monotonic() + 60
        while len(tree(worker.pid)) < 6 and time.monotonic() < deadline:  # main, sentinel, monitor, pusher, 2 workers
            time.sleep(0.2)
        time.sleep(SETTLE_SECONDS)
        idle = snapshot(worker.pid)
        requests = payloads.inbound_requests("/whatsapp/webhook/", count, run=f"memory.{name}.{time.time():.0f}")
        with processes.RssSampler({"worker": worker}) as sampler:
            result = loadgen.load(port, requests, concurrency=4)
            if result.ok != count:
                raise RuntimeError(f"{count - result.ok} webhooks were not acknowledged")
            seconds = wait_processed(db, count, timeout=600)
        time.sleep(2)
        after = snapshot(worker.pid)
        web_rss = sum(p.memory_info().rss for p in tree(web.pid)) / 2**20
    finally:
        worker.stop()
        web.stop()
    return {
        "variant": name,
        "idle": idle,
        "after": after,
        "peak": sampler.peak["worker"] / 2**20,
        "seconds": seconds,
        "web_rss": web_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", default="bench_memory", help="PostgreSQL database (made afresh for each variant)")
    args = parser.parse_args()
    if args.quick:
        args.count = 200
    processes.reap_leftovers()
    report = reporting.Report(
        "Worker memory", "python bench/memory.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    rows = []
    try:
        for name, lean in (("full (before)", False), ("lean", True)):
            r = run_variant(name, lean, args.count, args.db)
            print(f"  {r}", flush=True)
            rows.append(r)
    finally:
        processes.stop_all()
    before = rows[0]
    report.add(
        f"\n`manage.py qcluster` with 2 workers (Redis broker): idle ({SETTLE_SECONDS:.0f} s after start), peak while "
        f"{args.count:,} signed inbound webhooks are processed into comments, and after. MiB, summed over the process "
        "tree; `x full` is the ratio to the full variant in this run.\n"
    )
    report.add(
        reporting.table(
            [
                "variant",
                "processes",
                "idle RSS",
                "idle PSS",
                "idle USS",
                "peak RSS",
                "after RSS",
                "after PSS",
                "after USS",
                "x full (after RSS)",
                "each process after (RSS)",
                "processing s",
                "web (daphne) RSS",
                f"target (<= {TARGET_MIB} MiB RSS)",
            ],
            [
                [
                    r["variant"],
                    r["after"]["procs"],
                    r["idle"]["rss"],
                    r["idle"]["pss"],
                    r["idle"]["uss"],
                    r["peak"],
                    r["after"]["rss"],
                    r["after"]["pss"],
                    r["after"]["uss"],
                    r["after"]["rss"] / before["after"]["rss"],
                    " / ".join(f"{x:.0f}" for x in r["after"]["each"]),
                    r["seconds"],
                    r["web_rss"],
                    reporting.verdict(r["peak"] <= TARGET_MIB, f"peak {r['peak']:.0f} MiB"),
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
