"""One shape for every metric: typed columns, rows and headline figures. The chart, the table view, the API's JSON
and the CSV download are all drawn from it, so a number on the page can always be found again in the other two."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

# Column types the page knows how to show; CSV and JSON carry the raw value (durations in seconds, shares 0..1).
TYPES = ("date", "weekday", "hour", "int", "share", "seconds", "text", "datetime", "id")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "int"

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"unknown column type {self.type!r}")


@dataclass
class MetricResult:
    columns: list[Column]
    rows: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds())
    if isinstance(value, float):
        return round(value, 4)
    return value


def rows_json(result: MetricResult) -> list[dict[str, Any]]:
    keys = [column.key for column in result.columns]
    return [{key: json_value(row.get(key)) for key in keys} for row in result.rows]


def _cell(value: Any) -> Any:
    """Spreadsheets run a cell that starts with = + - @ as a formula: a subject or a name must stay text."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(result: MetricResult) -> str:
    """Labels in the first line (the viewer's language), then one line per row; empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(column.label) for column in result.columns])
    for row in rows_json(result):
        writer.writerow([_cell(row[column.key]) for column in result.columns])
    return buffer.getvalue()
