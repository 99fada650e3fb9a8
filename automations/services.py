"""Every write of the business rules app: definitions, the notifications rules send, and the automation sweep.

Who may do what, as in Zendesk: business rules are an admin's to create, change, order and delete; agents may read
them. A definition is checked before it is stored: conditions by `automations.conditions`, actions by
`macros.actions` (the implementation macros share), plus the rules of business rules (no template shorthand
anywhere, Zendesk's time and nullification rule for automations).
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from automations import queries, selectors
from automations.conditions.evaluate import automation_problems
from automations.conditions.model import CURRENT_USER, ID_FIELDS, Conditions, ConditionsInvalid
from automations.conditions.parse import load, parse_conditions, referenced_ids
from automations.models import Automation, AutomationFiring, BusinessRule, Trigger
from macros import shorthand
from macros.actions import plan as action_steps
from macros.actions.model import Notification
from macros.actions.validate import validate_actions
from tickets import events
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import AuthorRole, Comment, Contact, Group, Ticket, TicketStatus, Via
from tickets.permissions import is_admin
from tickets.services import NewComment

logger = logging.getLogger(__name__)

UNSET: Any = object()
KINDS: dict[str, type[BusinessRule]] = {"trigger": Trigger, "automation": Automation}
# An automation acts on at most this many tickets per run; the rest wait for the next run (oldest tickets first).
AUTOMATION_LIMIT_PER_RUN = 1000
# A sweep stops starting new tickets after this many seconds, under the worker's task timeout (Q_CLUSTER timeout 60 s):
# the tickets left wait for the next run, as over the limit.
SWEEP_TIME_BUDGET_SECONDS = 45.0
SHORTHAND_REFUSED = (
    "triggers and automations may not send WhatsApp template messages (template shorthand &((...))&); "
    "use a macro for templates."
)


def kind_of(rule: BusinessRule | type[BusinessRule]) -> str:
    model = rule if isinstance(rule, type) else type(rule)
    return "trigger" if issubclass(model, Trigger) else "automation"


def _check_admin(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied("Only admins may change business rules.")


# --- Checking a definition -------------------------------------------------------------------------------------


def _clean_title(title: Any) -> str:
    title = " ".join(str(title or "").split())
    if not title:
        raise DomainError("A business rule needs a title.", field="title")
    if len(title) > 255:
        raise DomainError("The title is longer than 255 characters.", field="title")
    return title


def _texts_where(value: Any, path: str, found: Callable[[str], bool]) -> list[str]:
    """The places (paths) of the texts of a definition, however deep, for which `found(text)` holds."""
    if isinstance(value, str):
        return [path] if found(value) else []
    if isinstance(value, dict):
        return [
            p for key, item in value.items() for p in _texts_where(item, f"{path}.{key}" if path else str(key), found)
        ]
    if isinstance(value, list | tuple):
        return [p for index, item in enumerate(value) for p in _texts_where(item, f"{path}[{index}]", found)]
    return []


def _shorthand_in(value: Any, path: str) -> list[str]:
    return _texts_where(value, path, shorthand.contains)


def _unstorable(text: str) -> bool:
    """NUL and lone surrogates: PostgreSQL's text and jsonb refuse them."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _nul_in(value: Any, path: str) -> list[str]:
    return _texts_where(value, path, _unstorable)


def _check_ids(parsed: Conditions) -> list[str]:
    found = referenced_ids(parsed)
    models = {"users": get_user_model(), "groups": Group, "contacts": Contact}
    labels = {"users": "user", "groups": "group", "contacts": "contact"}
    missing: list[str] = []
    for kind, ids in found.items():
        if ids:
            existing = set(models[kind].objects.filter(pk__in=ids).values_list("pk", flat=True))
            missing += [f"{labels[kind]} {i}" for i in sorted(ids - existing)]
    problems = []
    for group in ("all", "any"):
        for index, c in enumerate(getattr(parsed, group)):
            if c.field in ID_FIELDS and f"{labels[ID_FIELDS[c.field]]} {c.value}" in missing:
                problems.append(f"conditions.{group}[{index}]: {labels[ID_FIELDS[c.field]]} {c.value} does not exist.")
    return problems


def _current_user_in_actions(actions: Sequence[dict[str, Any]]) -> list[str]:
    problems = []
    for index, action in enumerate(actions, start=1):
        value = action["value"]
        if (action["field"] == "assignee_id" and value == CURRENT_USER) or (
            action["field"] == "notification_user" and value[0] == CURRENT_USER
        ):
            problems.append(
                f"Action {index} ({action['field']}): current_user is the agent making an update; "
                "automations run without one."
            )
    return problems


