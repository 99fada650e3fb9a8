"""The trigger engine: Zendesk's trigger cycle, run inside every ticket create and update.

Registered with the core as a change listener (`tickets.hooks.register_change_listener`), so it runs whatever made
the update: the agent page, the API, an inbound WhatsApp message, a macro, an automation. Inside the update's
transaction:

1. the active triggers are taken from this process's cache (`automations.rule_cache`: one query reads the rules
   version; they are loaded and parsed again only after a rule changed);
2. they are checked in position order against the ticket and the update (`automations.conditions`, pure);
3. the first that matches fires: its actions run as one update by the product (`macros.actions.plan`), with
   `run_listeners=False` so the engine does not call itself, then `trigger.fired` is written and its notifications
   are sent (messages and mails leave on commit);
4. if it changed the ticket, checking restarts from the top over the triggers that have not fired, with the
   ticket as it is now (a trigger fires at most once per update); if it changed nothing, checking goes on;
5. after `MAX_PASSES` restarts the cycle stops and logs a warning: a loop of triggers cannot hold an update hostage.

A trigger whose actions fail (say, it assigns an agent who is not in the ticket's group) is rolled back to a
savepoint and logged; the update and the other triggers go on.
"""

import logging
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from automations import rule_cache, selectors
from automations.conditions.evaluate import matches
from automations.conditions.model import VIAS
from automations.firing import rule_actions_run
from automations.models import Trigger
from automations.rule_cache import ActiveTriggers, LoadedTrigger
from tickets.errors import DomainError
from tickets.hooks import TicketChange
from tickets.models import AuthorRole, Ticket
from tickets.permissions import is_admin

logger = logging.getLogger(__name__)

MAX_PASSES = 10
CHANGE_FIELDS = ("status", "priority", "type", "group_id", "assignee_id", "requester_id")


def load_triggers() -> list[LoadedTrigger]:
    """The active triggers in running order, parsed (from this process's cache while the rules are unchanged)."""
    return list(rule_cache.active_triggers())


def _role(change: TicketChange) -> str | None:
    if change.actor is not None:
        return "admin" if is_admin(change.actor) else "agent"
    if change.comment is not None and change.comment.author_role == AuthorRole.END_USER:
        return "end_user"
    return None  # the product itself (an automation, a system note)


def _changes(change: TicketChange) -> dict[str, tuple[Any, Any]]:
    """What the update changed; on creation every field that has a value counts as changed (Zendesk)."""
    if change.update_type == "create":
        ticket = change.ticket
        values = {
            "status": ticket.status,
            "priority": ticket.priority,
            "type": ticket.type,
            "group_id": ticket.group_id,
            "assignee_id": ticket.assignee_id,
            "requester_id": ticket.requester_id,
        }
        return {name: (None, value) for name, value in values.items() if value not in (None, "")}
    return {name: tuple(pair) for name, pair in change.changes.items() if _is_change_field(name)}


def _is_change_field(name: str) -> bool:
    return name in CHANGE_FIELDS or name.startswith("custom_fields_")  # admin-defined ticket fields too


def _customer_waiting(change: TicketChange) -> bool:
    comment = change.comment
    if comment is not None and comment.public and comment.author_role in (AuthorRole.END_USER, AuthorRole.AGENT):
        return comment.author_role == AuthorRole.END_USER  # the update's own message is the latest
    return selectors.customer_waiting(change.ticket.pk)


def _update_facts(change: TicketChange, used: frozenset[str]) -> dict[str, Any]:
    """Who made the update when it was a customer's message, its channel, and (only when a trigger asks) whether
    the ticket has a public comment."""
    comment = change.comment
    by_customer = comment is not None and comment.author_role == AuthorRole.END_USER
    return {
        "current_contact_id": comment.author_contact_id if by_customer else None,
        "current_via": comment.via if comment is not None else (change.source if change.source in VIAS else "web"),
        "has_public_comment": (selectors.has_public_comment(change.ticket.pk) if "ticket_is_public" in used else True),
    }


