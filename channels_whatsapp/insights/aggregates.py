"""Percentiles computed by the database: PostgreSQL's `percentile_cont`, and the same function registered on each
SQLite connection (the embedded default), so one query answers on both."""

from __future__ import annotations

import math

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func


class Percentile(Aggregate):
    """Continuous percentile (linear interpolation between the two nearest values), as PostgreSQL defines it."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Registered here as well as on each new connection: one opened before this module was imported has none.
        connection.ensure_connection()
        register_sqlite_functions(None, connection)
        return self.as_sql(
            compiler, connection, function="sd_percentile_cont", template="%(function)s(%(expressions)s, %(fraction)s)"
        )


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over a list (NULLs ignored): the reference the SQLite aggregate uses."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _SQLitePercentile:
    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("sd_percentile_cont", 2, _SQLitePercentile)


connection_created.connect(register_sqlite_functions, dispatch_uid="insights-sqlite-percentile")


class SecondsBetween(Func):
    """`later - earlier` in seconds, as a float, on PostgreSQL and SQLite alike."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
        )