def definition_clean(
    *, kind: str, title: Any, description: Any = "", conditions: Any = None, actions: Any = None
) -> dict[str, Any]:
    """Check a whole definition and return it normalised; `DomainError` names every bad part (a 400)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, messages: Iterable[str]) -> None:
        messages = list(messages)
        if messages:
            errors.setdefault(key, []).extend(messages)

    try:
        title = _clean_title(title)
    except DomainError as error:
        add("title", [error.message])
    description = str(description or "").strip()
    for path in _shorthand_in({"title": title, "description": description}, ""):
        add(path, [f"{path}: {SHORTHAND_REFUSED}"])
    for path in _shorthand_in(conditions, "conditions"):
        add("conditions", [f"{path}: {SHORTHAND_REFUSED}"])
    definition = {"title": title, "description": description, "conditions": conditions, "actions": actions}
    for path in _nul_in(definition, ""):
        add(
            path.split(".", 1)[0].split("[", 1)[0],
            [f"{path}: contains a character that cannot be stored (NUL or a lone surrogate)."],
        )
    parsed = None
    try:
        parsed = parse_conditions(conditions, kind=kind)
    except ConditionsInvalid as error:
        add("conditions", error.messages)
    if parsed is not None:
        add("conditions", _check_ids(parsed))
        if not list(parsed):
            add("conditions", [f"conditions: a {kind} needs at least one condition."])
    cleaned_actions: list[dict[str, Any]] = []
    try:
        cleaned_actions = validate_actions(actions if actions is not None else [], kind=kind)
    except DomainError as error:
        for key, messages in error.errors.items():
            add(key, messages)
    else:
        if not cleaned_actions:
            add("actions", [f"actions: a {kind} needs at least one action."])
        if kind == "automation":
            add("actions", _current_user_in_actions(cleaned_actions))
    if kind == "automation" and parsed is not None and "actions" not in errors and "conditions" not in errors:
        for problem in automation_problems(parsed, cleaned_actions):
            add(problem.split(":", 1)[0].split(".", 1)[0], [problem])
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, errors=errors)
    return {
        "title": title,
        "description": description,
        "conditions": parsed.as_json() if parsed is not None else Conditions().as_json(),
        "actions": cleaned_actions,
    }


# --- Managing definitions --------------------------------------------------------------------------------------


def _next_position(model: type[BusinessRule]) -> int:
    highest = model.objects.aggregate(top=Max("position"))["top"]
    return 0 if highest is None else highest + 1


@transaction.atomic
def rule_create(
    *,
    kind: str,
    actor,
    title: str,
    conditions: Any = None,  # missing from the request: definition_clean says so (400), not a TypeError (500)
    actions: Any,
    description: str = "",
    active: bool = True,
    position: int | None = None,
) -> BusinessRule:
    """A new trigger or automation; without a position it goes last (Zendesk adds new rules at the end)."""
    _check_admin(actor)
    model = KINDS[kind]
    clean = definition_clean(kind=kind, title=title, description=description, conditions=conditions, actions=actions)
    return model.objects.create(
        **clean,
        active=bool(active),
        position=_next_position(model) if position is None else position,
        created_by=actor,
    )


@transaction.atomic
def rule_update(
    *,
    rule: BusinessRule,
    actor,
    title: str = UNSET,
    description: str = UNSET,
    conditions: Any = UNSET,
    actions: Any = UNSET,
    active: bool = UNSET,
    position: int = UNSET,
) -> BusinessRule:
    """Change only what is given; the whole definition is checked again."""
    _check_admin(actor)
    model = type(rule)
    rule = model.objects.select_for_update().get(pk=rule.pk)
    clean = definition_clean(
        kind=kind_of(model),
        title=rule.title if title is UNSET else title,
        description=rule.description if description is UNSET else description,
        conditions=rule.conditions if conditions is UNSET else conditions,
        actions=rule.actions if actions is UNSET else actions,
    )
    for name, value in clean.items():
        setattr(rule, name, value)
    if active is not UNSET:
        rule.active = bool(active)
    if position is not UNSET:
        rule.position = position
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, rule: BusinessRule, actor) -> None:
    _check_admin(actor)
    rule.delete()


@transaction.atomic
def rule_set_active(*, rule: BusinessRule, actor, active: bool) -> BusinessRule:
    """Switch a rule on or off without checking its definition again (a stored definition was checked)."""
    _check_admin(actor)
    type(rule).objects.filter(pk=rule.pk).update(active=active, updated_at=timezone.now())
    rule.refresh_from_db()
    return rule


@transaction.atomic
def rule_move(*, rule: BusinessRule, actor, direction: str) -> BusinessRule:
    """Move a rule one place up or down in running order; positions are renumbered 0, 1, 2... on the way."""
    _check_admin(actor)
    if direction not in ("up", "down"):
        raise DomainError("Move a rule up or down.", field="direction")
    model = type(rule)
    ordered = list(model.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(ordered) if r.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    now = timezone.now()
    changed = []
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position, item.updated_at = position, now
            changed.append(item)
    model.objects.bulk_update(changed, ["position", "updated_at"])
    return next(r for r in ordered if r.pk == rule.pk)


# --- Notifications (notification_user, notification_group) -----------------------------------------------------


@dataclass(frozen=True)
class RuleRef:
    kind: str  # trigger or automation
    id: int
    title: str

    @classmethod
    def of(cls, rule: BusinessRule) -> "RuleRef":
        return cls(kind=kind_of(rule), id=rule.pk, title=rule.title)


def _send_mail(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:  # a mail outage must not undo the update, which already committed
        logger.exception("Could not e-mail a rule notification to %s (%s)", to, subject)


def _whatsapp_message(*, ticket: Ticket, body: str, rule: RuleRef) -> tuple[Ticket, Comment | None]:
    """A public message with no agent author: the WhatsApp channel sends it inside the 24-hour window, and keeps it
    failed with `window_closed` (a banner to the assignee) outside it. The ticket stays `new` if it was: a rule's
    acknowledgement is not an agent's answer."""
    if ticket.status == TicketStatus.CLOSED:
        logger.info("%s %s: ticket %s is closed, no WhatsApp message sent", rule.kind, rule.id, ticket.pk)
        return ticket, None
    keep_status = {"status": ticket.status} if ticket.status == TicketStatus.NEW else {}
    updated = ticket_services.ticket_update(
        ticket=ticket,
        actor=None,
        changes=keep_status,
        comment=NewComment(body=body, public=True),
        source=rule.kind,
        via=Via.WHATSAPP,
        run_listeners=False,
    )
    # The ticket row stays locked until commit, so the newest system message is the one just written.
    comment = (
        Comment.objects.filter(ticket_id=ticket.pk, author_role=AuthorRole.SYSTEM, public=True).order_by("-id").first()
    )
    return updated, comment


