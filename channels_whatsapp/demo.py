"""Demo data for the WhatsApp channel: the simulator-wired account, and for the core's WhatsApp tickets their message
ids, delivery states and links to that account."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tickets.models import AuthorRole, Comment, Contact, DeliveryStatus, Ticket, Via

if TYPE_CHECKING:
    from channels_whatsapp.simulator.history import HistoryConversation

DEMO_PHONE_NUMBER_ID = "SIMPHONE1"
DEMO_WABA_ID = "SIMWABA1"
# What a failed demo reply says (the Cloud API's error for a closed 24-hour window).
FAILED_DELIVERY = {
    "code": "131047",
    "title": "Re-engagement message",
    "detail": "More than 24 hours have passed since the recipient last replied to the sender number.",
}
# Other reasons a demo reply failed, as the Cloud API words them, so that insights show failures by code.
OTHER_FAILURES = (
    {"code": "131026", "title": "Message Undeliverable", "detail": "Unable to deliver message."},
    {
        "code": "131049",
        "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        "detail": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    },
)
# The phone's chat list holds the most recently active demo customers; older ones can still write from it.
PHONE_HISTORY_CONTACTS = 500


def demo_account() -> tuple[WhatsAppAccount, bool]:
    account, created = WhatsAppAccount.objects.get_or_create(
        phone_number_id=DEMO_PHONE_NUMBER_ID,
        defaults={
            "name": "Demo support line (simulator)",
            "waba_id": DEMO_WABA_ID,
            "display_phone_number": "15550001111",
            "access_token": "simulator-demo-token",
            "templates_enabled": True,
        },
    )
    demo_templates_load(account)
    return account, created


def demo_templates_load(account: WhatsAppAccount) -> dict | None:
    """The simulator's template registry, read in-process (seeding runs before the server can answer HTTP).

    Only when the account has no templates yet; afterwards the daily sync, the admin action "Sync templates
    from WhatsApp" or `manage.py sync_whatsapp_templates` keep them current, over HTTP like with Meta.
    """
    from channels_whatsapp import template_sync
    from channels_whatsapp.simulator import protocol, seed_templates
    from channels_whatsapp.simulator import selectors as sim_selectors

    if account.templates.exists():
        return None
    seed_templates.templates_ensure_seeded()
    listing = [protocol.template_json(t) for t in sim_selectors.templates_for_waba(account.waba_id).order_by("pk")]
    return template_sync.templates_store(account=account, listing=listing)


def mark_messages(core, batch_size: int = 2000) -> int:
    """The core's new demo WhatsApp tickets as the channel leaves them: each customer message and public reply has its
    wamid; each reply its delivery state (mostly read, one in ten failed, most for a closed window), derived from the ticket id and the message's
    place in the conversation, so the same seed gives the same data."""
    now = core.now or timezone.now()
    marked = 0
    for start in range(0, len(core.ticket_ids), batch_size):
        ids = core.ticket_ids[start : start + batch_size]
        comments = Comment.objects.filter(ticket_id__in=ids, ticket__via=Via.WHATSAPP).order_by("ticket_id", "pk")
        changed, ticket_id, index = [], None, 0
        for comment in comments:
            index = index + 1 if comment.ticket_id == ticket_id else 0
            ticket_id = comment.ticket_id
            if comment.author_role == AuthorRole.END_USER or comment.public:
                _mark(comment, index, now)
                changed.append(comment)
        fields = ["channel_message_id", "message_type", "delivery_status", "delivery_updated_at"]
        fields += ["delivery_error_code", "delivery_error_title", "delivery_error_detail"]
        with transaction.atomic():
            Comment.objects.bulk_update(changed, fields, batch_size=batch_size)
        marked += len(changed)
    return marked


def _mark(comment: Comment, index: int, now) -> None:
    comment.channel_message_id = f"wamid.DEMO.{comment.ticket_id}.{index}"
    comment.message_type = "text"
    if comment.author_role == AuthorRole.END_USER:
        return
    # An agent's reply on a WhatsApp ticket leaves through the channel and reports its delivery.
    digest = (comment.ticket_id * 7919 + index) % 100
    comment.delivery_status = (
        DeliveryStatus.READ
        if digest < 60
        else DeliveryStatus.DELIVERED
        if digest < 85
        else DeliveryStatus.SENT
        if digest < 90
        else DeliveryStatus.FAILED
    )
    comment.delivery_updated_at = min(now, comment.created_at + timedelta(seconds=5 + digest * 3))
    if comment.delivery_status == DeliveryStatus.FAILED:
        failure = FAILED_DELIVERY if digest < 95 else OTHER_FAILURES[digest % 2]
        comment.delivery_error_code = failure["code"]
        comment.delivery_error_title = failure["title"]
        comment.delivery_error_detail = failure["detail"]


def link_whatsapp_tickets(account: WhatsAppAccount, batch_size: int = 2000) -> int:
    """Give every WhatsApp ticket without a conversation one on the demo number, so agents can reply to it."""
    unlinked = (
        Ticket.objects.filter(via=Via.WHATSAPP, whatsapp__isnull=True, requester__wa_id__isnull=False)
        .values_list("pk", "requester_id")
        .iterator(chunk_size=batch_size)
    )
    rows, created = [], 0
    for ticket_id, contact_id in unlinked:
        rows.append(WhatsAppConversation(ticket_id=ticket_id, account=account, contact_id=contact_id))
        if len(rows) >= batch_size:
            created += len(WhatsAppConversation.objects.bulk_create(rows, ignore_conflicts=True))
            rows = []
    if rows:
        created += len(WhatsAppConversation.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def phone_history(account: WhatsAppAccount, *, contacts: int = PHONE_HISTORY_CONTACTS) -> list["HistoryConversation"]:
    """The demo's WhatsApp customers as their phones remember the chat with this number: the customer's messages and
    the business's public replies that reached Meta (queued ones never left), oldest first. Customers on WhatsApp
    who never wrote come too (no messages), so the tester can write as any of them."""
    from channels_whatsapp.simulator.history import HistoryConversation, HistoryMessage

    customers = list(
        Contact.objects.filter(wa_id__isnull=False)
        .annotate(
            last=Max("whatsapp_conversations__ticket__updated_at", filter=Q(whatsapp_conversations__account=account))
        )
        .order_by(F("last").desc(nulls_last=True), "-id")
        .values_list("pk", "wa_id", "name", "created_at")[:contacts]
    )
    conversations: dict[str, HistoryConversation] = {
        wa_id: HistoryConversation(wa_id=wa_id, name=name, known_since=created_at)
        for _pk, wa_id, name, created_at in customers
    }
    comments = (
        Comment.objects.filter(
            ticket__whatsapp__account=account,
            ticket__requester_id__in=[pk for pk, *_rest in customers],
            public=True,
            channel_message_id__isnull=False,
            author_role__in=[AuthorRole.END_USER, AuthorRole.AGENT],
        )
        .exclude(channel_message_id="")
        .exclude(author_role=AuthorRole.AGENT, delivery_status__isnull=True)
        .exclude(author_role=AuthorRole.AGENT, delivery_status="queued")
        .values_list(
            "ticket__requester__wa_id",
            "channel_message_id",
            "author_role",
            "body",
            "created_at",
            "channel_sent_at",
            "delivery_status",
            "delivery_error_code",
            "template",
        )
        .order_by("created_at", "id")
    )
    for wa_id, wamid, role, body, created_at, sent_at, status, error_code, template in comments.iterator():
        conversation = conversations[wa_id]
        template = template if isinstance(template, dict) else {}
        conversation.messages.append(
            HistoryMessage(
                wamid=wamid,
                inbound=role == AuthorRole.END_USER,
                text=body,
                sent_at=sent_at or created_at,
                status=status or "",
                error_code=error_code or "",
                template_name=str(template.get("name") or ""),
                template_language=str(template.get("language") or ""),
            )
        )
    return list(conversations.values())


def phone_history_load(account: WhatsAppAccount) -> tuple[int, int]:
    """Seed the simulator's phone with the demo's conversations (idempotent): (new contacts, new messages)."""
    from channels_whatsapp.simulator.history import phone_history_seed

    seeded = phone_history_seed(phone_number_id=account.phone_number_id, conversations=phone_history(account))
    return seeded.contacts, seeded.messages


def seed(core, rng) -> str:
    account, _created = demo_account()
    mark_messages(core)
    linked = link_whatsapp_tickets(account)
    contacts, messages = phone_history_load(account)
    return _(
        "WhatsApp: account %(number)s (simulator), %(linked)s ticket(s) linked to it; the simulator's phone holds "
        "%(contacts)s new contact(s) and %(messages)s message(s) of their conversations"
    ) % {"number": account.phone_number_id, "linked": linked, "contacts": contacts, "messages": messages}
