"""Running actions (Zendesk's `{"field": ..., "value": ...}`, one implementation for macros, triggers and automations).

* `plan(actions, ticket=..., current_user=...)`: what the actions would do to this ticket, as the arguments of
  `tickets.services.ticket_update` (`ActionPlan.changes`, `ActionPlan.comment`) plus the notifications the rules
  engine sends (`ActionPlan.notifications`). Writes nothing: it reads the ticket and the user, resolves ids to rows
  and fills placeholders by explicit substitution (never the template engine).
* `apply(plan, ticket=..., actor=..., source=...)`: one `ticket_update`, i.e. one audited submit.

Saving a definition checks its actions first (`macros.actions.validate`). Nothing here knows the Macro model; the
caller says what kind of definition it is (`kind`), which decides a few rules, as in Zendesk: only triggers and
automations notify (`notification_user`); only macros may hold WhatsApp template shorthand; only automations may
close a ticket.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from macros import placeholders, selectors
from macros.actions.model import (
    CURRENT_USER,
    ActionError,
    ActionPlan,
    Kind,
    Notification,
    PlacedActionError,
    PlanBuilder,
)
from macros.actions.validate import clean_one, placed
from macros.comment_placeholders import COMMENT_NAMES, LazyValues, comment_values
from tickets import custom_fields
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Ticket, Via
from tickets.services import NewComment


def plan(
    actions: Sequence[dict[str, Any]],
    *,
    ticket: Ticket,
    current_user=None,
    kind: Kind = None,
    site_url: str | None = None,
) -> ActionPlan:
    """What `actions` would do to `ticket` when `current_user` runs them (None for the product itself).

    Writes nothing. Resolves ids to rows (a user or group deleted since the definition was saved is a DomainError),
    fills placeholders by explicit substitution (`macros.placeholders`) and combines the actions in order.
    """
    values = placeholders.values_for(
        ticket=ticket, current_user=current_user, site_url=settings.SITE_URL if site_url is None else site_url
    )
    if "ticket_field_" in repr(actions):  # ticket fields' placeholders: read only when a text may name one
        values.update(custom_fields.placeholder_values(ticket))
    builder = PlanBuilder(
        ticket=ticket,
        current_user=current_user,
        values=_lazy_values(values, ticket, public_only=True),
        agent_values=_lazy_values(values, ticket, public_only=False),
    )
    errors: list[str] = []
    for index, action in enumerate(actions, start=1):
        try:
            handler, value = clean_one(index, action, kind)
            handler.plan(builder, value)
        except PlacedActionError as error:
            errors.append(str(error))
        except ActionError as error:
            errors.append(placed(index, action["field"], str(error)))
    if errors:
        raise DomainError(errors[0], errors={"actions": errors})

    changes = {**builder.changes, **builder.tags.as_changes()}
    body = "\n\n".join(text.strip() for text in builder.texts if text.strip())
    public = True if builder.public is None else builder.public
    comment = NewComment(body=body, public=public) if body else None
    return ActionPlan(
        changes=changes,
        comment=comment,
        notifications=tuple(_notifications(builder, changes)),
        comment_public=builder.public,
        webhooks=tuple(builder.webhooks),
    )


def _notifications(builder: PlanBuilder, changes: dict[str, Any]) -> list[Notification]:
    """Recipients are resolved after every action, so `assignee_id` means the assignee the plan leaves."""
    result = []
    for recipient, subject, body in builder.notifications:
        if recipient in GROUP_RECIPIENTS:
            result.extend(
                Notification(recipient=recipient, subject=subject, body=body, **person)
                for person in _everyone(builder, recipient, changes)
            )
            continue
        user, contact = None, None
        if recipient == "requester_id":
            contact = builder.ticket.requester
        elif recipient == "assignee_id":
            user = changes.get("assignee", builder.ticket.assignee)
        elif recipient == CURRENT_USER:
            user = builder.current_user
        else:
            user = get_user_model().objects.filter(pk=int(recipient), is_active=True).first()
        if user is None and contact is None:
            continue  # nobody to tell (no assignee, no current user): Zendesk skips it too
        result.append(Notification(recipient=recipient, subject=subject, body=body, user=user, contact=contact))
    return result


def _lazy_values(values: dict[str, str], ticket: Ticket, *, public_only: bool) -> LazyValues:
    """The placeholder values, with the ones that need queries (comments, tags, CCs) loaded only when asked for.
    `public_only`: texts that reach customers never show internal notes."""

    def comments() -> dict[str, str]:
        return comment_values(selectors.placeholder_comments(ticket), public_only=public_only)

    def extras() -> dict[str, str]:
        return selectors.placeholder_extras(ticket, names=placeholders.people_names)

    return LazyValues(values, [(COMMENT_NAMES, comments), (placeholders.LOADED_NAMES, extras)])


GROUP_RECIPIENTS = ("requester_and_ccs", "all_agents")


def _everyone(builder: PlanBuilder, recipient: str, changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Zendesk's recipients that are several people: the requester and the ticket's CCs (CCs always by e-mail), or
    every active agent."""
    if recipient == "requester_and_ccs":
        ticket = builder.ticket
        people: list[dict[str, Any]] = [{"contact": ticket.requester}]
        ccs = ticket.email_ccs.exclude(pk=ticket.requester_id).order_by("pk") if ticket.pk else []
        people.extend({"contact": contact, "cc": True} for contact in ccs)
        return people
    return [{"user": user} for user in get_user_model().objects.filter(is_active=True).order_by("pk")]


def apply(
    action_plan: ActionPlan,
    *,
    ticket: Ticket,
    actor=None,
    source: str,
    via: str | None = None,
    run_listeners: bool = True,
) -> Ticket:
    """Carry out a plan's ticket changes and comment in one `ticket_update` (one audited submit).

    Notifications are not sent here: they belong to the rules engine. `via` is the comment's channel (default:
    "api" when `source` is "api", else "web"); `run_listeners=False` keeps a rule's own update from re-running the
    rules.
    """
    return ticket_services.ticket_update(
        ticket=ticket,
        actor=actor,
        changes=action_plan.changes,
        comment=action_plan.comment,
        source=source,
        via=via or (Via.API if source == "api" else Via.WEB),
        run_listeners=run_listeners,
    )
