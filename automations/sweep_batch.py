"""One batch of the automation sweep: up to `BATCH_SIZE` tickets of one automation in one transaction, written
set-wise, with what each ticket would have got from its own `ticket_update`.

Firing one ticket at a time cost a transaction of some thirty queries per ticket, five times a plain update. A batch:

1. locks its tickets in id order (every sweep locks in that order, so two sweeps cannot deadlock), then checks the
   automation's conditions again in a new statement: an update committed while the sweep waited for a lock (an
   agent's reply, a customer's message) is seen, and a ticket that no longer matches is left alone;
2. plans the actions for each ticket (`macros.actions.plan`, the one implementation);
3. writes the tickets whose plan only sets status, priority, type and tags together: one UPDATE per distinct set of
   values, the tag rows in one INSERT (and one DELETE per set of removed tags), their `field.changed` events in one
   INSERT, the same rows `ticket_update` would have written one by one (`tickets.events.*_row`);
4. runs the change listeners (the trigger cycle) ticket by ticket with the same `TicketChange` `ticket_update`
   gives them, with the triggers read once for the batch (`rule_cache.pinned`);
5. writes `automation.fired` and the firing rows in one INSERT each, after the triggers (so `fired_at` is later than
   any update a trigger made); the ticket lists hear of every changed ticket after commit, as before.

A plan that does more (a comment, notifications, webhooks, assignee or group, CCs, ticket fields) runs through
`firing.rule_actions_run` as before, in a savepoint of its own inside the batch, so a failing ticket is counted and
rolled back alone. An error that escapes the batch rolls it back whole; the sweep then fires its tickets one by one.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from automations import rule_cache
from automations.firing import rule_actions_run
from automations.models import Automation, AutomationFiring
from macros.actions import plan as action_steps
from macros.actions.model import ActionPlan
from tickets import events, realtime
from tickets.errors import DomainError
from tickets.hooks import TicketChange, notify_change
from tickets.models import Ticket, TicketPriority, TicketStatus, TicketTag, TicketType
from tickets.snapshots import snapshot_diff, ticket_snapshot
from tickets.tags import combine, normalize_tags, tags_after

logger = logging.getLogger("automations.sweep")  # one log for the sweep, whichever module writes the line

BATCH_SIZE = 100
# What a plan may change to be written set-wise; anything else goes through `ticket_update`, ticket by ticket.
SET_WISE_KEYS = frozenset({"status", "priority", "type", "tags", "add_tags", "remove_tags"})


@dataclass
class BatchResult:
    fired: int = 0
    failed: int = 0


@dataclass
class _Planned:
    """A ticket whose plan is written set-wise, and what it does to it."""

    ticket: Ticket
    plan: ActionPlan
    tags: list[str]  # the tags before, as stored
    before: dict[str, Any] = field(default_factory=dict)
    applied: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)  # ticket columns to write
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rows: list = field(default_factory=list)  # its field.changed events


def _set_wise(plan: ActionPlan) -> bool:
    if plan.comment is not None or plan.notifications or plan.webhooks or not set(plan.changes) <= SET_WISE_KEYS:
        return False
    changes = plan.changes
    if "status" in changes and (changes["status"] not in TicketStatus.values or changes["status"] == TicketStatus.NEW):
        return False  # refused by `ticket_update`: let it say so, for this ticket
    for name, choices in (("priority", TicketPriority), ("type", TicketType)):
        if changes.get(name) and changes[name] not in choices.values:
            return False
    try:
        for name in ("tags", "add_tags", "remove_tags"):
            normalize_tags(changes.get(name, ()))
    except DomainError:
        return False
    return True


def _apply_in_memory(item: _Planned, now: datetime) -> None:
    """What `ticket_update` (`_apply_changes`) does with these keys, in the same order, without writing."""
    ticket, changes = item.ticket, item.plan.changes
    item.before = ticket_snapshot(ticket, item.tags)
    if "status" in changes and changes["status"] != ticket.status:
        old = ticket.status
        ticket.status, ticket.status_changed_at = changes["status"], now
        item.columns.update(status=ticket.status, status_changed_at=now)
        if ticket.status == TicketStatus.SOLVED:
            ticket.solved_at = now
            item.columns["solved_at"] = now
        item.applied["status"] = (old, ticket.status)
        item.rows.append(events.field_changed_row(ticket=ticket, field="status", old=old, new=ticket.status))
    for name in ("priority", "type"):
        if name in changes:
            value = changes[name] or None
            if value != getattr(ticket, name):
                item.applied[name] = (getattr(ticket, name), value)
                setattr(ticket, name, value)
                item.columns[name] = value
    for name in ("priority", "type"):
        if name in item.applied:
            old, new = item.applied[name]
            item.rows.append(events.field_changed_row(ticket=ticket, field=name, old=old, new=new))
    if {"tags", "add_tags", "remove_tags"} & set(changes):
        target = combine(
            item.tags,
            replace=normalize_tags(changes["tags"]) if "tags" in changes else None,
            add=normalize_tags(changes.get("add_tags", ())),
            remove=normalize_tags(changes.get("remove_tags", ())),
        )
        item.added = [t for t in target if t not in item.tags]
        item.removed = [t for t in item.tags if t not in target]
        old_tags = sorted(item.tags)
        new_tags = sorted(set(item.tags) - set(item.removed) | set(item.added))
        if old_tags != new_tags:
            item.applied["tags"] = (old_tags, new_tags)
            item.rows.append(events.field_changed_row(ticket=ticket, field="tags", old=old_tags, new=new_tags))
    if item.applied:
        ticket.updated_at = now
        item.columns["updated_at"] = now


def _write(items: Sequence[_Planned]) -> None:
    """The tickets' columns (one UPDATE per distinct set of values), tag rows, and field.changed events."""
    by_values: dict[tuple, list[int]] = defaultdict(list)
    for item in items:
        if item.columns:
            by_values[tuple(sorted(item.columns.items()))].append(item.ticket.pk)
    for values, ids in by_values.items():
        Ticket.objects.filter(pk__in=ids).update(**dict(values))
    by_removed: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for item in items:
        if item.removed:
            by_removed[tuple(sorted(item.removed))].append(item.ticket.pk)
    for names, ids in by_removed.items():
        TicketTag.objects.filter(ticket_id__in=ids, name__in=names).delete()
    TicketTag.objects.bulk_create([TicketTag(ticket=item.ticket, name=t) for item in items for t in item.added])
    events.record_all([row for item in items for row in item.rows])


