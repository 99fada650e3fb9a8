"""Business rules: trigger cost per ticket update with 100 active triggers, and an automation sweep over 100k open
tickets, each as a ratio to a baseline measured in the same run. One command:

    .venv/bin/python bench/rules.py            # appends to docs/BENCHMARKS.md
    .venv/bin/python bench/rules.py --quick    # 10k open tickets, 200 fired, nothing appended
    .venv/bin/python bench/rules.py --db-suffix _x   # bench_rules_x, bench_rules_100k_x (several checkouts at once)

Against PostgreSQL and Redis (database 9, the channel layer as in production), through the automations app's public
functions (automations.rules.rule_create, tickets.services.ticket_update, which runs the trigger engine, and
automations.sweep.run_automations).
- Triggers: a fresh database `bench_rules` with 500 seeded tickets; the same updates (priority changes by an agent,
  up to 450, one per ticket that is not closed) are timed with no active trigger (the baseline), with the shipped
  triggers, and with 100 more active triggers whose conditions do not match (so the update itself stays the same;
  every trigger is evaluated), the three interleaved update by update; beside it, the pure evaluation of 100
  parsed triggers against one update's facts, and what taking them from the process's cache and loading them after
  a rule change cost.
- Sweep: `bench_rules_100k`, a copy of bench_100k (bench/pages.py seeds it) with every ticket open, and an automation
  "open, not updated for 48 hours and not tagged `stale` -> tag `stale`": 1,000 single ticket updates through the
  service (the baseline) and the automation fired ticket by ticket as before (`sweep._fire_one_by_one`), each in two
  halves around the first sweep, which fires on the per-run limit (1,000); a second sweep (the next 1,000,
  profiled); then an automation that matches none of the open tickets (the selection cost alone).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment, loadgen, reporting

TRIGGERS_DB = "bench_rules"


def _trigger_definition(i: int) -> dict:
    return {
        "title": f"Bench trigger {i}",
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": "hold"},
                {"field": "priority", "operator": "is", "value": ["low", "normal", "high", "urgent"][i % 4]},
                {"field": "current_tags", "operator": "includes", "value": f"bench_tag_{i}"},
            ],
            "any": [
                {"field": "via", "operator": "is", "value": "whatsapp"},
                {"field": "comment_includes_word", "operator": "is", "value": f"refund{i}"},
            ],
        },
        "actions": [{"field": "current_tags", "value": f"bench_fired_{i}"}],
    }


def triggers_here(updates: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from automations import engine, rules, selectors
    from automations.conditions.evaluate import matches
    from automations.models import Trigger
    from tickets import services as ticket_services
    from tickets.models import Ticket, TicketStatus

    users = get_user_model().objects
    admin, agent = users.get(username="admin"), users.get(username="agent")
    tickets = list(Ticket.objects.exclude(status=TicketStatus.CLOSED).order_by("id")[:updates])
    priorities = ["low", "normal", "high", "urgent"]
    shipped = list(Trigger.objects.filter(active=True).values_list("pk", flat=True))
    bench = [
        rules.rule_create(kind="trigger", actor=admin, active=False, **_trigger_definition(i)).pk for i in range(100)
    ]
    configurations = {"none": [], "shipped": shipped, "hundred": shipped + bench}

    def _next(current: str | None) -> str:  # always a real change
        return priorities[(priorities.index(current) + 1) % 4] if current in priorities else "low"

    def activate(ids: list[int]) -> None:
        Trigger.objects.update(active=False)
        Trigger.objects.filter(pk__in=ids).update(active=True)

    def update(ticket) -> None:
        ticket = Ticket.objects.get(pk=ticket.pk)
        ticket_services.ticket_update(
            ticket=ticket, actor=agent, changes={"priority": _next(ticket.priority)}, source="web"
        )

    times: dict[str, list[float]] = {name: [] for name in configurations}
    cpu: dict[str, list[float]] = {name: [] for name in configurations}
    queries: dict[str, list[int]] = {name: [] for name in configurations}
    # Interleaved update by update (the order of the configurations turning from one ticket to the next): load from
    # elsewhere on the machine comes and goes within seconds, and hits every configuration alike. Switching is a rule
    # write, so the update after it loads the rules again: that one is not timed (`warm`), the next one is.
    warm = tickets[-1]
    names = list(configurations)
    for i, ticket in enumerate(tickets[:-1]):
        for name in names[i % 3 :] + names[: i % 3]:
            activate(configurations[name])
            update(warm)
            ticket = Ticket.objects.get(pk=ticket.pk)
            connection.queries_log.clear()  # CaptureQueriesContext counts within a bounded log
            with CaptureQueriesContext(connection) as ctx:
                c0, t0 = time.process_time(), time.perf_counter()
                ticket_services.ticket_update(
                    ticket=ticket, actor=agent, changes={"priority": _next(ticket.priority)}, source="web"
                )
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
            queries[name].append(len(ctx.captured_queries))

    def row(name: str) -> dict:
        return {
            "active": len(configurations[name]),
            "p50_ms": 1000 * loadgen.percentile(times[name], 50),
            "mean_ms": 1000 * sum(times[name]) / len(times[name]),
            "cpu_ms": 1000 * sum(cpu[name]) / len(cpu[name]),
            "queries": max(set(queries[name]), key=queries[name].count),
        }

    activate(configurations["hundred"])
    # The evaluation itself: 100 parsed triggers against one update's facts.
    loaded = engine.load_triggers()
    ticket = Ticket.objects.get(pk=tickets[0].pk)
    facts = selectors.facts_for(
        ticket,
        now=django.utils.timezone.now(),
        tags=selectors.ticket_tags(ticket.pk),
        customer_waiting=False,
        update_type="change",
        changes={"priority": ("low", "high")},
        comment_public=None,
        comment_body="",
        current_user_id=agent.pk,
        current_user_role="agent",
    )
    repeat = 200
    t0 = time.perf_counter()
    for _ in range(repeat):
        for trigger in loaded:
            matches(trigger.conditions, facts)
    pure = (time.perf_counter() - t0) / repeat
    t0 = time.perf_counter()
    for _ in range(50):
        engine.load_triggers()
    cached = (time.perf_counter() - t0) / 50
    from automations import rule_cache

    t0 = time.perf_counter()
    for _ in range(50):
        rule_cache.forget()
        engine.load_triggers()
    cold = (time.perf_counter() - t0) / 50
    return {
        "none": row("none"),
        "baseline": row("shipped"),
        "with_100": row("hundred"),
        "pure_ms": pure * 1000,
        "load_ms": cold * 1000,
        "cached_ms": cached * 1000,
        "triggers": len(loaded),
        "updates": len(times["none"]),
    }


def _stale_automation(title: str, tag: str, status: str = "open") -> dict:
    return {
        "title": title,
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": status},
                {"field": "hours_since_updated", "operator": "greater_than", "value": 48},
                {"field": "current_tags", "operator": "not_includes", "value": tag},
            ],
            "any": [],
        },
        "actions": [{"field": "current_tags", "value": tag}],
    }


def sweep_here(fire: int) -> dict:
    """The sweep against its baselines, in one process: `fire` single ticket updates through the service (an
    agent adds a tag), and the same automation fired ticket by ticket (`sweep._fire_one_by_one`, the sweep before
    batches), each in two halves around the first sweep so that load from elsewhere hits all three alike."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from pyinstrument import Profiler

    from automations import rules, sweep
    from automations.conditions.parse import load
    from automations.models import Automation
    from tickets import services as ticket_services
    from tickets.models import Event, Ticket

    users = get_user_model().objects
    admin, agent = users.get(username="admin"), users.get(username="agent")
    Automation.objects.update(active=False)  # only the measured automation
    automation = rules.rule_create(
        kind="automation", actor=admin, **_stale_automation("Bench: tag stale open tickets", "stale")
    )
    open_tickets = Ticket.objects.filter(status="open").count()
    parsed = load(automation.conditions, kind="automation")
    now = django.utils.timezone.now()
    # Ticket by ticket: the highest ids (the sweep takes the lowest first); plain updates: from the middle.
    one_by_one = list(sweep._eligible(automation, parsed, now).order_by("-id").values_list("id", flat=True)[:fire])
    middle = Ticket.objects.filter(status="open").order_by("id").values_list("id", flat=True)
    plain = list(middle[open_tickets // 2 : open_tickets // 2 + fire])

    def plain_updates(ids: list[int]) -> float:
        t0 = time.perf_counter()
        for ticket_id in ids:
            ticket_services.ticket_update(
                ticket=Ticket(pk=ticket_id), actor=agent, changes={"add_tags": ["bench_touched"]}, source="web"
            )
        return time.perf_counter() - t0

    def fired_one_by_one(ids: list[int]) -> float:
        t0 = time.perf_counter()
        result = sweep._fire_one_by_one(automation=automation, parsed=parsed, ticket_ids=ids, now=now)
        assert result.fired == len(ids), result
        return time.perf_counter() - t0

    from django.db.models import Max

    events_before = Event.objects.aggregate(top=Max("id"))["top"] or 0
    half = fire // 2
    plain_s = plain_updates(plain[:half])
    old_s = fired_one_by_one(one_by_one[:half])
    first = sweep.run_automations(limit=fire)
    plain_s += plain_updates(plain[half:])
    old_s += fired_one_by_one(one_by_one[half:])
    profiler = Profiler()
    profiler.start()
    second = sweep.run_automations(limit=fire)
    profiler.stop()
    (environment.REPO / "var" / "bench-logs").mkdir(parents=True, exist_ok=True)
    (environment.REPO / "var" / "bench-logs" / "sweep-profile.txt").write_text(
        profiler.output_text(unicode=False, color=False)
    )

    def events_of(ids) -> dict[str, int]:
        rows = (
            Event.objects.filter(ticket_id__in=ids, id__gt=events_before)
            .values("type", "data__field")
            .annotate(n=Count("id"))
        )
        return {f"{r['type']} {r['data__field'] or ''}".strip(): r["n"] for r in rows}

    swept = list(
        Event.objects.filter(type="automation.fired", data__automation_id=automation.pk)
        .exclude(ticket_id__in=one_by_one)
        .values_list("ticket_id", flat=True)
    )
    # The selection alone over every open ticket: an automation that matches none of them (they are all open).
    Automation.objects.update(active=False)
    rules.rule_create(
        kind="automation",
        actor=admin,
        **_stale_automation("Bench: nudge tickets on hold for two days", "nudged", "hold"),
    )
    third = sweep.run_automations()
    return {
        "open": open_tickets,
        "fire": fire,
        "plain_s": plain_s,
        "old_s": old_s,
        "old_events": events_of(one_by_one),
        "new_events": events_of(swept),
        "new_tickets": len(swept),
        "first_s": first.seconds,
        "first_matched": first.matched,
        "first_fired": first.fired,
        "second_s": second.seconds,
        "second_matched": second.matched,
        "second_fired": second.fired,
        "limit": fire,
        "none_s": third.seconds,
        "none_matched": third.matched,
    }


def _sub(db: str, flag: str, *extra: str) -> dict:
    """An in-process mode in a fresh interpreter. With Redis (database 9) as in production: without it, each update's
    realtime frames would be relayed over HTTP to a web process that is not there."""
    environment.redis_flush()
    out = subprocess.run(
        [sys.executable, __file__, flag, *extra],
        cwd=environment.REPO,
        env=environment.bench_env(db, redis=True, Q_SYNC="false"),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _triggers_report(report: reporting.Report, t: dict) -> None:
    none, base, hundred = t["none"], t["baseline"], t["with_100"]
    ratio = hundred["mean_ms"] / none["mean_ms"]
    report.add(
        f"\nTrigger cost: {t['updates']} ticket updates (an agent changes the priority) per configuration, the"
        " configurations interleaved update by update, timed in-process (Redis channel layer, as in production).\n"
    )
    report.add(
        reporting.table(
            [
                "active triggers",
                "p50 ms per update",
                "mean ms per update",
                "x none",
                "CPU ms (this process)",
                "x none (CPU)",
                "queries per update",
            ],
            [
                [
                    row["active"],
                    row["p50_ms"],
                    row["mean_ms"],
                    f"{row['mean_ms'] / none['mean_ms']:.2f}",
                    row["cpu_ms"],
                    f"{row['cpu_ms'] / none['cpu_ms']:.2f}",
                    row["queries"],
                ]
                for row in (none, base, hundred)
            ],
        )
    )
    report.add(
        f"\n{hundred['active']} active triggers: {ratio:.2f} x the update with none (mean; target <= 1.1:"
        f" {reporting.verdict(ratio <= 1.1)}); {hundred['mean_ms'] - base['mean_ms']:.2f} ms more than with the"
        f" {base['active']} shipped ones; in this process's CPU time {hundred['cpu_ms'] / none['cpu_ms']:.2f} x (the"
        " figure other work on the machine does not move). The evaluation itself"
        f" {t['pure_ms']:.3f} ms for {t['triggers']} parsed triggers; taking them from the process's cache"
        f" {t['cached_ms']:.2f} ms (one query: the rules version),"
        f" loading and parsing them after a rule change {t['load_ms']:.2f} ms."
    )


def _sweep_report(report: reporting.Report, s: dict) -> None:
    fire = s["fire"]
    report.add(
        f"\nAutomation sweep over {s['open']:,} open tickets (`run_automations`, per-run limit {s['limit']:,}), against"
        f" {fire:,} single ticket updates through the service (an agent adds a tag) and the same automation fired"
        f" ticket by ticket as the sweep did before batches, in the same run.\n"
    )
    plain = s["plain_s"]
    report.add(
        reporting.table(
            ["what", "tickets", "seconds", "ms per ticket", "x single updates"],
            [
                [f"{fire:,} single ticket updates (`ticket_update`)", fire, plain, 1000 * plain / fire, "1.00"],
                [
                    "the automation fired ticket by ticket (before)",
                    fire,
                    s["old_s"],
                    1000 * s["old_s"] / fire,
                    f"{s['old_s'] / plain:.2f}",
                ],
                [
                    "first sweep (batches; fires on the limit)",
                    s["first_fired"],
                    s["first_s"],
                    1000 * s["first_s"] / max(1, s["first_fired"]),
                    f"{s['first_s'] / plain:.2f}",
                ],
                [
                    "second sweep (the next batch; profiled)",
                    s["second_fired"],
                    s["second_s"],
                    1000 * s["second_s"] / max(1, s["second_fired"]),
                    f"{s['second_s'] / plain:.2f}",
                ],
                ["an automation matching none (the selection alone)", s["none_matched"], s["none_s"], "", ""],
            ],
        )
    )
    ratio = s["first_s"] / plain
    old_per_ticket, new_per_ticket = _per_ticket(s["old_events"], fire), _per_ticket(s["new_events"], s["new_tickets"])
    same = old_per_ticket == new_per_ticket
    report.add(
        f"\nFiring {s['first_fired']:,} tickets: {ratio:.2f} x the time of {fire:,} single updates (target <= 0.3:"
        f" {reporting.verdict(ratio <= 0.3)}; ticket by ticket it was {s['old_s'] / plain:.2f} x). Audit events per"
        f" fired ticket, ticket by ticket: {old_per_ticket}; in batches: {new_per_ticket}"
        f" ({'the same' if same else 'NOT the same'})."
        " Profile of the second sweep: var/bench-logs/sweep-profile.txt."
    )


def _per_ticket(counts: dict[str, int], tickets: int) -> str:
    return ", ".join(f"{kind} {n / max(1, tickets):g}" for kind, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=450, help="timed updates per trigger configuration")
    parser.add_argument("--fire", type=int, default=1000, help="tickets per sweep, and single updates to compare")
    parser.add_argument(
        "--db-suffix", default="", help="appended to this script's database names (bench_rules..., bench_template)"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--triggers-here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sweep-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.triggers_here:
        print(json.dumps(triggers_here(args.updates)))
        return
    if args.sweep_here:
        print(json.dumps(sweep_here(args.fire)))
        return
    report = reporting.Report(
        "Business rules", "python bench/rules.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    if args.quick:
        args.updates, args.fire = 60, 200
    if args.db_suffix:  # the migrated template too: checkouts with other migrations would rebuild a shared one
        environment.TEMPLATE_DB += args.db_suffix
    triggers_db = TRIGGERS_DB + args.db_suffix
    print(f"Triggers: fresh {triggers_db} with 500 tickets ...", flush=True)
    environment.db_fresh(triggers_db)
    environment.manage("seed_demo", "--tickets", "500", env=environment.bench_env(triggers_db, redis=False))
    t = _sub(triggers_db, "--triggers-here", "--updates", str(args.updates + 1))
    print(f"  {t}", flush=True)
    _triggers_report(report, t)
    environment.db_drop(triggers_db)
    source = 10000 if args.quick else 100000
    from bench import pages

    pages.ensure_seeded(source)
    db = f"bench_rules_{source // 1000}k{args.db_suffix}"
    print(f"Sweep: {db} (copy of {pages.db_name(source)}, every ticket open) ...", flush=True)
    environment.db_drop(db)
    environment.sql("postgres", f'CREATE DATABASE "{db}" TEMPLATE "{pages.db_name(source)}"')
    environment.sql(db, "UPDATE tickets_ticket SET status = 'open', solved_at = NULL")
    environment.sql(db, "VACUUM ANALYZE tickets_ticket")
    s = _sub(db, "--sweep-here", "--fire", str(args.fire))
    print(f"  {s}", flush=True)
    _sweep_report(report, s)
    environment.db_drop(db)
    report.add(f"\nLoad average at the end: {os.getloadavg()[0]:.2f}.")
    if not args.quick:
        report.write()


if __name__ == "__main__":
    os.chdir(environment.REPO)
    main()
