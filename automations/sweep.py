"""The automation sweep (hourly in the worker, or `manage.py run_automations`): every active automation over the
tickets its conditions select, in batches of tickets written set-wise (`automations.sweep_batch`).
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from automations import queries, selectors, sweep_batch
from automations.conditions.model import Conditions, ConditionsInvalid
from automations.conditions.parse import load
from automations.firing import rule_actions_run
from automations.models import Automation, AutomationFiring
from tickets.errors import DomainError
from tickets.models import Ticket, TicketStatus

logger = logging.getLogger(__name__)

# An automation acts on at most this many tickets per run; the rest wait for the next run (oldest tickets first).
AUTOMATION_LIMIT_PER_RUN = 1000
# A sweep stops starting new tickets after this many seconds, under the worker's task timeout (Q_CLUSTER timeout 60 s):
# the tickets left wait for the next run, as over the limit.
SWEEP_TIME_BUDGET_SECONDS = 45.0


@dataclass
class AutomationRun:
    automation_id: int
    title: str
    matched: int = 0
    fired: int = 0
    failed: int = 0
    capped: bool = False  # more tickets matched than the limit
    deferred: int = 0  # matched tickets left for the next run because the time budget ran out


@dataclass
class RunSummary:
    started_at: datetime
    seconds: float = 0.0
    automations: list[AutomationRun] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(a.matched for a in self.automations)

    @property
    def fired(self) -> int:
        return sum(a.fired for a in self.automations)

    @property
    def failed(self) -> int:
        return sum(a.failed for a in self.automations)

    def __str__(self) -> str:
        # English keeps one form ("automation(s)"); languages with real plurals can use both.
        head = ngettext(
            "%(count)d automation(s): %(matched)s ticket(s) matched, %(fired)s fired, %(failed)s failed in %(seconds)s s",
            "%(count)d automation(s): %(matched)s ticket(s) matched, %(fired)s fired, %(failed)s failed in %(seconds)s s",
            len(self.automations),
        ) % {
            "count": len(self.automations),
            "matched": self.matched,
            "fired": self.fired,
            "failed": self.failed,
            "seconds": f"{self.seconds:.2f}",
        }
        lines = [head]
        for a in self.automations:
            more = " " + _("(limit reached: the rest wait for the next run)") if a.capped else ""
            if a.deferred:
                more += " " + _("(%(count)s left for the next run: time budget reached)") % {"count": a.deferred}
            counts = _("%(matched)s matched, %(fired)s fired, %(failed)s failed") % {
                "matched": a.matched,
                "fired": a.fired,
                "failed": a.failed,
            }
            lines.append(f"  #{a.automation_id} {a.title}: {counts}{more}")
        return "\n".join(lines)


def _eligible(automation: Automation, parsed: Conditions, now: datetime):
    """The tickets an automation acts on now: its conditions as one query, never closed tickets, and not the ones it
    already fired on unless they were updated since (Zendesk: it fires once while its state holds)."""
    already = AutomationFiring.objects.filter(
        automation_id=automation.pk, ticket_id=OuterRef("pk"), fired_at__gte=OuterRef("updated_at")
    )
    return (
        Ticket.objects.exclude(status=TicketStatus.CLOSED)
        .filter(queries.ticket_q(parsed, now))
        .exclude(Exists(already))
    )


def _fire_automation(*, automation: Automation, parsed: Conditions, ticket_id: int, now: datetime) -> bool:
    """One ticket, in its own transaction: the row is locked and checked again (it may have changed since the
    sweep's query, or another sweep may have fired), then the actions, the event, the firing. The sweep fires
    tickets in batches (`sweep_batch.fire_batch`); this is for the tickets of a batch that failed as a whole."""
    with transaction.atomic():
        ticket = (
            _eligible(automation, parsed, now)
            .select_for_update(of=("self",))
            .select_related("requester", "assignee", "group")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None:
            return False
        rule_actions_run(
            rule=automation, ticket=ticket, tags=selectors.ticket_tags(ticket.pk), current_user=None, run_listeners=True
        )
        AutomationFiring.objects.update_or_create(
            automation_id=automation.pk, ticket_id=ticket_id, defaults={"fired_at": timezone.now()}
        )
    return True


def _fire_one_by_one(
    *, automation: Automation, parsed: Conditions, ticket_ids: list[int], now: datetime
) -> sweep_batch.BatchResult:
    result = sweep_batch.BatchResult()
    for ticket_id in ticket_ids:
        try:
            if _fire_automation(automation=automation, parsed=parsed, ticket_id=ticket_id, now=now):
                result.fired += 1
        except (DomainError, PermissionDenied) as error:
            result.failed += 1
            logger.warning("Automation %s (%s) failed on ticket %s: %s", automation.pk, automation, ticket_id, error)
        except Exception:
            result.failed += 1
            logger.exception("Automation %s (%s) failed on ticket %s", automation.pk, automation, ticket_id)
    return result


def run_automations(
    *,
    now: datetime | None = None,
    limit: int = AUTOMATION_LIMIT_PER_RUN,
    time_budget: float = SWEEP_TIME_BUDGET_SECONDS,
) -> RunSummary:
    """One sweep: every active automation in position order, each over the tickets its conditions select.

    The selection is one query per automation (conditions as SQL, `automations.queries`), so tickets that do not
    match cost nothing. Matched tickets are fired in batches (`sweep_batch`), each one transaction; a ticket whose
    update fails (say, the assignee left the group) is logged and counted, and the others go on. At most `limit`
    tickets per automation, and no new batch is started after `time_budget` seconds: what is left waits for the
    next run.
    """
    started = time.monotonic()
    now = now or timezone.now()
    summary = RunSummary(started_at=now)
    for automation in selectors.automations_active():
        run = AutomationRun(automation_id=automation.pk, title=automation.title)
        summary.automations.append(run)
        try:
            parsed = load(automation.conditions, kind="automation")
        except ConditionsInvalid as error:
            logger.error("Automation %s (%s) has invalid conditions, skipped: %s", automation.pk, automation, error)
            run.failed += 1
            continue
        ids = list(_eligible(automation, parsed, now).order_by("id").values_list("id", flat=True)[: limit + 1])
        run.capped = len(ids) > limit
        ids = ids[:limit]
        run.matched = len(ids)
        for start in range(0, len(ids), sweep_batch.BATCH_SIZE):
            if time.monotonic() - started > time_budget:
                run.deferred = len(ids) - start
                break
            batch = ids[start : start + sweep_batch.BATCH_SIZE]
            try:
                result = sweep_batch.fire_batch(
                    automation=automation,
                    eligible=partial(_eligible, automation, parsed, now),
                    ticket_ids=batch,
                )
            except Exception:
                logger.exception(
                    "Automation %s (%s): a batch failed, its tickets are fired one by one", automation.pk, automation
                )
                result = _fire_one_by_one(automation=automation, parsed=parsed, ticket_ids=batch, now=now)
            run.fired += result.fired
            run.failed += result.failed
    summary.seconds = time.monotonic() - started
    logger.info("Automations run: %s", summary)
    return summary
