"""Agent pages at scale: ticket list (with its data), ticket page, API list and search at 1k, 10k and 100k tickets.

    .venv/bin/python bench/pages.py                 # 1k, 10k, 100k; appends to docs/BENCHMARKS.md
    .venv/bin/python bench/pages.py --sizes 1000 --quick
    .venv/bin/python bench/pages.py --search-tickets 100000   # full-text search only (bench/search_scale.py)
    .venv/bin/python bench/pages.py --insights --sizes 1000,100000   # the insights page and API only, cold
    .venv/bin/python bench/pages.py --insights --dense --sizes 100000  # the same at 100k tickets / 540k messages

`--search-tickets N` runs bench/search_scale.py: the search on its own corpus of N tickets, never by default.

Databases bench_1k, bench_10k and bench_100k are seeded once with `manage.py seed_demo --tickets N` (100k takes
about 1.5 minutes) and reused while the migrations are unchanged (migrated forward otherwise). Each page is served
in-process by Django's test client (the full middleware stack, DEBUG=false, PostgreSQL with the psycopg pool) and
measured with CaptureQueriesContext: query count and p50 server time over --repeat requests after warm-up, as the
agent `agent` (a member of two of the three groups: the list is restricted by visibility, the realistic case) and as
`admin` (sees everything). django-helpdesk is measured the same way from its own virtualenv
(bench/helpdesk.py; --no-helpdesk skips it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, reporting, search_scale

SIZES = (1000, 10000, 100000)


def db_name(size: int) -> str:
    return f"bench_{size // 1000}k" if size % 1000 == 0 else f"bench_{size}"


def ensure_seeded(size: int) -> None:
    """Seed once; reuse later (the database's comment records what was seeded)."""
    name = db_name(size)
    marker = f"seeded {size}"
    env = environment.bench_env(name, redis=False)
    if environment.db_comment(name) == marker:  # None when the database does not exist
        environment.manage("migrate", "--noinput", env=env)  # a no-op unless migrations were added since
        environment.manage("refresh_insights", env=env)  # the insights' facts, built once, then kept up
        return
    print(f"  seeding {name}: seed_demo --tickets {size} ...", flush=True)
    t0 = time.monotonic()
    environment.db_fresh(name)
    environment.manage("seed_demo", "--tickets", str(size), env=env)
    environment.manage("refresh_insights", env=env)
    environment.sql("postgres", f"COMMENT ON DATABASE \"{name}\" IS '{marker}'")
    environment.sql(name, "VACUUM ANALYZE")
    print(f"  seeded {name} in {time.monotonic() - t0:.0f} s", flush=True)


# --- In the measuring subprocess (Django set up on one database) --------------------------------------------------


def insights_pages() -> dict[str, str]:
    """The insights page and every metric's API answer over the last 30 days (which at these sizes is every ticket)."""
    from channels_whatsapp.insights.registry import METRICS

    return {"insights page": "/insights/", **{f"insights API {slug}": f"/api/insights/{slug}/" for slug in METRICS}}


def measure_here(repeat: int, only_insights: bool = False) -> dict:
    import django

    django.setup()
    from django.core.cache import cache

    if os.environ.get("BENCH_UNCAPPED"):  # "before": counts over every visible row, as an exact COUNT(*) does
        from tickets import selectors

        selectors.COUNT_CAP = 10**12
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tickets.models import Comment, Ticket

    results = {"tickets": Ticket.objects.count(), "comments": Comment.objects.count(), "pages": {}}
    users = get_user_model().objects
    for username in ("agent", "admin"):
        user = users.get(username=username)
        client = Client()
        client.force_login(user)
        from tickets.selectors import tickets_visible

        visible = tickets_visible(user=user)
        newest = visible.order_by("-id").values_list("id", flat=True).first()
        busiest = (
            Comment.objects.filter(ticket__in=visible.order_by("-id").values("id")[:200])
            .values("ticket_id")
            .order_by()
            .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
            .order_by("-n")
            .values_list("ticket_id", flat=True)
            .first()
        )
        pages = {
            "list (mine)": "/",
            "list (all unsolved)": "/?view=open",
            "list (all unsolved, page 50)": "/?view=open&page=50",
            "list htmx fragment": "/?view=open",
            "ticket page": f"/tickets/{busiest or newest}/",
            "API list": "/api/tickets/",
            "API list, status=open": "/api/tickets/?status=open",
            # Full-text search (tickets/search.py): a word in many tickets, and two words in few.
            "API search, common word": "/api/tickets/?q=carrier",
            "API search, two rare words": "/api/tickets/?q=broken+mug",
            "list search box": "/?view=open&q=carrier",
        }
        if only_insights:
            pages = {"API list": "/api/tickets/"}
        pages.update(insights_pages())
        for label, url in pages.items():
            headers = {"HX-Request": "true", "HX-Target": "ticket-results"} if "htmx" in label else {}
            # Insights answers are cached until the data changes: measured cold, as after any write.
            cold = label.startswith("insights")
            for _ in range(3):  # warm-up
                client.get(url, headers=headers)
            times, sql_times, queries = [], [], 0
            for _ in range(repeat):
                if cold:
                    cache.clear()
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    response = client.get(url, headers=headers)
                    times.append(time.perf_counter() - t0)
                assert response.status_code == 200, (url, response.status_code)
                queries = len(ctx.captured_queries)
                sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries))
            results["pages"][f"{label} [{username}]"] = {
                "url": url,
                "queries": queries,
                "p50_ms": 1000 * loadgen.percentile(times, 50),
                "p90_ms": 1000 * loadgen.percentile(times, 90),
                "p95_ms": 1000 * loadgen.percentile(times, 95),
                "sql_ms": 1000 * loadgen.percentile(sql_times, 50),
                "slowest_sql": sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[0]["sql"][:300]
                if ctx.captured_queries
                else "",
            }
    return results


