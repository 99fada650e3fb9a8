"""Full-text search at scale, on its own corpus (bench/search_corpus.py, database bench_search_<N>, seeded once with
COPY and reused while the migrations are unchanged): eight kinds of query, through the list page and the API, as an
admin and as an agent of one group out of five, each against the same list without `q` in the same run.

    .venv/bin/python bench/search_scale.py --tickets 100000     # or: bench/pages.py --search-tickets 100000

Nothing runs it by default, so CI never does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, reporting

SEARCH_TARGET_MS = 200.0
SEARCH_USERS = ("admin", "agent")


def search_db(tickets: int) -> str:
    return f"bench_search_{tickets // 1000}k" if tickets % 1000 == 0 else f"bench_search_{tickets}"


def ensure_search_seeded(tickets: int) -> dict:
    """Seed the search corpus once (COPY); reuse it while its migrations are unchanged. Returns the seeding figures."""
    name = search_db(tickets)
    marker = f"search corpus {tickets} {environment._migrations_fingerprint()}"
    comment = environment.db_comment(name)  # None when the database does not exist
    if comment and comment.startswith(marker):
        return json.loads(comment[len(marker) :])
    print(f"  seeding {name} ({tickets} tickets) ...", flush=True)
    t0 = time.monotonic()
    environment.db_drop(name)
    environment.sql("postgres", f'CREATE DATABASE "{name}"')
    env = environment.bench_env(name, redis=False)
    environment.manage("migrate", "--noinput", env=env)
    migrated = time.monotonic() - t0
    figures = environment.run_json(__file__, ["--seed-here", str(tickets)], env=env, echo_stderr=True)
    t1 = time.monotonic()
    environment.sql(name, "VACUUM ANALYZE")
    figures.update(migrate_s=migrated, analyze_s=time.monotonic() - t1, total_s=time.monotonic() - t0)
    environment.sql("postgres", f"COMMENT ON DATABASE \"{name}\" IS '{marker}{json.dumps(figures)}'")
    print(f"  seeded {name} in {figures['total_s']:.0f} s", flush=True)
    return figures


def plan_summary(plan: list[str], width: int = 150) -> list[str]:
    """The plan's nodes with their actual times and buffers, without the cost estimates and the long conditions."""
    import re

    keep, planning = [], False
    for line in plan:
        planning = planning or line.startswith("Planning")
        if "actual time" in line or "Execution Time" in line or "Planning Time" in line or "SubPlan" in line:
            line = re.sub(r"  \(cost=[^)]*\)", "", line)
            keep.append(line if len(line) <= width else line[: width - 3] + "...")
        elif line.strip().startswith("Buffers:") and keep and not planning:
            keep[-1] += "  [" + line.strip() + "]"
    return keep


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def _list_hits(client, params: dict) -> int:
    """What the list page counts (capped), through the selector the page uses."""
    from django.contrib.auth import get_user_model

    from tickets import selectors

    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return int(selectors.capped_count(selectors.ticket_list(user=user, **params)))


