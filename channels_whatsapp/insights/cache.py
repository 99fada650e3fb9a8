"""Results are cached per metric, scope, language and time zone, keyed on a fingerprint of the data: the newest
comment, event, opt-in change and ticket change, and the last refresh of the materialized facts (materialize.py). Any
write the metrics count moves one of them (a delivery status writes an event), so a cached answer is never older than
the data; the fingerprint is five index lookups in one query.

Metrics that read the clock (the backlog, windows closing, windows still open) are also bound to the minute."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.cache import cache as django_cache
from django.db import connection

from channels_whatsapp.insights.scope import Scope

TIMEOUT = 15 * 60
NOW_METRICS = {"window_closing", "backlog", "window_compliance"}


def fingerprint() -> str:
    from channels_whatsapp.models import InsightsRefresh
    from tickets.models import Comment, ContactOptInChange, Event, Ticket

    tables = [model._meta.db_table for model in (Comment, Event, ContactOptInChange)]
    # Table names from the models, quoted: nothing here comes from a request.
    parts = [f"(SELECT MAX(id) FROM {connection.ops.quote_name(table)})" for table in tables]  # noqa: S608
    for table, column in ((Ticket._meta.db_table, "updated_at"), (InsightsRefresh._meta.db_table, "refreshed_at")):
        parts.append(f"(SELECT MAX({column}) FROM {connection.ops.quote_name(table)})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return "|".join(str(value) for value in cursor.fetchone())


def cached(slug: str, scope: Scope, language: str, build: Callable[[], dict]) -> dict:
    key_parts = {
        "slug": slug,
        "params": scope.params(),
        "day": [scope.first_day.isoformat(), scope.last_day.isoformat()],
        "tz": scope.time_zone.key,
        "viewer": None if scope.admin else scope.user.pk,
        "language": language,
        "data": fingerprint(),
    }
    if slug in NOW_METRICS:
        key_parts["minute"] = scope.now.replace(second=0, microsecond=0).isoformat()
    key = "insights:" + hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()
    payload = django_cache.get(key)
    if payload is None:
        payload = build()
        django_cache.set(key, payload, TIMEOUT)
    return payload