def measure(size: int, repeat: int, before: bool = False, only_insights: bool = False) -> dict:
    env = environment.bench_env(db_name(size), redis=True)
    if before:
        env["BENCH_UNCAPPED"] = "1"
    args = ["--measure-here", "--repeat", str(repeat)] + (["--only-insights"] if only_insights else [])
    return environment.run_json(__file__, args, env=env)


INSIGHTS_TARGET_MS = 500


def insights_section(results: dict[int, dict], sizes: list[int], repeat: int) -> str:
    """p95 of each insights answer, cold (cache emptied before every request): against the 500 ms target, and as a
    multiple of the plain API list of the same user in the same run."""
    rows = []
    for size in sizes:
        pages = results[size]["pages"]
        for label, page in pages.items():
            if not label.startswith("insights"):
                continue
            user = label[label.rindex("[") :]
            base = pages[f"{SEARCH_BASELINE} {user}"]["p95_ms"]
            verdict = reporting.verdict(page["p95_ms"] < INSIGHTS_TARGET_MS)
            rows.append(
                [
                    f"{size // 1000}k",
                    label,
                    page["queries"],
                    page["p95_ms"],
                    page["sql_ms"],
                    page["p95_ms"] / base,
                    verdict,
                ]
            )
            print(f"    {size}: {label:<50} p95 {page['p95_ms']:7.1f} ms = {page['p95_ms'] / base:.2f} x API list")
    headers = ["tickets", "insights [user]", "queries", "p95 ms", "SQL ms p50", f"x {SEARCH_BASELINE}", "< 500 ms"]
    return (
        f"\nInsights, cold (the cache emptied before each request), p95 of {repeat} requests; the target is"
        f" < {INSIGHTS_TARGET_MS} ms, and the ratio is against the plain `{SEARCH_BASELINE}` of the same user in the"
        " same run:\n\n" + reporting.table(headers, rows)
    )


SEARCH_BASELINE = "API list"


def search_section(results: dict[int, dict], sizes: list[int], repeat: int) -> str:
    """p95 of the search requests as a multiple of the plain API list's p95, both measured in this run."""
    rows = []
    for size in sizes:
        pages = results[size]["pages"]
        for label, page in pages.items():
            if "search" not in label:
                continue
            user = label[label.rindex("[") :]
            base = pages[f"{SEARCH_BASELINE} {user}"]["p95_ms"]
            rows.append([f"{size // 1000}k", label, page["queries"], page["p95_ms"], base, page["p95_ms"] / base])
            print(f"    {size}: {label:<40} p95 {page['p95_ms']:7.1f} ms = {page['p95_ms'] / base:.2f} x baseline")
    headers = ["tickets", "search [user]", "queries", "p95 ms", f"p95 ms {SEARCH_BASELINE}", "x baseline"]
    return (
        f"\nFull-text search (`?q=`), p95 of {repeat} requests, as a multiple of the plain `{SEARCH_BASELINE}`"
        " of the same user in the same run:\n\n" + reporting.table(headers, rows)
    )


