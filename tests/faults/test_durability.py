"""Cheap fault drills (bench/faults.py runs the same with real processes): a lost task, a worker that died after
commit, a broker that is down, a database that refuses the insert. Nothing acknowledged is lost, nothing is done twice.
"""

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from channels_whatsapp import intake, tasks
from channels_whatsapp.models import WebhookDelivery
from tests.channels_whatsapp.conftest import meta_json, sign
from tickets.models import Comment

URL = "/whatsapp/webhook/"
pytestmark = pytest.mark.django_db(transaction=True)


def inbound(wamid: str, wa_id: str = "5511900000001", text: str = "Hello") -> bytes:
    return meta_json(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550001111",
                                    "phone_number_id": "106540352242922",
                                },
                                "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": "1764000000",
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    )


def post(client, body: bytes):
    return client.post(URL, data=body, content_type="application/json", headers={"X-Hub-Signature-256": sign(body)})


@pytest.fixture
def broker_down(monkeypatch):
    """The enqueue after commit fails, as when Redis is down or the worker took the task and died."""

    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("django_q.tasks.async_task", refuse)


def age_pending(seconds: int = 120) -> None:
    WebhookDelivery.objects.filter(state="pending").update(
        received_at=timezone.now() - timezone.timedelta(seconds=seconds)
    )


def test_acknowledged_while_the_broker_is_down_then_the_sweep_makes_each_one_comment(
    client, account, broker_down, monkeypatch
):
    for i in range(3):
        assert post(client, inbound(f"wamid.lost.{i}", wa_id=f"551190000000{i}")).status_code == 200
    assert WebhookDelivery.objects.filter(state="pending").count() == 3
    assert Comment.objects.filter(channel_message_id__startswith="wamid.lost.").count() == 0

    monkeypatch.undo()  # the broker is back (sync mode: the re-enqueued task runs inline)
    age_pending()
    assert tasks.sweep().startswith("requeued 3")
    assert Comment.objects.filter(channel_message_id__startswith="wamid.lost.").count() == 3
    assert not WebhookDelivery.objects.filter(state="pending").exists()
    assert tasks.sweep().startswith("requeued 0")  # nothing is enqueued twice once processed


def test_a_fresh_pending_row_is_left_to_the_worker_that_has_it(client, account, broker_down):
    assert post(client, inbound("wamid.fresh.1")).status_code == 200
    assert tasks.sweep().startswith("requeued 0")  # younger than a minute: probably still queued


def test_worker_died_after_commit_redelivery_adds_no_second_comment(client, account, broker_down):
    """A worker can die after the message's transaction committed but before the row was marked processed: the
    sweep then hands it out again, and the receipt per wamid keeps it to one comment."""
    assert post(client, inbound("wamid.twice.1")).status_code == 200
    delivery = WebhookDelivery.objects.get()
    intake.webhook_process(delivery_id=delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="pending")  # as if killed before this update
    intake.webhook_process(delivery_id=delivery.pk)
    intake.webhook_process(delivery_id=delivery.pk)  # and a duplicate task on top
    assert Comment.objects.filter(channel_message_id="wamid.twice.1").count() == 1
    assert WebhookDelivery.objects.get().state == "processed"


def test_the_same_message_in_two_deliveries_processed_concurrently_is_one_comment(client, account, broker_down):
    """Meta redelivers a message it had no 200 for; both copies are stored, both processed: one comment."""
    body = inbound("wamid.dup.1")
    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 200
    for delivery in WebhookDelivery.objects.order_by("id"):
        intake.webhook_process(delivery_id=delivery.pk)
    assert Comment.objects.filter(channel_message_id="wamid.dup.1").count() == 1


def test_database_refusing_the_insert_is_not_a_200(account):
    """PostgreSQL restarting: the insert fails, the answer is not 200, so Meta retries; nothing half-stored."""
    from django.test import Client

    def down(execute, sql, params, many, context):
        if sql.startswith(f'INSERT INTO "{WebhookDelivery._meta.db_table}"'):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(down):  # the database itself refuses the statement, however it is written
        response = post(Client(raise_request_exception=False), inbound("wamid.pgdown.1"))
    assert response.status_code >= 500
    assert not WebhookDelivery.objects.exists()
    assert post(Client(), inbound("wamid.pgdown.1")).status_code == 200  # Meta's retry
    assert Comment.objects.filter(channel_message_id="wamid.pgdown.1").count() == 1