def notifications_send(
    *, notifications: Sequence[Notification], ticket: Ticket, rule: RuleRef
) -> tuple[Ticket, list[dict[str, Any]]]:
    """Send what a rule's `notification_user` / `notification_group` actions planned; each writes `notification.sent`.

    To the requester of a WhatsApp ticket: a WhatsApp message (a public comment with no agent author). To any other
    requester: an e-mail, if they have an address. To an agent (assignee, current user, a user, a group's members):
    an e-mail. E-mails leave on commit. Returns the ticket (fresh if a message was added) and what was sent.
    """
    sent: list[dict[str, Any]] = []
    for notification in notifications:
        record: dict[str, Any] = {
            "rule": rule.kind,
            "rule_id": rule.id,
            "title": rule.title,
            "recipient": notification.recipient,
            "subject": notification.subject,
        }
        if notification.contact is not None and ticket.via == Via.WHATSAPP:
            ticket, comment = _whatsapp_message(ticket=ticket, body=notification.body, rule=rule)
            if comment is None:
                continue
            record.update(channel="whatsapp", contact_id=notification.contact.pk, comment_id=comment.pk)
        else:
            person = notification.contact if notification.contact is not None else notification.user
            address = getattr(person, "email", "") or ""
            if not address:
                logger.info("%s %s: %s has no e-mail address; notification skipped", rule.kind, rule.id, person)
                continue
            subject = notification.subject.strip() or f"[#{ticket.pk}] {ticket.subject}"
            transaction.on_commit(partial(_send_mail, to=address, subject=subject, body=notification.body))
            record.update(channel="email", to=address, subject=subject)
            if notification.contact is not None:
                record["contact_id"] = notification.contact.pk
            else:
                record["user_id"] = notification.user.pk
        events.record(ticket=ticket, type=events.NOTIFICATION_SENT, data=record)
        sent.append(record)
    return ticket, sent