def _fire_one(*, automation: Automation, ticket: Ticket, tags: list[str], result: BatchResult) -> None:
    """A plan that is not written set-wise: `rule_actions_run` as the per-ticket sweep did, in a savepoint."""
    try:
        with transaction.atomic():
            rule_actions_run(rule=automation, ticket=ticket, tags=tags, current_user=None, run_listeners=True)
            AutomationFiring.objects.update_or_create(
                automation_id=automation.pk, ticket_id=ticket.pk, defaults={"fired_at": timezone.now()}
            )
        result.fired += 1
    except (DomainError, PermissionDenied) as error:
        result.failed += 1
        logger.warning("Automation %s (%s) failed on ticket %s: %s", automation.pk, automation, ticket.pk, error)
    except Exception:
        result.failed += 1
        logger.exception("Automation %s (%s) failed on ticket %s", automation.pk, automation, ticket.pk)


def _tags_of(ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {pk: [] for pk in ticket_ids}
    for ticket_id, name in TicketTag.objects.filter(ticket_id__in=ticket_ids).values_list("ticket_id", "name"):
        found[ticket_id].append(name)
    return found


def fire_batch(
    *, automation: Automation, eligible: Callable[[], QuerySet[Ticket]], ticket_ids: Sequence[int]
) -> BatchResult:
    """Fire `automation` on those of `ticket_ids` that still match (`eligible()`, checked again under the locks)."""
    result = BatchResult()
    with transaction.atomic(), rule_cache.pinned():
        locked = list(
            Ticket.objects.select_for_update(of=("self",))
            .filter(pk__in=ticket_ids)
            .order_by("id")
            .values_list("id", flat=True)
        )
        tickets = list(eligible().filter(pk__in=locked).select_related("requester", "assignee", "group").order_by("id"))
        tags = _tags_of([t.pk for t in tickets])
        set_wise: list[_Planned] = []
        one_by_one: list[Ticket] = []
        for ticket in tickets:
            try:
                plan = action_steps.plan(automation.actions, ticket=ticket, current_user=None, kind="automation")
            except DomainError as error:
                result.failed += 1
                logger.warning(
                    "Automation %s (%s) failed on ticket %s: %s", automation.pk, automation, ticket.pk, error
                )
                continue
            if _set_wise(plan):
                set_wise.append(_Planned(ticket=ticket, plan=plan, tags=tags[ticket.pk]))
            else:
                one_by_one.append(ticket)
        written_at = timezone.now()  # one instant for the batch, so equal changes are one UPDATE
        for item in set_wise:
            _apply_in_memory(item, now=written_at)
        _write(set_wise)
        changed = [item for item in set_wise if item.applied]
        realtime.tickets_changed_on_commit([item.ticket for item in changed])
        for item in changed:
            item.ticket.added_comment = None
            notify_change(
                TicketChange(
                    ticket=item.ticket,
                    actor=None,
                    update_type="change",
                    changes=item.applied,
                    source="automation",
                )
            )
        for ticket in one_by_one:
            _fire_one(automation=automation, ticket=ticket, tags=tags[ticket.pk], result=result)
        _fired(automation, set_wise)
        result.fired += len(set_wise)
    return result


def _fired(automation: Automation, items: Sequence[_Planned]) -> None:
    """`automation.fired` with what the automation itself changed, and the firing rows, after the triggers ran."""
    if not items:
        return
    rows = []
    for item in items:
        after = ticket_snapshot(item.ticket, tags_after(sorted(item.tags), item.plan.changes))
        changes = snapshot_diff(item.before, after)
        rows.append(
            events.rule_fired_row(
                ticket=item.ticket, kind="automation", rule_id=automation.pk, title=automation.title, changes=changes
            )
        )
    events.record_all(rows)
    fired_at = timezone.now()
    AutomationFiring.objects.bulk_create(
        [AutomationFiring(automation_id=automation.pk, ticket_id=item.ticket.pk, fired_at=fired_at) for item in items],
        update_conflicts=True,
        unique_fields=["automation", "ticket"],
        update_fields=["fired_at"],
    )
