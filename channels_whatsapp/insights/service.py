"""Compute a metric for a scope, cached until the data it counts could have changed (see `cache`)."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language

from channels_whatsapp.insights import cache, materialize
from channels_whatsapp.insights.registry import METRICS
from channels_whatsapp.insights.result import rows_json
from channels_whatsapp.insights.scope import Scope


def metric_payload(slug: str, scope: Scope) -> dict:
    """The JSON of one metric (the API's answer, and what the CSV is written from)."""
    metric = METRICS[slug]

    def build() -> dict:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Percentiles and per-day groups sort ~100,000 rows at 100k tickets: in memory, not in temp files.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '32MB'")
            result = metric.compute(scope)
        return {
            "metric": slug,
            "title": str(metric.title),
            "description": str(metric.description),
            "chart": metric.chart,
            "period": scope.describe(),
            "period_bound": metric.period_bound,
            "filters": scope.filters(),
            "columns": [{"key": c.key, "label": str(c.label), "type": c.type} for c in result.columns],
            "rows": rows_json(result),
            "summary": result.summary,
            "generated_at": timezone.now().isoformat(),
            # How fresh the materialized message facts are (window, volume, first reply time); null before the first.
            "facts_refreshed_at": refreshed.isoformat() if (refreshed := materialize.refreshed_at()) else None,
        }

    return cache.cached(slug, scope, get_language() or "", build)