def measure_search_here(repeat: int) -> dict:
    """In a subprocess on the search database: every probe through the list and the API, rounds interleaved."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import search_corpus
    from tickets.models import Comment, Ticket

    probes = search_corpus.probes()
    results = {"tickets": Ticket.objects.count(), "comments": Comment.objects.count(), "probes": probes, "rows": {}}
    requests = []
    for username in SEARCH_USERS:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        requests.append((f"list, no q [{username}]", client, "/", {"view": "open"}))
        requests.append((f"API, no q [{username}]", client, "/api/tickets/", {}))
        for label, q in probes.items():
            requests.append((f"list ?q= {label} [{username}]", client, "/", {"view": "open", "q": q}))
            requests.append((f"API ?q= {label} [{username}]", client, "/api/tickets/", {"q": q}))
    samples: dict[str, list[float]] = {label: [] for label, *_ in requests}
    slowest: dict[str, tuple[float, str]] = {}
    for round_ in range(3 + repeat):  # 3 warm-up rounds; every request once per round
        for label, client, url, params in requests:
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url, params)
                elapsed = time.perf_counter() - t0
            assert response.status_code == 200, (label, response.status_code)
            if round_ < 3:
                if round_ == 0:
                    hits = response.json()["count"] if "API" in label else _list_hits(client, params)
                    top = max(ctx.captured_queries, key=lambda q: float(q["time"]))
                    results["rows"][label] = {"hits": int(hits), "queries": len(ctx.captured_queries)}
                    slowest[label] = (float(top["time"]), top["sql"])
                continue
            samples[label].append(elapsed)
    for label, times in samples.items():
        results["rows"][label].update(
            p50_ms=1000 * loadgen.percentile(times, 50), p95_ms=1000 * loadgen.percentile(times, 95)
        )
    worst = max((label for label in samples if "?q=" in label), key=lambda label: results["rows"][label]["p95_ms"])
    results["worst"] = {"label": worst, "sql": slowest[worst][1], "plan": _explain(slowest[worst][1])}
    return results


def search_at_scale(tickets: int, repeat: int, write: bool = True) -> None:
    report = reporting.Report(
        f"Full-text search at {tickets:,} tickets",
        "python bench/pages.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""),
    )
    seeded = ensure_search_seeded(tickets)
    env = environment.bench_env(search_db(tickets), redis=True)
    results = environment.run_json(__file__, ["--measure-here", "--repeat", str(repeat)], env=env)
    report.add(
        f"\nCorpus (bench/search_corpus.py): {results['tickets']:,} tickets, {results['comments']:,} messages,"
        f" {seeded['contacts']:,} requesters, 5 groups; German and English, Zipf-like vocabulary. Seeded in"
        f" {seeded['total_s']:.0f} s: migrate {seeded['migrate_s']:.0f} s, COPY {seeded['copy_s']:.0f} s, the per-ticket"
        f" message documents and the full-text indexes {seeded['index_s']:.0f} s, VACUUM ANALYZE {seeded['analyze_s']:.0f} s. `admin` sees every ticket;"
        f" `agent` is in 1 group of 5 ({search_corpus_agent_group()}). In-process (Django test client, full"
        f" middleware, DEBUG=false), {repeat} rounds after 3 warm-ups, every request once per round.\n"
    )
    rows, worst_p95 = [], 0.0
    for username in SEARCH_USERS:
        for kind, base_label in (("list", f"list, no q [{username}]"), ("API", f"API, no q [{username}]")):
            base = results["rows"][base_label]
            rows.append([base_label, "", base["hits"], base["queries"], base["p50_ms"], base["p95_ms"], 1.0])
            for label, q in results["probes"].items():
                row = results["rows"][f"{kind} ?q= {label} [{username}]"]
                worst_p95 = max(worst_p95, row["p95_ms"])
                rows.append(
                    [f"{kind} ?q= {label} [{username}]", f"`{q}`", row["hits"], row["queries"], row["p50_ms"],
                     row["p95_ms"], row["p95_ms"] / base["p95_ms"]]
                )  # fmt: skip
    headers = ["request [user]", "q", "hits (capped)", "queries", "p50 ms", "p95 ms", "p95 x no q"]
    report.add(reporting.table(headers, rows))
    report.add(
        f"\nTarget p95 < {SEARCH_TARGET_MS:.0f} ms on PostgreSQL: slowest p95 {worst_p95:.1f} ms"
        f" ({reporting.verdict(worst_p95 < SEARCH_TARGET_MS)}). Slowest request: `{results['worst']['label']}`;"
        " its slowest query, EXPLAIN (ANALYZE, BUFFERS):\n"
    )
    report.add("```\n" + "\n".join(plan_summary(results["worst"]["plan"])) + "\n```")
    if write:
        report.write()


def search_corpus_agent_group() -> str:
    from bench import search_corpus

    return search_corpus.AGENT_GROUP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 repeats; no report appended")
    parser.add_argument("--measure-here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed-here", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_here:
        import django

        django.setup()
        from bench import search_corpus

        figures = search_corpus.seed(args.seed_here, progress=lambda m: print(m, file=sys.stderr, flush=True))
        print(json.dumps(figures))
        return
    if args.measure_here:
        print(json.dumps(measure_search_here(args.repeat)))
        return
    search_at_scale(args.tickets, 5 if args.quick else args.repeat, write=not args.quick)


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
