"""The agent's pages at a million tickets against the same pages at a thousand, on one generator.

Both databases are seeded by the search corpus's bulk COPY (bench/search_corpus.py: contacts, tickets, five messages
per ticket, the search documents), once, and reused while the migrations are unchanged; `agent` is then given the
200 newest tickets of its group at both sizes, so "your tickets" is neither empty nor growing with the desk. The
pages are bench/pages.py's (list views, a deep page, the htmx fragment, the ticket page, the API list and searches),
measured the same way in a subprocess per database. At 1,000 tickets "page 50" is past the end of the list: it shows
the last page, a short OFFSET, where the million reads 1,225 rows past.

    .venv/bin/python bench/scale.py                     # 1,000 vs 1,000,000 tickets (seeding ~15 min the first time)
    .venv/bin/python bench/scale.py --tickets 100000 --quick

Nothing runs it by default, so CI never does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, pages, reporting, search_scale

TARGET_RATIO = 1.5


AGENT_TICKETS = 200


def seeded(tickets: int) -> tuple[str, dict]:
    """The database of `tickets` tickets, seeded once. `agent` is assigned the AGENT_TICKETS newest tickets of its group
    at every size (an agent's own workload does not grow with the desk), then the statistics are brought up to date."""
    figures = search_scale.ensure_search_seeded(tickets)
    name = search_scale.search_db(tickets)
    group = search_scale.search_corpus_agent_group()
    chosen = (
        "SELECT t.id FROM tickets_ticket t JOIN tickets_group g ON g.id = t.group_id WHERE g.name = %s"
        f" ORDER BY t.id DESC LIMIT {AGENT_TICKETS:d}"
    )
    agent = "(SELECT id FROM auth_user WHERE username = 'agent')"
    environment.sql(
        name,
        f"UPDATE tickets_ticket SET assignee_id = NULL WHERE assignee_id = {agent} AND id NOT IN ({chosen})",
        [group],
    )
    environment.sql(
        name,
        f"UPDATE tickets_ticket SET assignee_id = {agent} WHERE id IN ({chosen}) AND assignee_id IS DISTINCT FROM {agent}",
        [group],
    )
    environment.sql(name, "ANALYZE tickets_ticket")
    return name, figures


def measure(name: str, repeat: int) -> dict:
    env = environment.bench_env(name, redis=True)
    return environment.run_json(pages.__file__, ["--measure-here", "--repeat", str(repeat)], env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 repeats; no report appended")
    args = parser.parse_args()
    repeat = 5 if args.quick else args.repeat
    report = reporting.Report(
        f"Agent pages at {args.tickets:,} vs {args.small:,} tickets",
        "python bench/scale.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""),
    )
    t0 = time.monotonic()
    small_db, small_seed = seeded(args.small)
    large_db, large_seed = seeded(args.tickets)
    seeding = time.monotonic() - t0
    small = measure(small_db, repeat)
    large = measure(large_db, repeat)
    rows, worst, queries_equal = [], 0.0, True
    for label, at_small in small["pages"].items():
        at_large = large["pages"][label]
        ratio = at_large["p50_ms"] / at_small["p50_ms"]
        if "search" not in label:
            worst = max(worst, ratio)
            queries_equal &= at_large["queries"] == at_small["queries"]
        rows.append(
            [label, at_small["queries"], at_large["queries"], at_small["p50_ms"], at_large["p50_ms"],
             at_small["p95_ms"], at_large["p95_ms"], ratio]
        )  # fmt: skip
    report.add(
        f"\nGenerator: bench/search_corpus.py at both sizes ({small['tickets']:,} tickets / {small['comments']:,}"
        f" messages and {large['tickets']:,} / {large['comments']:,}). Seeding with COPY, the search documents and"
        f" their indexes, VACUUM ANALYZE: {large_seed['total_s']:.0f} s for {args.tickets:,} tickets (COPY"
        f" {large_seed['copy_s']:.0f} s, documents and indexes {large_seed['index_s']:.0f} s), {small_seed['total_s']:.0f} s"
        f" for {args.small:,}; {seeding:.0f} s in this run (0 when both were already seeded). In-process (Django test"
        f" client, full middleware, DEBUG=false), {repeat} requests per page after 3 warm-ups.\n"
    )
    headers = ["page [user]", f"queries {args.small // 1000}k", f"queries {args.tickets // 1000}k",
               f"p50 ms {args.small // 1000}k", f"p50 ms {args.tickets // 1000}k", f"p95 ms {args.small // 1000}k",
               f"p95 ms {args.tickets // 1000}k", "p50 x"]  # fmt: skip
    report.add(reporting.table(headers, rows))
    report.add(
        f"\nTarget: every page (searches aside: their own bench is bench/search_scale.py) within {TARGET_RATIO} x at"
        f" {args.tickets:,} of {args.small:,}, with the same number of queries: worst {worst:.2f} x, queries"
        f" {'constant' if queries_equal else 'NOT constant'}"
        f" ({reporting.verdict(worst <= TARGET_RATIO and queries_equal)}).\n"
    )
    if not args.quick:
        report.write()


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