# --- Running a rule's actions on a ticket ----------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The fields rules change, to tell what a rule changed."""

    values: dict[str, Any]

    @classmethod
    def of(cls, ticket: Ticket, tags: Iterable[str]) -> "Snapshot":
        return cls(
            {
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "type": ticket.type,
                "group_id": ticket.group_id,
                "assignee_id": ticket.assignee_id,
                "tags": sorted(tags),
            }
        )

    def diff(self, after: "Snapshot") -> dict[str, list[Any]]:
        return {k: [v, after.values[k]] for k, v in self.values.items() if v != after.values[k]}


def tags_after(current: Iterable[str], changes: dict[str, Any]) -> list[str]:
    """The tag arithmetic of `tickets.services.ticket_update`: replace, then add, then remove (already normalised)."""
    tags = list(changes["tags"]) if "tags" in changes else list(current)
    tags += [t for t in changes.get("add_tags", ()) if t not in tags]
    removed = set(changes.get("remove_tags", ()))
    return sorted(t for t in tags if t not in removed)


@dataclass
class Outcome:
    ticket: Ticket
    tags: list[str]
    changes: dict[str, list[Any]]
    notifications: list[dict[str, Any]]


def rule_actions_run(
    *, rule: BusinessRule, ticket: Ticket, tags: Iterable[str], current_user=None, run_listeners: bool
) -> Outcome:
    """Plan a rule's actions (`macros.actions`, the shared implementation), apply them in one `ticket_update` by the
    product itself (actor None), write `trigger.fired` / `automation.fired`, then send its notifications."""
    kind = kind_of(rule)
    action_plan = action_steps.plan(rule.actions, ticket=ticket, current_user=current_user, kind=kind)
    before = Snapshot.of(ticket, tags)
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
    changes = before.diff(Snapshot.of(ticket, tags_now))
    ref = RuleRef.of(rule)
    events.record(
        ticket=ticket,
        type=events.TRIGGER_FIRED if kind == "trigger" else events.AUTOMATION_FIRED,
        data={f"{kind}_id": rule.pk, "title": rule.title, "changes": changes},
    )
    ticket, sent = notifications_send(notifications=action_plan.notifications, ticket=ticket, rule=ref)
    return Outcome(ticket=ticket, tags=tags_now, changes=changes, notifications=sent)


# --- The automation sweep --------------------------------------------------------------------------------------


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
        head = (
            f"{len(self.automations)} automation(s): {self.matched} ticket(s) matched, {self.fired} fired, "
            f"{self.failed} failed in {self.seconds:.2f} s"
        )
        lines = [head]
        for a in self.automations:
            more = " (limit reached: the rest wait for the next run)" if a.capped else ""
            if a.deferred:
                more += f" ({a.deferred} left for the next run: time budget reached)"
            lines.append(
                f"  #{a.automation_id} {a.title}: {a.matched} matched, {a.fired} fired, {a.failed} failed{more}"
            )
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
    sweep's query, or another sweep may have fired), then the actions, the event, the firing."""
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


def run_automations(
    *,
    now: datetime | None = None,
    limit: int = AUTOMATION_LIMIT_PER_RUN,
    time_budget: float = SWEEP_TIME_BUDGET_SECONDS,
) -> RunSummary:
    """One sweep: every active automation in position order, each over the tickets its conditions select.

    The selection is one query per automation (conditions as SQL, `automations.queries`), so tickets that do not
    match cost nothing. Each matched ticket is updated in its own transaction; a ticket whose update fails (say, the
    assignee left the group) is logged and counted, and the others go on. At most `limit` tickets per automation,
    and no new ticket is started after `time_budget` seconds: what is left waits for the next run.
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
        for position, ticket_id in enumerate(ids):
            if time.monotonic() - started > time_budget:
                run.deferred = len(ids) - position
                break
            try:
                if _fire_automation(automation=automation, parsed=parsed, ticket_id=ticket_id, now=now):
                    run.fired += 1
            except (DomainError, PermissionDenied) as error:
                run.failed += 1
                logger.warning(
                    "Automation %s (%s) failed on ticket %s: %s", automation.pk, automation, ticket_id, error
                )
            except Exception:
                run.failed += 1
                logger.exception("Automation %s (%s) failed on ticket %s", automation.pk, automation, ticket_id)
    summary.seconds = time.monotonic() - started
    logger.info("Automations run: %s", summary)
    return summary
