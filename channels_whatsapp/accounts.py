"""Connected WhatsApp numbers (create, update, audited) and the channel's state shown on a ticket (the window)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_whatsapp import (
    window,
)
from channels_whatsapp.models import (
    AccountChange,
    WhatsAppAccount,
)
from tickets.errors import DomainError
from tickets.models import Ticket

logger = logging.getLogger(__name__)


# --- Accounts ----------------------------------------------------------------------------------------------------


@transaction.atomic
def account_create(*, actor=None, **fields) -> WhatsAppAccount:
    if WhatsAppAccount.objects.filter(phone_number_id=fields.get("phone_number_id")).exists():
        raise DomainError(_("This phone number id is already connected."), field="phone_number_id")
    return WhatsAppAccount.objects.create(**fields)


@transaction.atomic
def account_update(*, account: WhatsAppAccount, actor=None, **fields) -> WhatsAppAccount:
    changed = {}
    for name, value in fields.items():
        if name == "access_token":
            if value:
                account.access_token = value
                changed[name] = "(changed)"
            continue
        if getattr(account, name) != value:
            changed[name] = [getattr(account, name), value]
            setattr(account, name, value)
    account.save()
    if changed:
        logger.info(
            "WhatsApp account %s changed by %s: %s",
            account.pk,
            getattr(actor, "username", "system"),
            ", ".join(f"{k}={v}" for k, v in changed.items()),
        )
        AccountChange.objects.create(account=account, actor=actor, changes=changed)
    return account


def window_for_ticket(ticket: Ticket, now: datetime | None = None) -> window.Window:
    return window.window_at(ticket.last_customer_message_at, now or timezone.now())


def channel_info(ticket: Ticket) -> dict:
    """The ticket's `whatsapp` object in the API and pages. Reads only the ticket and its prefetched conversation."""
    conversation = getattr(ticket, "whatsapp", None)
    win = window_for_ticket(ticket)
    return {
        "account_id": conversation.account_id if conversation else None,
        "last_customer_message_at": ticket.last_customer_message_at,
        "window": win.as_dict(),
    }
