"""The ingest benchmark's plot and its targets' verdicts (bench/ingest.py measures, this judges)."""

from __future__ import annotations

from pathlib import Path

from bench import environment, reporting


def plot(rows: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=False)
    for ax, (col, name) in zip(axes, ((5, "p50"), (6, "p99")), strict=True):
        for server in dict.fromkeys(r[0] for r in rows):
            for label in dict.fromkeys(r[2] for r in rows):
                points = [(r[1], r[col]) for r in rows if r[0] == server and r[2] == label]
                if len(points) < 2 or (label == "webhook, full stack" and server != "daphne"):
                    continue
                style = "-" if label == "webhook" else "--" if label == "hmac+insert" else ":"
                ax.plot(*zip(*points, strict=True), style, marker="o", label=f"{server}: {label}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks([1, 8, 32], ["1", "8", "32"])
        ax.set_xlabel("concurrent connections")
        ax.set_ylabel(f"{name} acknowledgement latency (ms)")
        ax.axhline(250 if name == "p50" else 1000, color="grey", linewidth=0.8)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Webhook acknowledgement latency by concurrency (2 cores, PostgreSQL + Redis)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"Plot: {path.relative_to(environment.REPO)}")


def _row(rows, server, conc, label):
    return next((r for r in rows if r[0] == server and r[1] == conc and r[2] == label), None)


def targets(rows: list, e2e: list[dict]) -> str:
    lines = ["Targets:"]
    for server in dict.fromkeys(r[0] for r in rows):
        hook = _row(rows, server, 32, "webhook")
        if hook is None:
            continue
        ratio = hook[8]
        lines.append(
            f"- {server}, c=32: webhook {hook[4]:.0f} msgs/s = {ratio:.2f} x trivial (target >= 0.6: "
            f"{reporting.verdict(ratio >= 0.6, 'the trivial view does no database work')}), {hook[9]:.2f} x hmac+insert; "
            f"p50 {hook[5]:.0f} ms (< 250: {reporting.verdict(hook[5] < 250)}), {hook[7]:.2f} % over 1 s "
            f"(< 1 %: {reporting.verdict(hook[7] < 1)})"
        )
        full = _row(rows, server, 32, "webhook, full stack")
        if full is not None and full[4]:
            lines.append(
                f"  - lean route vs the same view through the full middleware stack on {server}: "
                f"{hook[4] / full[4]:.2f} x the throughput, {hook[10]:.2f} vs {full[10]:.2f} ms of server CPU per message"
            )
    for r in e2e:
        if r["offered"].endswith("/s"):  # open loop: it keeps up when no backlog builds (comments follow POSTs)
            ok = r["lag_p95"] < 2.0 and r["comments"] == r["acked"]
            verdict = f"keeps up with {r['offered']} (target 80/s: {reporting.verdict(ok, 'a backlog builds')})"
        else:
            verdict = f"target >= 80: {reporting.verdict(r['e2e_rate'] >= 80)}"
        lines.append(
            f"- end to end with {r['web']}, offered {r['offered']}: {r['e2e_rate']:.0f} msgs/s sustained ({verdict}),"
            f" POST to comment p50 {r['lag_p50']:.2f} s / p95 {r['lag_p95']:.2f} s;"
            f" {r['comments']} comments for {r['acked']} acknowledged, {r['duplicates']} duplicates"
        )
    gun = _row(rows, "gunicorn x2", 32, "webhook") or _row(rows, "nginx+gunicorn x2", 32, "webhook")
    bare = _row(rows, "gunicorn x2", 32, "hmac+insert")
    if gun and bare:
        lines.append(
            f"- production topology: webhook under gunicorn {gun[4]:.0f} msgs/s = {gun[4] / bare[4]:.2f} x the bare"
            f" hmac+insert view under gunicorn (target >= 0.5: {reporting.verdict(gun[4] / bare[4] >= 0.5)})"
        )
    return "\n".join(lines)


def worker_targets(rows: list, e2e: list[dict], worker: dict | None, cost: dict | None) -> list[str]:
    """Round 2's targets, each a ratio to the bare HMAC+insert view under gunicorn at c=8, measured in this run."""
    lines = []
    bare = _row(rows, "gunicorn x2", 8, "hmac+insert")
    if bare is None:
        return ["- (no gunicorn c=8 baseline in this run: round 2's ratios need `--servers` with gunicorn and c=8)"]
    bare_rate, bare_cpu = bare[4], bare[10]
    lines.append(
        f"- baseline: the bare HMAC+insert view under gunicorn x2 at c=8: {bare_rate:.0f} req/s,"
        f" {bare_cpu:.2f} ms of server CPU per request"
    )
    if worker:
        ratio = worker["worker_cpu_ms"] / bare_cpu
        lines.append(
            f"- worker CPU per follow-up text (qcluster's process tree, draining {worker['backlog']:,}):"
            f" {worker['worker_cpu_ms']:.2f} ms = {ratio:.2f} x the bare view's server CPU per request"
            f" (target <= 2.5: {reporting.verdict(ratio <= 2.5)})"
        )
        drain = worker["drain_rate"] / bare_rate
        lines.append(
            f"- a backlog of {worker['backlog']:,} follow-ups drains at {worker['drain_rate']:.0f} msgs/s ="
            f" {drain:.2f} x the bare view's rate (target >= 0.5: {reporting.verdict(drain >= 0.5)});"
            f" {worker['comments']} comments for {worker['acked']} acknowledged, {worker['duplicates']} duplicates"
        )
    if cost:
        lines.append(
            f"- in-process (`intake.webhook_process`, no django-q around it): {cost['cpu_ms']:.2f} ms of CPU"
            f" (median {cost['cpu_ms_median']:.2f}) = {cost['cpu_ms'] / bare_cpu:.2f} x the bare view's server CPU;"
            f" {cost['queries_median']:.0f} statements per follow-up besides BEGIN and COMMIT, at most {cost['queries_max']}"
            f" (target <= 8: {reporting.verdict(cost['queries_max'] <= 8)})"
        )
    for r in e2e:
        if r["web"] in ("gunicorn", "gunicorn-split") and not r["offered"].endswith("/s"):
            ratio = r["e2e_rate"] / bare_rate
            lost = r["acked"] - r["comments"]
            lines.append(
                f"- end to end, {r['web']} closed loop {r['offered']}: {r['e2e_rate']:.0f} msgs/s = {ratio:.2f} x the bare"
                f" view's rate (target >= 0.5: {reporting.verdict(ratio >= 0.5)}); {lost} lost, {r['duplicates']}"
                " duplicated"
            )
    for conc in (8, 32):
        hook = _row(rows, "gunicorn x2", conc, "webhook")
        base = _row(rows, "gunicorn x2", conc, "hmac+insert")
        if hook and base and base[4]:
            ratio = hook[4] / base[4]
            lines.append(
                f"- webhook ack under gunicorn x2, c={conc}: {hook[4]:.0f} vs {base[4]:.0f} msgs/s = {ratio:.2f} x the"
                f" bare view (target >= 0.8: {reporting.verdict(ratio >= 0.8)}); server CPU {hook[10]:.2f} vs"
                f" {base[10]:.2f} ms per request"
            )
    return lines
