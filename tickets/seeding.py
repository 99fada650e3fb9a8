"""Demo data for the helpdesk core: agents, groups, contacts and realistic tickets, bulk-inserted.

`seed_core()` is the entry point; `manage.py seed_demo` is a thin adapter around it. Tickets are planned in Python
(subject, conversation, timestamps, status history) and written per batch with one `bulk_create` per table, so the
number of queries grows with the number of batches, not the number of tickets.

Other apps add their own demo data without the core importing them: they call `tickets.hooks.register_seeder()` in
their `AppConfig.ready()` and receive the `CoreDemo` (users, groups, the contacts just created) after the core is
seeded. Who and what the demo is about (people, stories, the mix of statuses) is plain data in tickets/demo_content.py.
"""

import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from tickets import events, roles
from tickets.demo_content import (
    APP_VERSIONS,
    COMMENT_COUNT_WEIGHTS,
    DEMO_GROUPS,
    DEMO_USERS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    FOLLOW_UP_REPLIES,
    LAST_NAMES,
    OPT_IN_SOURCES,
    PLANS,
    PRIORITY_WEIGHTS,
    STATUS_BY_AGE,
    TOPIC_WEIGHTS,
    TOPICS,
)
from tickets.models import (
    AuthorRole,
    Comment,
    Contact,
    ContactOptInChange,
    Event,
    Group,
    Ticket,
    TicketStatus,
    TicketTag,
    Via,
)

DEFAULT_SEED = 20250601
DEFAULT_BATCH_SIZE = 2000
# Demo WhatsApp ids count up from here: 5511987650001, 5511987650002, ... (São Paulo mobile numbers).
WA_ID_PREFIX = "5511"
WA_ID_FIRST = 987650001

ProgressCallback = Callable[[int, int], None]


# --- What seed_core returns -----------------------------------------------------------------------------


@dataclass
class CoreDemo:
    """What the core seeded; handed to the seeders that other apps register."""

    users: dict[str, Any]
    groups: dict[str, Group]
    contacts: list[Contact]
    tickets: int = 0
    comments: int = 0
    events: int = 0
    tags: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    now: datetime | None = None  # the seeding's "now": the newest timestamp any seeder may write

    @property
    def agents(self) -> list[Any]:
        return [u for u in self.users.values() if not u.is_superuser]


# --- Entry points ---------------------------------------------------------------------------------------


def tickets_exist() -> bool:
    return Ticket.objects.exists()


def seed_core(
    *,
    tickets: int,
    rng: random.Random,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> CoreDemo:
    """Demo users and groups (idempotent), then `tickets` new tickets with new contacts."""
    if tickets < 0:
        raise ValueError("tickets must be zero or positive")
    now = now or timezone.now()
    users = ensure_users()
    groups = ensure_groups(users)
    contacts = create_contacts(count=_contacts_for(tickets), rng=rng, users=users, now=now, batch_size=batch_size)
    core = CoreDemo(users=users, groups=groups, contacts=contacts, now=now)
    create_tickets(core=core, count=tickets, rng=rng, now=now, batch_size=batch_size, progress=progress)
    return core


def ensure_users() -> dict[str, Any]:
    """The demo logins; each password is the username. Existing users are left as they are."""
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@supportdesk.example",
                "is_staff": spec.admin,
                "is_superuser": spec.admin,
            },
        )
        if created:
            user.set_password(spec.username)
            user.save(update_fields=["password"])
        if spec.admin:
            # The product-admin role, not only the superuser flag: what is_admin and the Django admin ask for.
            user.groups.add(roles.ensure_product_admins_group())
        users[spec.username] = user
    return users


def ensure_groups(users: dict[str, Any]) -> dict[str, Group]:
    groups = {}
    for name, description in DEMO_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name, defaults={"description": description})
        group.members.add(*[users[s.username] for s in DEMO_USERS if name in s.groups])
        groups[name] = group
    return groups


def _contacts_for(tickets: int) -> int:
    # About three tickets per customer, as in a typical B2C helpdesk.
    return 0 if tickets == 0 else max(5, round(tickets * 0.35))


