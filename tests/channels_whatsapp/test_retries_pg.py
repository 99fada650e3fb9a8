"""Five agents (or five clicks) press "Retry" on the same failed message at once, on PostgreSQL (real row locks,
real commits): it is queued once, sent once, audited once; the others are told it is already on its way."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from channels_whatsapp import outbound
from channels_whatsapp.models import OutboundSend, WhatsAppConversation
from tests.factories import TicketFactory, WhatsAppContactFactory
from tickets.models import Comment, DeliveryStatus, Event

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 5


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...): SQLite serializes every writer")


def test_retries_at_once_queue_the_message_once(account, agent, monkeypatch):
    contact = WhatsAppContactFactory(wa_id="5511999990000")
    ticket = TicketFactory(
        requester=contact, via="whatsapp", status="open", assignee=agent, last_customer_message_at=timezone.now()
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    failed = Comment.objects.create(
        ticket=ticket,
        author_role="agent",
        author_user=agent,
        body="It ships today.",
        public=True,
        delivery_status="failed",
        delivery_error_code="503",
        delivery_updated_at=timezone.now() - timedelta(minutes=1),
    )
    OutboundSend.objects.create(comment=failed, account=account, state=OutboundSend.State.FAILED, attempts=5)
    enqueued: list[int] = []
    monkeypatch.setattr(outbound, "enqueue_send", enqueued.append)

    url = f"/whatsapp/tickets/{ticket.pk}/comments/{failed.pk}/retry/"
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int | None] = [None] * PARALLEL
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            client = Client()
            client.force_login(agent)
            barrier.wait(timeout=30)
            statuses[index] = client.post(url).status_code
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    assert errors == []
    assert sorted(statuses) == [200] + [400] * (PARALLEL - 1)
    assert enqueued == [failed.pk]
    assert Event.objects.filter(ticket=ticket, type="delivery.retried").count() == 1
    assert Comment.objects.get(pk=failed.pk).delivery_status == DeliveryStatus.QUEUED
    assert OutboundSend.objects.get(comment=failed).state == OutboundSend.State.QUEUED
