"""Demo data for the WhatsApp channel: the simulator-wired account, and links for the core's WhatsApp tickets."""

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tickets.models import Ticket, Via

DEMO_PHONE_NUMBER_ID = "SIMPHONE1"
DEMO_WABA_ID = "SIMWABA1"


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
    from channels_whatsapp import templates
    from channels_whatsapp.simulator import protocol
    from channels_whatsapp.simulator import selectors as sim_selectors
    from channels_whatsapp.simulator import services as sim_services

    if account.templates.exists():
        return None
    sim_services.templates_ensure_seeded()
    listing = [protocol.template_json(t) for t in sim_selectors.templates_for_waba(account.waba_id).order_by("pk")]
    return templates.templates_store(account=account, listing=listing)


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


def seed(core, rng) -> str:
    account, _ = demo_account()
    linked = link_whatsapp_tickets(account)
    return f"WhatsApp: account {account.phone_number_id} (simulator), {linked} ticket(s) linked to it"