def create_contacts(
    *, count: int, rng: random.Random, users: dict[str, Any], now: datetime, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[Contact]:
    """`count` new customers: most on WhatsApp (some opted in to templates), some e-mail only."""
    if count == 0:
        return []
    last = Contact.objects.filter(wa_id__startswith=WA_ID_PREFIX).aggregate(last=Max("wa_id"))["last"]
    next_number = max(WA_ID_FIRST, int(last[len(WA_ID_PREFIX) :]) + 1 if last and last.isdigit() else 0)
    agent_ids = [u.pk for u in users.values() if not u.is_superuser]
    contacts = []
    for _ in range(count):
        first, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact = Contact(name=f"{first} {last_name}")
        contact.created_at = contact.updated_at = now - timedelta(days=rng.uniform(31, 400))
        on_whatsapp = rng.random() < 0.65
        if not on_whatsapp or rng.random() < 0.35:
            contact.email = f"{_ascii(first)}.{_ascii(last_name)}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
        if on_whatsapp:
            contact.wa_id = f"{WA_ID_PREFIX}{next_number}"
            contact.phone = f"+{contact.wa_id}"
            next_number += 1
            if rng.random() < 0.7:
                source = rng.choice(OPT_IN_SOURCES)
                contact.whatsapp_opt_in = True
                contact.whatsapp_opt_in_source = source
                contact.whatsapp_opt_in_at = contact.created_at + timedelta(days=rng.uniform(0, 30))
                contact.whatsapp_opt_in_by_id = rng.choice(agent_ids) if source == "agent" else None
        contacts.append(contact)
    with _explicit_timestamps(Contact):
        for start in range(0, len(contacts), batch_size):
            with transaction.atomic():
                Contact.objects.bulk_create(contacts[start : start + batch_size], batch_size=batch_size)
    consents = [
        ContactOptInChange(
            contact=c,
            opted_in=True,
            source=c.whatsapp_opt_in_source,
            actor_id=c.whatsapp_opt_in_by_id,
            created_at=c.whatsapp_opt_in_at,
        )
        for c in contacts
        if c.whatsapp_opt_in_at is not None
    ]
    ContactOptInChange.objects.bulk_create(consents, batch_size=batch_size)
    return contacts


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


# --- Tickets --------------------------------------------------------------------------------------------


@dataclass
class _Message:
    kind: str  # customer, reply, note
    body: str
    at: datetime
    author_id: int | None


@dataclass
class _Plan:
    ticket: Ticket
    messages: list[_Message]
    tags: list[str]
    status_history: list[tuple[str, str, datetime]]  # (from, to, at)
    creator_id: int | None  # the agent who opened it, or None when the customer did
    initial_status: TicketStatus


def create_tickets(
    *,
    core: CoreDemo,
    count: int,
    rng: random.Random,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> None:
    if count == 0:
        return
    contacts = core.contacts or list(Contact.objects.order_by("-id")[:1000])
    if not contacts:
        raise ValueError("no contacts to open tickets for")
    members = {name: list(g.members.order_by("pk").values_list("pk", flat=True)) for name, g in core.groups.items()}
    with _explicit_timestamps(Ticket, Comment, Event):
        done = 0
        while done < count:
            size = min(batch_size, count - done)
            plans = [
                _plan_ticket(rng=rng, now=now, contacts=contacts, groups=core.groups, members=members)
                for _ in range(size)
            ]
            with transaction.atomic():
                _insert(plans, core, batch_size)
            done += size
            if progress is not None:
                progress(done, count)


def _plan_ticket(*, rng, now, contacts, groups, members) -> _Plan:
    # A few loyal customers write a lot; most write once or twice.
    requester = contacts[int(len(contacts) * rng.random() ** 1.8)]
    topic = rng.choices(TOPICS, weights=TOPIC_WEIGHTS)[0]
    story = rng.choice(topic.stories)
    if requester.wa_id and rng.random() < 0.85:
        via = Via.WHATSAPP
    else:
        via = rng.choices([Via.EMAIL, Via.WEB, Via.API], weights=[65, 25, 10])[0] if requester.email else Via.WEB
    roll = rng.random()
    age = timedelta(days=rng.uniform(0, 1) if roll < 0.2 else rng.uniform(1, 5) if roll < 0.4 else rng.uniform(5, 30))
    created = now - age
    status = _pick(rng, next(weights for limit, weights in STATUS_BY_AGE if age.days < limit))
    group_name = topic.group if status != TicketStatus.NEW or rng.random() < 0.5 else None
    group = groups[group_name] if group_name else None
    candidates = members[group_name] if group_name and status != TicketStatus.NEW else []
    assignee_id = rng.choice(candidates) if candidates else None
    agent_created = via == Via.WEB and rng.random() < 0.2 and status != TicketStatus.NEW
    fill = {
        "first": requester.first_name,
        "order": f"#{rng.randint(10000, 99999)}",
        "invoice": f"INV-{now.year}-{rng.randint(1, 9999):04d}",
        "plan": rng.choice(PLANS),
        "seats": rng.choice((5, 10, 12, 25, 40, 50, 120)),
        "ref": rng.randint(1000, 9999),
        "version": rng.choice(APP_VERSIONS),
    }
    kinds = _conversation(rng, status=status, agent_created=agent_created)
    resolved = status in (TicketStatus.SOLVED, TicketStatus.CLOSED)
    messages = _timeline(
        rng,
        kinds=kinds,
        topic=topic,
        story=story,
        fill=fill,
        start=created,
        now=now,
        author_id=assignee_id,
        resolved=resolved,
    )
    last_at = messages[-1].at
    opened_by_agent = agent_created and assignee_id is not None
    history, status_changed_at, solved_at = _status_history(
        rng, status=status, messages=messages, now=now, open_at_creation=opened_by_agent
    )
    customer_times = [m.at for m in messages if m.kind == "customer"]
    ticket = Ticket(
        subject=story.subject.format(**fill),
        status=status,
        priority=_pick(rng, PRIORITY_WEIGHTS),
        type=_pick(rng, topic.types),
        via=via,
        requester_id=requester.pk,
        assignee_id=assignee_id,
        group_id=group.pk if group else None,
        last_customer_message_at=max(customer_times) if customer_times else None,
        status_changed_at=status_changed_at,
        solved_at=solved_at,
        created_at=created,
        updated_at=max(last_at, status_changed_at),
    )
    tags = rng.sample(story.tags, k=min(len(story.tags), rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]))
    initial_status = TicketStatus.OPEN if opened_by_agent else TicketStatus.NEW
    return _Plan(ticket, messages, tags, history, messages[0].author_id if agent_created else None, initial_status)


def _pick(rng: random.Random, weights: dict) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _conversation(rng: random.Random, *, status: str, agent_created: bool) -> list[str]:
    """The kinds of messages, in order, consistent with the ticket's status."""
    if status == TicketStatus.NEW:
        return ["customer"] * rng.choice((1, 1, 2))
    size = _pick(rng, COMMENT_COUNT_WEIGHTS)
    # An agent opens a ticket after a phone call with a note of what was said, then writes to the customer.
    kinds = ["note", "reply"] if agent_created else ["customer"]
    while len(kinds) < size:
        kinds.append(("note" if rng.random() < 0.2 else "reply") if kinds[-1] == "customer" else "customer")
    # Pending, solved and closed wait on the customer: the agent spoke last. On-hold waits on a third party.
    last = {TicketStatus.PENDING: "reply", TicketStatus.SOLVED: "reply", TicketStatus.CLOSED: "reply"}.get(status)
    last = "note" if status == TicketStatus.HOLD else last
    if last and kinds[-1] != last:
        if len(kinds) == 4:
            kinds[-1] = last
        else:
            kinds.append(last)
    return kinds


def _timeline(rng, *, kinds, topic, story, fill, start, now, author_id, resolved) -> list[_Message]:
    gaps = [0.0] + [rng.uniform(0.05, 20) if k == "customer" else rng.uniform(0.1, 8) for k in kinds[1:]]  # hours
    span = max(0.0, (now - start).total_seconds() / 3600 - 0.02)
    scale = min(1.0, span / sum(gaps)) if sum(gaps) else 1.0  # squeeze a recent ticket's conversation into the past
    messages, at, replied = [], start, False
    for index, (kind, gap) in enumerate(zip(kinds, gaps, strict=True)):
        at = at + timedelta(hours=gap * scale)
        if kind == "customer":
            body = story.opener if index == 0 else rng.choice(topic.followups)
        elif kind == "note":
            body = f"Customer called: {story.opener}" if index == 0 else rng.choice(topic.notes)
        elif resolved and index == len(kinds) - 1:
            body = story.resolution
        else:
            body = rng.choice(FOLLOW_UP_REPLIES) if replied else story.reply
            replied = True
        messages.append(_Message(kind, body.format(**fill), at, None if kind == "customer" else author_id))
    return messages


def _status_history(
    rng, *, status, messages, now, open_at_creation
) -> tuple[list[tuple[str, str, datetime]], datetime, datetime | None]:
    """The status changes that led to `status`, as (from, to, at); plus status_changed_at and solved_at."""
    created = messages[0].at
    if status == TicketStatus.NEW:
        return [], created, None
    agent_times = [m.at for m in messages if m.kind != "customer"]
    opened = agent_times[0] if agent_times else created + timedelta(minutes=rng.uniform(1, 30))
    opened = min(opened, now)
    # ticket_create opens an assigned ticket at once; otherwise the first agent action moves it from new to open.
    history = [] if open_at_creation else [(TicketStatus.NEW.value, TicketStatus.OPEN.value, opened)]
    last_agent = agent_times[-1] if agent_times else opened
    if status == TicketStatus.OPEN:
        return history, opened, None
    changed = min(last_agent + timedelta(seconds=rng.uniform(5, 120)), now)
    if status in (TicketStatus.PENDING, TicketStatus.HOLD):
        history.append((TicketStatus.OPEN.value, status, changed))
        return history, changed, None
    history.append((TicketStatus.OPEN.value, TicketStatus.SOLVED.value, changed))
    if status == TicketStatus.SOLVED:
        return history, changed, changed
    closed = min(changed + timedelta(days=4), now - timedelta(minutes=1))
    history.append((TicketStatus.SOLVED.value, TicketStatus.CLOSED.value, max(closed, changed)))
    return history, max(closed, changed), changed


def _insert(plans: Sequence[_Plan], core: CoreDemo, batch_size: int) -> None:
    """One batch: four bulk inserts (tickets, tags, comments, events), ids come back from RETURNING."""
    Ticket.objects.bulk_create([p.ticket for p in plans], batch_size=batch_size)
    tags = [TicketTag(ticket_id=p.ticket.pk, name=name) for p in plans for name in p.tags]
    TicketTag.objects.bulk_create(tags, batch_size=batch_size)
    comments: list[tuple[_Plan, Comment]] = []
    for plan in plans:
        comments.extend((plan, _comment(plan, message)) for message in plan.messages)
    Comment.objects.bulk_create([c for _, c in comments], batch_size=batch_size)
    rows = []
    for plan in plans:
        ticket = plan.ticket
        rows.append(
            Event(
                ticket_id=ticket.pk,
                type=events.TICKET_CREATED,
                actor_id=plan.creator_id,
                created_at=ticket.created_at,
                data={
                    "subject": ticket.subject,
                    "via": ticket.via,
                    "status": plan.initial_status.value,
                    "requester_id": ticket.requester_id,
                    "follow_up_of": None,
                },
            )
        )
        rows.extend(
            Event(
                ticket_id=ticket.pk,
                type=events.FIELD_CHANGED,
                actor_id=ticket.assignee_id,
                created_at=at,
                data={"field": "status", "from": old, "to": new},
            )
            for old, new, at in plan.status_history
        )
    rows.extend(
        Event(
            ticket_id=comment.ticket_id,
            type=events.COMMENT_ADDED,
            actor_id=comment.author_user_id,
            created_at=comment.created_at,
            data={
                "comment_id": comment.pk,
                "public": comment.public,
                "author_role": comment.author_role,
                "via": comment.via,
                "attachments": 0,
            },
        )
        for _, comment in comments
    )
    Event.objects.bulk_create(rows, batch_size=batch_size)
    core.tickets += len(plans)
    core.comments += len(comments)
    core.events += len(rows)
    core.tags += len(tags)
    core.ticket_ids.extend(p.ticket.pk for p in plans)


def _comment(plan: _Plan, message: _Message) -> Comment:
    ticket = plan.ticket
    comment = Comment(ticket_id=ticket.pk, body=message.body, created_at=message.at)
    if message.kind == "customer":
        comment.author_role = AuthorRole.END_USER
        comment.author_contact_id = ticket.requester_id
        comment.via = ticket.via
        comment.channel_sent_at = message.at
        return comment
    # What the channel adds to its tickets' messages (ids, delivery states) is its own seeder's business.
    comment.author_role = AuthorRole.AGENT
    comment.author_user_id = message.author_id
    comment.via = Via.WEB
    comment.public = message.kind == "reply"
    return comment


@contextmanager
def _explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the timestamps we planned instead of stamping `auto_now`/`auto_now_add` with now.

    The flags are switched off on the model fields for the duration of the block and always restored. This is
    process-wide, which is fine for a management command, but keep it out of request handling.
    """
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
