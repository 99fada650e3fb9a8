"""The notifications rules send (`notification_user`, `notification_group`): a WhatsApp message to a WhatsApp
requester, an e-mail to anyone else; each writes `notification.sent`. Mails leave on commit.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from automations.models import BusinessRule
from automations.rules import kind_of
from macros.actions.model import Notification
from tickets import events
from tickets import services as ticket_services
from tickets.models import AuthorRole, Comment, Ticket, TicketStatus, Via
from tickets.services import NewComment

logger = logging.getLogger(__name__)


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
        if notification.contact is not None and ticket.via == Via.WHATSAPP and not notification.cc:
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
                if notification.cc:
                    record["cc"] = True
            else:
                record["user_id"] = notification.user.pk
        events.notification_sent(ticket=ticket, data=record)
        sent.append(record)
    return ticket, sent