def ensure_dense(size: int) -> str:
    """bench_<N>k with every conversation doubled (each message again 7 minutes later): seed_demo writes 2.7 messages
    a ticket, and the insights target is set at 5 (100k tickets, 500k messages). Made once from the seeded database."""
    name = f"{db_name(size)}_dense"
    marker = f"dense {size} {environment._migrations_fingerprint()}"
    if environment.db_exists(name):
        if environment.db_comment(name) == marker:
            return name
        environment.db_drop(name)
    print(f"  making {name}: every message of {db_name(size)} twice ...", flush=True)
    environment.sql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{db_name(size)}"')
    columns = [
        c
        for (c,) in environment.sql(
            name,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets_comment'"
            " AND column_name NOT IN ('id', 'channel_message_id') ORDER BY ordinal_position",
        )
    ]
    shifted = [f"{c} + interval '7 minutes'" if c in ("created_at", "channel_sent_at") else c for c in columns]
    environment.sql(name, "ALTER TABLE tickets_comment DISABLE TRIGGER USER")  # search documents: not measured here
    environment.sql(
        name, f"INSERT INTO tickets_comment ({', '.join(columns)}) SELECT {', '.join(shifted)} FROM tickets_comment"
    )
    environment.sql(name, "ALTER TABLE tickets_comment ENABLE TRIGGER USER")
    environment.manage("refresh_insights", "--all", env=environment.bench_env(name, redis=False))
    environment.sql(name, "VACUUM ANALYZE")
    environment.sql("postgres", f"COMMENT ON DATABASE \"{name}\" IS '{marker}'")
    return name


def insights_only(sizes: list[int], repeat: int, *, write: bool, dense: bool = False) -> None:
    report = reporting.Report("Insights at scale", "python bench/pages.py --insights " + " ".join(sys.argv[2:]))
    results = {}
    for size in sizes:
        ensure_seeded(size)
        if dense:
            env = environment.bench_env(ensure_dense(size), redis=True)
            args = ["--measure-here", "--repeat", str(repeat), "--only-insights"]
            results[size] = environment.run_json(__file__, args, env=env)
        else:
            results[size] = measure(size, repeat, only_insights=True)
        print(f"  {size}: {results[size]['tickets']} tickets, {results[size]['comments']} comments", flush=True)
    report.add(
        "\n" + ", ".join(f"{results[s]['tickets']} tickets / {results[s]['comments']} comments" for s in sizes) + "."
    )
    report.add(insights_section(results, sizes, repeat))
    if write:
        report.write()


# --- Search at scale (--search-tickets N) ----------------------------------------------------------------------


