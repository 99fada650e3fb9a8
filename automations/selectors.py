"""Every read of the business rules app: the rules in running order, and the facts conditions are checked against."""

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, Exists, OuterRef, Prefetch, QuerySet, Value, When

from automations import queries
from automations.conditions.model import ID_FIELDS, Facts, digits
from automations.models import Automation, AutomationFiring, BusinessRule, Trigger, Webhook
from tickets import languages
from tickets.custom_fields import TicketFieldValues
from tickets.models import AuthorRole, Comment, Group, Ticket, TicketTag

RULE_FIELDS = ("id", "title", "description", "active", "position", "conditions", "actions", "updated_at")


def triggers_active() -> list[Trigger]:
    """The active triggers in running order: one query, whatever their number."""
    return list(Trigger.objects.filter(active=True).order_by("position", "id").only(*RULE_FIELDS))


def automations_active() -> list[Automation]:
    return list(Automation.objects.filter(active=True).order_by("position", "id").only(*RULE_FIELDS))


def rules(model: type[BusinessRule], *, active: bool | None = None) -> QuerySet:
    qs = model.objects.order_by("position", "id")
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def rule_get(model: type[BusinessRule], rule_id: int) -> BusinessRule | None:
    return model.objects.filter(pk=rule_id).first()


def names_for(definitions: Iterable[BusinessRule]) -> dict[str, dict[int, str]]:
    """The names of the users, groups, contacts and webhooks the rules mention (a query per kind mentioned, for the
    rules page)."""
    wanted: dict[str, set[int]] = {"users": set(), "groups": set(), "contacts": set(), "webhooks": set()}
    for rule in definitions:
        for group in ("all", "any"):
            for condition in (rule.conditions or {}).get(group, []):
                kind = ID_FIELDS.get(condition.get("field"))
                value = condition.get("value")
                if kind and isinstance(value, int) and not isinstance(value, bool):
                    wanted[kind].add(value)
        for action in rule.actions or []:
            value = action.get("value")
            if action.get("field") in ("assignee_id", "follower") and isinstance(value, int):
                wanted["users"].add(value)
            elif action.get("field") == "group_id" and isinstance(value, int):
                wanted["groups"].add(value)
            elif action.get("field") in ("notification_user", "notification_group") and isinstance(value, list):
                target = str(value[0]) if value else ""
                if digits(target):
                    wanted["users" if action["field"] == "notification_user" else "groups"].add(int(target))
            elif action.get("field") == "notification_webhook" and isinstance(value, list) and len(value) == 2:
                ident = str(value[0])
                if digits(ident):
                    wanted["webhooks"].add(int(ident))
    from tickets.models import Contact

    names: dict[str, dict[int, str]] = {"users": {}, "groups": {}, "contacts": {}}
    if wanted["users"]:
        for user in get_user_model().objects.filter(pk__in=wanted["users"]):
            names["users"][user.pk] = user.get_full_name() or user.get_username()
    if wanted["groups"]:
        names["groups"] = dict(Group.objects.filter(pk__in=wanted["groups"]).values_list("pk", "name"))
    if wanted["contacts"]:
        names["contacts"] = dict(Contact.objects.filter(pk__in=wanted["contacts"]).values_list("pk", "name"))
    if wanted["webhooks"]:
        names["webhooks"] = dict(Webhook.objects.filter(pk__in=wanted["webhooks"]).values_list("pk", "name"))
    return names


# --- Facts about tickets ---------------------------------------------------------------------------------------


def ticket_tags(ticket_id: int) -> frozenset[str]:
    return frozenset(TicketTag.objects.filter(ticket_id=ticket_id).values_list("name", flat=True))


class TicketTags(AbstractSet):
    """A ticket's tags, read from the database on first use (one query): the trigger cycle hands them to every
    condition, and most updates are settled by conditions that never look at them."""

    def __init__(self, ticket_id: int):
        self._ticket_id = ticket_id
        self._tags: frozenset[str] | None = None

    def _load(self) -> frozenset[str]:
        if self._tags is None:
            self._tags = ticket_tags(self._ticket_id)
        return self._tags

    def __contains__(self, tag: object) -> bool:
        return tag in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def customer_waiting(ticket_id: int) -> bool:
    """The latest public message written by a person (not the product's own) is the customer's."""
    role = (
        Comment.objects.filter(
            ticket_id=ticket_id, public=True, author_role__in=[AuthorRole.END_USER, AuthorRole.AGENT]
        )
        .order_by("-created_at", "-id")
        .values_list("author_role", flat=True)
        .first()
    )
    return role == AuthorRole.END_USER


def has_public_comment(ticket_id: int) -> bool:
    return Comment.objects.filter(ticket_id=ticket_id, public=True).exists()


def facts_for(
    ticket: Ticket,
    *,
    now: datetime,
    tags: frozenset[str],
    customer_waiting: bool,
    requester_locale: bool = True,
    **update,
) -> Facts:
    """The ticket as plain values; `update` adds the trigger-only facts of the update. The requester's language
    costs a query unless the requester is loaded: `requester_locale=False` leaves it out (no rule asks for it)."""
    return Facts(
        now=now,
        status=ticket.status,
        via=ticket.via,
        priority=ticket.priority or None,
        type=ticket.type or None,
        group_id=ticket.group_id,
        assignee_id=ticket.assignee_id,
        requester_id=ticket.requester_id,
        subject=ticket.subject,
        tags=tags,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        status_changed_at=ticket.status_changed_at,
        solved_at=ticket.solved_at,
        last_customer_message_at=ticket.last_customer_message_at,
        customer_waiting=customer_waiting,
        requester_locale=languages.contact_language(ticket.requester) if requester_locale else "",
        custom_fields=TicketFieldValues(ticket.pk),
        **update,
    )


def tickets_with_facts(queryset: QuerySet[Ticket], *, now: datetime) -> list[tuple[Ticket, Facts]]:
    """Tickets and their facts in three queries (tickets with the waiting flag, tags), e.g. to compare the pure
    evaluation of conditions with their database form."""
    annotated = (
        queryset.annotate(
            waiting=Case(
                When(queries.customer_waiting_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            public=Exists(Comment.objects.filter(ticket=OuterRef("pk"), public=True)),
        )
        .select_related("requester")
        .prefetch_related(Prefetch("tag_rows", queryset=TicketTag.objects.only("id", "ticket_id", "name")))
    )
    return [
        (
            ticket,
            facts_for(
                ticket,
                now=now,
                tags=frozenset(t.name for t in ticket.tag_rows.all()),
                customer_waiting=ticket.waiting,
                has_public_comment=ticket.public,
            ),
        )
        for ticket in annotated
    ]


def firings(automation: Automation) -> QuerySet[AutomationFiring]:
    return AutomationFiring.objects.filter(automation=automation).select_related("ticket")
