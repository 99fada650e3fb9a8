"""Running a rule's actions on a ticket, for the trigger engine and the automation sweep alike."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from automations.models import BusinessRule
from automations.notifications import RuleRef, notifications_send
from automations.rules import kind_of
from automations.webhooks import delivery as webhook_delivery
from macros.actions import plan as action_steps
from tickets import events
from tickets.models import Ticket
from tickets.snapshots import snapshot_diff, ticket_snapshot
from tickets.tags import tags_after


@dataclass
class Outcome:
    ticket: Ticket
    tags: list[str]
    changes: dict[str, list[Any]]
    notifications: list[dict[str, Any]]
    public_comment: bool = False  # the rule added a public comment (a reply or a WhatsApp message)


def rule_actions_run(
    *, rule: BusinessRule, ticket: Ticket, tags: Iterable[str], current_user=None, run_listeners: bool
) -> Outcome:
    """Plan a rule's actions (`macros.actions.plan`, the shared implementation), apply them in one `ticket_update`
    by the product itself (actor None), write `trigger.fired` / `automation.fired`, then send its notifications and
    queue its webhook calls."""
    kind = kind_of(rule)
    action_plan = action_steps.plan(rule.actions, ticket=ticket, current_user=current_user, kind=kind)
    before = ticket_snapshot(ticket, tags)
    tags_now = sorted(tags)
    if action_plan.changes or action_plan.comment is not None:
        updated = action_steps.apply(
            action_plan, ticket=ticket, actor=None, source=kind, via=ticket.via, run_listeners=run_listeners
        )
        # Keep what is already loaded (placeholders read the requester, assignee and group).
        for name in ("requester", "assignee", "group"):
            relation = Ticket._meta.get_field(name)
            if getattr(updated, relation.attname) == getattr(ticket, relation.attname) and relation.is_cached(ticket):
                setattr(updated, name, getattr(ticket, name))
        ticket = updated
        tags_now = tags_after(tags_now, action_plan.changes)
    changes = snapshot_diff(before, ticket_snapshot(ticket, tags_now))
    ref = RuleRef.of(rule)
    events.rule_fired(ticket=ticket, kind=kind, rule_id=rule.pk, title=rule.title, changes=changes)
    ticket, sent = notifications_send(notifications=action_plan.notifications, ticket=ticket, rule=ref)
    webhook_delivery.invocations_queue(
        calls=action_plan.webhooks, ticket=ticket, source=kind, rule_id=rule.pk, rule_title=rule.title
    )
    public = (action_plan.comment is not None and action_plan.comment.public) or any(
        record.get("channel") == "whatsapp" for record in sent
    )
    return Outcome(ticket=ticket, tags=tags_now, changes=changes, notifications=sent, public_comment=public)