def on_ticket_change(change: TicketChange) -> None:
    """The change listener: run the trigger cycle for this create or update.

    A rule's own updates never reach here: they are made with `run_listeners=False` (the one loop guard), so a
    trigger that changes the ticket continues this cycle instead of starting another.
    """
    triggers = rule_cache.active_triggers()
    if not triggers.triggers:
        return
    run_cycle(change, triggers)


def run_cycle(change: TicketChange, triggers: ActiveTriggers | list[LoadedTrigger]) -> list[int]:
    """Zendesk's trigger cycle over `triggers` (in running order). Returns the ids of the triggers that fired."""
    if isinstance(triggers, ActiveTriggers):
        used = triggers.fields
    else:
        used = frozenset().union(*(t.conditions.fields for t in triggers))
    ticket: Ticket = change.ticket
    # Read only if a condition asks for them while it is checked (most stop at an earlier condition).
    tags: AbstractSet[str] = selectors.TicketTags(ticket.pk)
    changes = _changes(change)
    facts = selectors.facts_for(
        ticket,
        now=timezone.now(),
        tags=tags,
        customer_waiting=_customer_waiting(change) if "customer_waiting" in used else False,
        requester_locale="locale_id" in used,
        update_type=change.update_type,
        changes=changes,
        comment_public=change.comment.public if change.comment is not None else None,
        comment_body=change.comment.body if change.comment is not None else "",
        current_user_id=change.actor.pk if change.actor is not None else None,
        current_user_role=_role(change),
        **_update_facts(change, used),
    )
    fired: list[int] = []
    passes = 1
    while True:
        restart = False
        for trigger in triggers:
            if trigger.rule.pk in fired or not matches(trigger.conditions, facts):
                continue
            fired.append(trigger.rule.pk)
            outcome = _fire(trigger.rule, ticket=ticket, tags=tags, change=change)
            if outcome is None:
                continue
            ticket = outcome.ticket
            if not outcome.changes:
                continue  # nothing changed: the other triggers see the same ticket, no restart
            tags = frozenset(outcome.tags)
            for name, (old, new) in outcome.changes.items():
                if _is_change_field(name):
                    first = changes.get(name, (old, new))[0]
                    changes[name] = (first, new)
            facts = replace(
                selectors.facts_for(
                    ticket,
                    now=facts.now,
                    tags=tags,
                    customer_waiting=facts.customer_waiting,
                    requester_locale="locale_id" in used,
                ),
                update_type=facts.update_type,
                changes={k: v for k, v in changes.items() if v[0] != v[1]},
                comment_public=facts.comment_public,
                comment_body=facts.comment_body,
                current_user_id=facts.current_user_id,
                current_user_role=facts.current_user_role,
                current_contact_id=facts.current_contact_id,
                current_via=facts.current_via,
                has_public_comment=facts.has_public_comment or bool(outcome.public_comment),
            )
            restart = True
            break
        if not restart:
            return fired
        if passes >= MAX_PASSES:
            waiting = [t.rule.pk for t in triggers if t.rule.pk not in fired and matches(t.conditions, facts)]
            if waiting:
                logger.warning(
                    "Trigger cycle on ticket %s stopped after %s passes (fired %s); not run: %s. "
                    "Check these triggers for a loop.",
                    ticket.pk,
                    MAX_PASSES,
                    fired,
                    waiting,
                )
            return fired
        passes += 1


def _fire(trigger: Trigger, *, ticket: Ticket, tags: AbstractSet[str], change: TicketChange):
    try:
        with transaction.atomic():  # a savepoint: a failing trigger leaves the update as it was
            return rule_actions_run(
                rule=trigger, ticket=ticket, tags=tags, current_user=change.actor, run_listeners=False
            )
    except DomainError as error:
        logger.warning("Trigger %s (%s) could not act on ticket %s: %s", trigger.pk, trigger, ticket.pk, error)
    except Exception:
        logger.exception("Trigger %s (%s) failed on ticket %s", trigger.pk, trigger, ticket.pk)
    return None
