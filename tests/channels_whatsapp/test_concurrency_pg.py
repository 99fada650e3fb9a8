"""Races between webhook deliveries processed at the same time, on PostgreSQL (real row locks, real commits).

Each thread posts with its own test Client, so each has its own database connection; with transaction=True the
commit really happens, on_commit runs, and django-q2 in sync mode processes the webhook inline in that thread.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from channels_whatsapp.models import InboundReceipt, WebhookDelivery, WhatsAppConversation
from tests.channels_whatsapp.conftest import load_payload, meta_json, sign
from tickets.models import AuthorRole, Comment, Contact, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/whatsapp/webhook/"
PARALLEL = 5


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (run with DATABASE_URL=postgres://...): SQLite serializes every writer, "
            "so these races cannot happen there"
        )


def post_in_parallel(bodies: list[bytes]) -> list[int]:
    """POST every body from its own thread, all released at once; returns the status codes."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def run(index: int, body: bytes) -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post(
                URL, data=body, content_type="application/json", headers={"X-Hub-Signature-256": sign(body)}
            )
            statuses[index] = response.status_code
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    assert errors == []
    return statuses


def text_body(wamid: str, text: str, ts: int) -> bytes:
    body = load_payload("text.json")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id=wamid, timestamp=str(ts), text={"body": text})
    return meta_json(body)


def assert_all_processed(count: int) -> None:
    assert WebhookDelivery.objects.count() == count
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.PROCESSED}


def redeliveries(body: bytes) -> list[bytes]:
    """The same payload as different bytes (trailing whitespace): each is stored, so processing races are tested.
    Byte-identical bodies are stored once (see the test below)."""
    return [body + b" " * i for i in range(PARALLEL)]


def test_same_message_delivered_five_times_at_once_makes_one_comment(account):
    body = meta_json(load_payload("text.json"))
    assert post_in_parallel(redeliveries(body)) == [200] * PARALLEL
    assert_all_processed(PARALLEL)
    assert Comment.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Contact.objects.count() == 1
    assert WhatsAppConversation.objects.count() == 1
    assert InboundReceipt.objects.count() == 1


def test_five_first_messages_of_a_new_contact_at_once_make_one_ticket(account):
    bodies = [text_body(f"wamid.parallel-{i}", f"Message {i}", 1760000000 + i) for i in range(PARALLEL)]
    assert post_in_parallel(bodies) == [200] * PARALLEL
    assert_all_processed(PARALLEL)
    contact = Contact.objects.get()
    ticket = Ticket.objects.get()
    assert ticket.requester == contact
    assert WhatsAppConversation.objects.get().ticket == ticket
    comments = ticket.comments.filter(author_role=AuthorRole.END_USER)
    assert sorted(comments.values_list("body", flat=True)) == [f"Message {i}" for i in range(PARALLEL)]
    assert Comment.objects.count() == PARALLEL
    assert ticket.last_customer_message_at.timestamp() == 1760000000 + PARALLEL - 1


def test_five_first_messages_of_a_known_contact_without_ticket_make_one_ticket(account):
    contact = Contact.objects.create(name="Ana Souza", wa_id="5511999990000")  # e.g. created through the API
    bodies = [text_body(f"wamid.known-{i}", f"Known {i}", 1760000000 + i) for i in range(PARALLEL)]
    assert post_in_parallel(bodies) == [200] * PARALLEL
    assert_all_processed(PARALLEL)
    ticket = Ticket.objects.get()
    assert ticket.requester == contact
    assert ticket.comments.count() == PARALLEL
    assert Contact.objects.count() == 1


def test_five_messages_after_a_closed_ticket_make_one_follow_up(account):
    assert post_in_parallel([text_body("wamid.first", "First problem", 1760000000)]) == [200]
    first = Ticket.objects.get()
    Ticket.objects.filter(pk=first.pk).update(status=TicketStatus.CLOSED)
    bodies = [text_body(f"wamid.again-{i}", f"Again {i}", 1760100000 + i) for i in range(PARALLEL)]
    assert post_in_parallel(bodies) == [200] * PARALLEL
    follow_up = Ticket.objects.exclude(pk=first.pk).get()
    assert follow_up.follow_up_of == first
    assert follow_up.comments.count() == PARALLEL
    assert WhatsAppConversation.objects.count() == 2


def test_same_body_with_several_messages_delivered_at_once(account):
    body = meta_json(load_payload("multi_message.json"))
    assert post_in_parallel(redeliveries(body)) == [200] * PARALLEL
    assert_all_processed(PARALLEL)
    assert list(Comment.objects.order_by("channel_sent_at").values_list("body", flat=True)) == ["One", "Two", "Three"]
    assert Ticket.objects.count() == 1


def test_the_same_bytes_posted_at_once_are_stored_once(account):
    """A replayed body (identical bytes) is acknowledged every time but stored once, even when the copies race."""
    body = meta_json(load_payload("text.json"))
    assert post_in_parallel([body] * PARALLEL) == [200] * PARALLEL
    assert_all_processed(1)
    assert Comment.objects.count() == 1
