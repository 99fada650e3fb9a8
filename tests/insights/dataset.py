"""A small desk with known answers, built by hand (docs/insights.md defines each metric; tests/insights/test_metrics.py
states what each metric must say about this desk). All times UTC, in March 2026; "now" is 10 March 12:00.

    T1 Billing, alice, WhatsApp line 1, solved 3 Mar 10:00
        m1 customer sent 2 Mar 09:00 (reached us 09:00:05) -> r1 alice 10:00, read
        r8 alice 2 Mar 11:00, failed 131026
        m2 customer sent 3 Mar 08:00 -> r2 trigger auto-response 08:00:30, delivered; r9 alice 09:00, sent
    T2 Billing, alice, line 1, open
        m3 customer sent 4 Mar 10:00, reached us 30 h late (5 Mar 16:00)
        r3 alice free-form 5 Mar 16:10, failed window_closed; r4 alice template order_update 16:20, delivered
    T3 Sales, bob, line 2, pending
        m4 customer sent 6 Mar 12:00, never answered
        r5 bob 8 Mar 09:00, failed window_closed; r10 bob template order_update 09:05, failed 132001
    T4 Sales, bob, line 2, new: m5 customer sent 10 Mar 09:00 (window open)
    T5 no group, unassigned, line 1, new: m6 customer sent 9 Mar 14:00 (window closes 10 Mar 14:00)
    T6 Billing, alice, web (no WhatsApp), solved 1 Mar 11:00: m7 customer 1 Mar 10:00 -> alice 10:30
    Consent: T1's customer opts in 2 Mar; T3's customer opts out 7 Mar; a contact without tickets opts in 4 Mar.
"""

import datetime as dt
from dataclasses import dataclass

from channels_whatsapp.insights import materialize
from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tests.factories import ContactFactory, TicketFactory, UserFactory, group_with
from tickets.models import Comment, ContactOptInChange, Ticket, TicketStatus, Via

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Desk:
    alice: object
    bob: object
    billing: object
    sales: object
    line1: WhatsAppAccount
    line2: WhatsAppAccount
    tickets: dict


def _ticket(*, created, group, assignee, account, status, via=Via.WHATSAPP, solved=None, subject="") -> Ticket:
    requester = ContactFactory(wa_id=None) if account is None else ContactFactory()
    ticket = TicketFactory(
        group=group, assignee=assignee, status=status, via=via, requester=requester, subject=subject or "ticket"
    )
    if account is not None:
        WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=requester)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, solved_at=solved)
    ticket.refresh_from_db()
    return ticket


def _customer(ticket, *, sent, arrived=None, whatsapp=True) -> Comment:
    comment = Comment.objects.create(
        ticket=ticket,
        author_role="end_user",
        author_contact=ticket.requester,
        body="customer",
        via=Via.WHATSAPP if whatsapp else Via.WEB,
        channel_sent_at=sent if whatsapp else None,
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=arrived or sent)
    last = ticket.last_customer_message_at
    if last is None or sent > last:
        Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=sent)
        ticket.last_customer_message_at = sent
    return comment


def _reply(ticket, *, at, author=None, status=None, code="", template=None, whatsapp=True) -> Comment:
    comment = Comment.objects.create(
        ticket=ticket,
        author_role="agent" if author else "system",
        author_user=author,
        body="reply",
        public=True,
        via=Via.WHATSAPP if whatsapp else Via.WEB,
        delivery_status=status,
        delivery_error_code=code,
        delivery_error_title=f"title of {code}" if code else "",
        template=template,
    )
    Comment.objects.filter(pk=comment.pk).update(created_at=at)
    return comment


def build_desk() -> Desk:
    alice = UserFactory(username="alice", first_name="Alice", last_name="Agent")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Other")
    billing, sales = group_with(alice, name="Billing"), group_with(bob, name="Sales")
    line1 = WhatsAppAccount.objects.create(name="Line 1", phone_number_id="P1", waba_id="W1", access_token="t")
    line2 = WhatsAppAccount.objects.create(name="Line 2", phone_number_id="P2", waba_id="W2", access_token="t")
    template = {"name": "order_update", "language": "en_US"}

    t1 = _ticket(
        created=at(2, 9), group=billing, assignee=alice, account=line1, status=TicketStatus.SOLVED, solved=at(3, 10)
    )
    _customer(t1, sent=at(2, 9), arrived=at(2, 9, 0, 5))
    _reply(t1, at=at(2, 10), author=alice, status="read")
    _reply(t1, at=at(2, 11), author=alice, status="failed", code="131026")
    _customer(t1, sent=at(3, 8))
    _reply(t1, at=at(3, 8, 0, 30), status="delivered")  # a trigger's auto-response
    _reply(t1, at=at(3, 9), author=alice, status="sent")

    t2 = _ticket(created=at(5, 16), group=billing, assignee=alice, account=line1, status=TicketStatus.OPEN)
    _customer(t2, sent=at(4, 10), arrived=at(5, 16))
    _reply(t2, at=at(5, 16, 10), author=alice, status="failed", code="window_closed")
    _reply(t2, at=at(5, 16, 20), author=alice, status="delivered", template=template)

    t3 = _ticket(created=at(6, 12), group=sales, assignee=bob, account=line2, status=TicketStatus.PENDING)
    _customer(t3, sent=at(6, 12))
    _reply(t3, at=at(8, 9), author=bob, status="failed", code="window_closed")
    _reply(t3, at=at(8, 9, 5), author=bob, status="failed", code="132001", template=template)

    t4 = _ticket(created=at(10, 9), group=sales, assignee=bob, account=line2, status=TicketStatus.NEW)
    _customer(t4, sent=at(10, 9))

    t5 = _ticket(created=at(9, 14), group=None, assignee=None, account=line1, status=TicketStatus.NEW)
    _customer(t5, sent=at(9, 14))

    t6 = _ticket(
        created=at(1, 10),
        group=billing,
        assignee=alice,
        account=None,
        status=TicketStatus.SOLVED,
        via=Via.WEB,
        solved=at(1, 11),
    )
    _customer(t6, sent=at(1, 10), whatsapp=False)
    _reply(t6, at=at(1, 10, 30), author=alice, whatsapp=False)

    loner = ContactFactory()
    for contact, opted_in, when in (
        (t1.requester, True, at(2, 12)),
        (t3.requester, False, at(7, 8)),
        (loner, True, at(4, 9)),
    ):
        ContactOptInChange.objects.create(contact=contact, opted_in=opted_in, source="test", created_at=when)
    materialize.refresh()
    tickets = {"T1": t1, "T2": t2, "T3": t3, "T4": t4, "T5": t5, "T6": t6}
    return Desk(alice, bob, billing, sales, line1, line2, tickets)