def plot(results: dict[int, dict], path: Path, helpdesk: dict[int, dict] | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    sizes = sorted(results)
    labels = list(results[sizes[0]]["pages"])
    for label in labels:
        if "[agent]" not in label and "ticket page" not in label:
            continue
        ax.plot(sizes, [results[s]["pages"][label]["p50_ms"] for s in sizes], marker="o", label=label)
    for label, series in (helpdesk or {}).items():
        xs = sorted(series)
        ax.plot(xs, [series[x] for x in xs], marker="s", linestyle="--", label=f"django-helpdesk: {label}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tickets in the database")
    ax.set_ylabel("p50 server time (ms)")
    ax.set_title("Agent pages by ticket count (in-process, PostgreSQL, 2 cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"Plot: {path.relative_to(environment.REPO)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 repeats; no report appended")
    parser.add_argument("--no-helpdesk", action="store_true", help="skip django-helpdesk (bench/helpdesk.py)")
    parser.add_argument("--no-before", action="store_true", help="skip the before (uncapped counts) pass")
    parser.add_argument("--search-tickets", type=int, default=0, help="only the search bench, at N tickets")
    parser.add_argument("--insights", action="store_true", help="only the insights page and API (and the baseline)")
    parser.add_argument("--dense", action="store_true", help="with --insights: every conversation twice (5 messages)")
    parser.add_argument("--measure-here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only-insights", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_here:
        print(json.dumps(measure_here(args.repeat, args.only_insights)))
        return
    if args.insights:
        insights_only(args.sizes, 5 if args.quick else args.repeat, write=not args.quick, dense=args.dense)
        return
    if args.search_tickets:
        search_scale.search_at_scale(args.search_tickets, 5 if args.quick else args.repeat, write=not args.quick)
        return
    if args.quick:
        args.repeat = 5
    report = reporting.Report(
        "Agent pages at scale", "python bench/pages.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    results: dict[int, dict] = {}
    for size in args.sizes:
        ensure_seeded(size)
    for size in args.sizes:
        results[size] = measure(size, args.repeat)
        print(f"  {size}: {results[size]['tickets']} tickets, {results[size]['comments']} comments", flush=True)
        for label, page in results[size]["pages"].items():
            print(f"    {label:<40} {page['queries']:>3} queries  p50 {page['p50_ms']:7.1f} ms", flush=True)
    before: dict[int, dict] = {}
    if not args.no_before:
        for size in (min(args.sizes), max(args.sizes)):
            before[size] = measure(size, args.repeat, before=True)
    smallest = min(args.sizes)
    rows = []
    for label in results[smallest]["pages"]:
        row = [label]
        for size in args.sizes:
            page = results[size]["pages"][label]
            row += [page["queries"], page["p50_ms"], page["sql_ms"]]
        largest = results[max(args.sizes)]["pages"][label]["p50_ms"]
        base = results[smallest]["pages"][label]["p50_ms"]
        row.append(largest / base)
        rows.append(row)
    headers = ["page [user]"]
    for size in args.sizes:
        headers += [f"queries {size // 1000}k", f"p50 ms {size // 1000}k", f"SQL ms {size // 1000}k"]
    headers.append(f"x {max(args.sizes) // 1000}k / {smallest // 1000}k")
    report.add(f"\nIn-process (Django test client, full middleware), p50 of {args.repeat} requests after 3 warm-ups.\n")
    report.add(reporting.table(headers, rows))
    first_pages = [r for r in rows if "page 50" not in r[0]]
    worst = max(first_pages, key=lambda r: r[-1])
    report.add(
        f"\nTarget {max(args.sizes) // 1000}k within 1.5 x of {smallest // 1000}k (the pages as agents open them): "
        f"worst `{worst[0]}` at {worst[-1]:.2f} x ({reporting.verdict(worst[-1] <= 1.5)}). The `page 50` rows are a deep-page"
        " probe: OFFSET pagination costs grow with the page number (PostgreSQL joins every skipped row), not with the"
        f" table; at {smallest // 1000}k page 50 does not exist and the list answers its last page instead."
    )
    if before:
        report.add(
            "\nBefore/after the capped counts (same run; before = every count over all visible rows, as the exact"
            " COUNT(*) of the paginator and the view-count aggregate did), p50 ms (SQL ms):\n"
        )
        brows = []
        for label in (
            "list (all unsolved) [agent]",
            "list (mine) [agent]",
            "API list [agent]",
            "list (all unsolved) [admin]",
        ):
            row = [label]
            for size in sorted(before):
                b, a = before[size]["pages"][label], results[size]["pages"][label]
                row += [f"{b['p50_ms']:.1f} ({b['sql_ms']:.1f})", f"{a['p50_ms']:.1f} ({a['sql_ms']:.1f})"]
            brows.append(row)
        bheaders = ["page [user]"]
        for size in sorted(before):
            bheaders += [f"before {size // 1000}k", f"after {size // 1000}k"]
        report.add(reporting.table(bheaders, brows))
    report.add(search_section(results, args.sizes, args.repeat))
    report.add(insights_section(results, args.sizes, args.repeat))
    helpdesk_series = None
    if not args.no_helpdesk and not args.quick:
        from bench import helpdesk

        helpdesk_series = helpdesk.compare(report, results, args.sizes, args.repeat)
    if not args.quick:
        plot(results, environment.REPO / "docs" / "pages-by-size.png", helpdesk_series)
        report.add("\n![page time by ticket count](pages-by-size.png)")
        report.write()


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
