"""Tables, the machine line and the dated section each script appends to docs/BENCHMARKS.md."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.environment import REPO, REPORT

# --- Report ------------------------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[_cell(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return str(value)


def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load1 = os.getloadavg()[0]
    return f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}, load average {load1:.2f} at start"


@dataclass
class Report:
    """A dated section of docs/BENCHMARKS.md: printed as it grows, appended at the end."""

    title: str
    command: str
    parts: list[str] = field(default_factory=list)
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    host: str = field(default_factory=machine)

    def add(self, text: str) -> None:
        print(text, flush=True)
        self.parts.append(text)

    def write(self) -> None:
        REPORT.parent.mkdir(exist_ok=True)
        if not REPORT.exists():
            REPORT.write_text("# Benchmarks\n\nSections appended by the bench/ scripts (see bench/README.md).\n")
        section = [f"\n## {self.title}, {self.started}\n", f"`{self.command}` ({self.host}).\n", *self.parts]
        with REPORT.open("a") as f:
            f.write("\n".join(section).rstrip() + "\n")
        print(f"\nAppended to {REPORT.relative_to(REPO)}.")


def verdict(ok: bool, gap: str = "") -> str:
    return "met" if ok else f"NOT met ({gap})" if gap else "NOT met"
