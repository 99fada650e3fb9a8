"""The worker on follow-up text messages (the ingest benchmark's last step; `ingest.py` runs it).

1. Customers open their tickets (first messages, processed by qcluster, auto-replies and their statuses included),
   then the worker stops.
2. A backlog of follow-up messages from those customers is posted to the web server (acknowledged and stored, the
   worker stopped), then qcluster starts and drains it: the drain rate (first to last comment) and the worker's
   CPU (its whole process tree: sentinel, monitor, pusher, workers) per message.
3. In a fresh interpreter on the same database (`python bench/worker_backlog.py DB COUNT`): the same kind of
   follow-up processed in-process by `intake.webhook_process`: the statements per message (every other one under
   CaptureQueriesContext; BEGIN and COMMIT not counted) and the CPU per message without django-q around it.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, payloads, processes


def _wait_settled(db: str, timeout: float) -> None:
    """Until no delivery is pending and no send is queued for two seconds (auto-replies, their statuses)."""
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        (busy,) = environment.sql(
            db,
            "SELECT (SELECT count(*) FROM channels_whatsapp_webhookdelivery WHERE state = 'pending')"
            " + (SELECT count(*) FROM channels_whatsapp_outboundsend WHERE state = 'queued')",
        )[0]
        if busy == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 2:
                return
        else:
            quiet_since = None
        time.sleep(0.5)


def _comments(db: str, prefix: str) -> tuple[int, float | None, float | None]:
    count, last, first = environment.sql(
        db,
        "SELECT count(*), extract(epoch from max(created_at)), extract(epoch from min(created_at))"
        " FROM tickets_comment WHERE channel_message_id LIKE %s",
        [prefix + ".%"],
    )[0]
    return count, last, first


def backlog_drain(*, db: str, port: int, env: dict, run_id: str, count: int, contacts: int, workers: int) -> dict:
    """Steps 1 and 2 against the web server on `port` (started with the simulator's environment)."""
    environment.redis_flush()
    environment.sql(db, "UPDATE channels_whatsapp_webhookdelivery SET state = 'processed' WHERE state = 'pending'")
    run = f"{run_id}.backlog"
    first = [
        payloads.signed_post(
            "/whatsapp/webhook/",
            payloads.inbound_text(
                wamid=f"wamid.bench.{run}.open.{i}", wa_id=f"55127{i:08d}", text="Hello", name=f"Backlog {i}"
            ),
        )
        for i in range(contacts)
    ]
    worker = processes.qcluster({**env, "Q_WORKERS": str(workers)}, name="qcluster-backlog-open")
    loadgen.load(port, first, 8)
    deadline = time.monotonic() + 300
    while _comments(db, f"wamid.bench.{run}.open")[0] < contacts and time.monotonic() < deadline:
        time.sleep(0.5)
    _wait_settled(db, 120)
    worker.stop()

    prefix = f"wamid.bench.{run}.follow"
    follow_ups = [
        payloads.signed_post(
            "/whatsapp/webhook/",
            payloads.inbound_text(
                wamid=f"{prefix}.{i}",
                wa_id=f"55127{i % contacts:08d}",
                text=f"Any news about my order #{1000 + i}? This is message {i}.",
                name=f"Backlog {i % contacts}",
            ),
        )
        for i in range(count)
    ]
    acked = loadgen.load(port, follow_ups, 8)
    worker = processes.qcluster({**env, "Q_WORKERS": str(workers)}, name="qcluster-backlog")
    cpu0, started = processes.cpu_seconds([worker]), time.monotonic()
    deadline = started + max(300, count / 5)
    done, last, first_at = 0, None, None
    while time.monotonic() < deadline:
        done, last, first_at = _comments(db, prefix)
        if done >= acked.ok:
            break
        time.sleep(0.5)
    cpu = processes.cpu_seconds([worker]) - cpu0
    worker.stop()
    (duplicates,) = environment.sql(
        db,
        "SELECT count(*) FROM (SELECT channel_message_id FROM tickets_comment WHERE channel_message_id LIKE %s"
        " GROUP BY 1 HAVING count(*) > 1) d",
        [prefix + ".%"],
    )[0]
    span = (float(last) - float(first_at)) if last and first_at else float("nan")
    return {
        "backlog": count,
        "contacts": contacts,
        "acked": acked.ok,
        "ack_rate": acked.rate,
        "comments": done,
        "duplicates": duplicates,
        "drain_rate": done / span if span == span and span > 0 else float("nan"),
        "drain_s": span,
        "worker_cpu_ms": 1000 * cpu / max(1, done),
    }


def in_process(*, db: str, env: dict, count: int) -> dict:
    """Step 3, in a fresh interpreter (the parent holds no Django)."""
    return environment.run_json(__file__, [db, str(count)], env=env)


def _in_process_main(db: str, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from channels_whatsapp import intake
    from tickets.models import Contact

    intake.enqueue_webhook = lambda delivery_id: None  # processed right here, not by a worker
    wa_ids = list(
        Contact.objects.filter(wa_id__startswith="55127", whatsapp_conversations__isnull=False)
        .values_list("wa_id", flat=True)
        .distinct()[:200]
    )
    if not wa_ids:
        raise SystemExit("no customer with a conversation: run the backlog step first")
    run = f"{int(time.time())}.inprocess"
    cpu, queries = [], []
    for i in range(count + 20):  # the first 20 warm up (imports, the account cache, the connection)
        body = json.dumps(
            payloads.inbound_text(
                wamid=f"wamid.bench.{run}.{i}", wa_id=wa_ids[i % len(wa_ids)], text=f"Follow-up {i}", name="Backlog"
            ),
            separators=(",", ":"),
        ).encode()
        delivery = intake.webhook_receive(body=body, signature=payloads.sign(body))
        if i % 2:  # every other message: its statements (capturing them costs CPU of its own)
            with CaptureQueriesContext(connection) as captured:
                intake.webhook_process(delivery_id=delivery.pk)
            if i >= 20:
                queries.append(sum(1 for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")))
            continue
        t0 = time.process_time()
        intake.webhook_process(delivery_id=delivery.pk)
        if i >= 20:
            cpu.append(time.process_time() - t0)
    print(
        json.dumps(
            {
                "messages": count,
                "cpu_ms": 1000 * statistics.mean(cpu),
                "cpu_ms_median": 1000 * statistics.median(cpu),
                "queries_median": statistics.median(queries),
                "queries_max": max(queries),
            }
        )
    )


if __name__ == "__main__":
    _in_process_main(sys.argv[1], int(sys.argv[2]))
