"""The active triggers, loaded and parsed once per process and reused while no rule changes.

Every ticket create and update runs the trigger cycle, and loading 100 triggers (their JSON, then parsing it) cost
more than the update itself. So each process keeps them parsed, keyed by the business rules version
(`automations.models.RulesVersion`): one row that database triggers change in the same transaction as any write to
the rule tables. An update reads that one number (one primary-key query) and loads the rules again only when it
moved, so a rule saved through one process (a daphne worker, a qcluster worker, the admin) is seen by the next
update in every other process.

Ordering matters for correctness: the version is read before the rules, each in its own statement. A rule write
committed between the two is then loaded but kept under the older number, and the next update loads it again; the
opposite (old rules under the new number) cannot happen.

`pinned()` lets a caller that updates many tickets in one transaction (the automation sweep) read the version once
for all of them, as one update reads it once.
"""

import contextlib
import copy
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection

from automations import selectors
from automations.conditions.model import Conditions, ConditionsInvalid
from automations.conditions.parse import load
from automations.models import RulesVersion, Trigger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedTrigger:
    rule: Trigger
    conditions: Conditions


@dataclass(frozen=True)
class ActiveTriggers:
    """The active triggers in running order, parsed, and every condition field they read (what facts to gather)."""

    version: int | None
    triggers: tuple[LoadedTrigger, ...]
    fields: frozenset[str]

    def __iter__(self) -> Iterator[LoadedTrigger]:
        return iter(self.triggers)

    def __len__(self) -> int:
        return len(self.triggers)


_active: ActiveTriggers | None = None
_pinned: ContextVar[ActiveTriggers | None] = ContextVar("automations_pinned_triggers", default=None)
# Parsed conditions per trigger, kept across versions: one rule's change does not parse the other 99 again.
_parsed: dict[int, tuple[Any, Conditions | None]] = {}


def rules_version() -> int | None:
    """The current business rules version (None if its row is missing: then nothing is cached)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {RulesVersion._meta.db_table} WHERE id = 1")  # noqa: S608 (a model's table)
        row = cursor.fetchone()
    return None if row is None else row[0]


def _conditions(trigger: Trigger) -> Conditions | None:
    cached = _parsed.get(trigger.pk)
    if cached is not None and cached[0] == trigger.conditions:
        return cached[1]
    if len(_parsed) > 5000:
        _parsed.clear()
    try:
        parsed = load(trigger.conditions, kind="trigger")
    except ConditionsInvalid as error:
        logger.error("Trigger %s (%s) has invalid conditions and is skipped: %s", trigger.pk, trigger, error)
        parsed = None
    _parsed[trigger.pk] = (copy.deepcopy(trigger.conditions), parsed)
    return parsed


def _load(version: int | None) -> ActiveTriggers:
    loaded = []
    for trigger in selectors.triggers_active():
        parsed = _conditions(trigger)
        if parsed is not None:
            loaded.append(LoadedTrigger(rule=trigger, conditions=parsed))
    fields = frozenset().union(*(t.conditions.fields for t in loaded))
    return ActiveTriggers(version=version, triggers=tuple(loaded), fields=fields)


def active_triggers() -> ActiveTriggers:
    """The active triggers as the database has them now: one query while they are unchanged, two after a change."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    global _active
    version = rules_version()
    current = _active
    if current is not None and version is not None and current.version == version:
        return current
    current = _load(version)
    if version is not None:
        _active = current
    return current


@contextlib.contextmanager
def pinned() -> Iterator[ActiveTriggers]:
    """Within the block, every trigger cycle uses the triggers as they were on entering it (one version read)."""
    token = _pinned.set(active_triggers())
    try:
        yield _pinned.get()
    finally:
        _pinned.reset(token)


def forget() -> None:
    """Drop what this process keeps (tests that swap databases; never needed for correctness otherwise)."""
    global _active
    _active = None
    _parsed.clear()
