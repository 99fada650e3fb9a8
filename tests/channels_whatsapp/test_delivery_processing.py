"""The worker's processing of one stored delivery: its query count, one transaction per delivery, the accounts it
keeps per process (channels_whatsapp/account_cache.py)."""

import pytest
from django.db import IntegrityError

from channels_whatsapp import account_cache, inbound, intake
from channels_whatsapp.models import InboundReceipt, WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.inbound_helpers import text_message, value_of
from tickets.models import Comment, Event

pytestmark = pytest.mark.usefixtures("media_enqueued")

ACCOUNT_TABLE = '"channels_whatsapp_whatsappaccount"'


def stored(post_webhook, body: dict) -> WebhookDelivery:
    """POST a signed webhook without running the worker (its task is enqueued only on commit)."""
    assert post_webhook(body).status_code == 200
    return WebhookDelivery.objects.order_by("-id").first()


def two_messages(first: str, second: str) -> dict:
    body = text_message(first, "First of two")
    value_of(body)["messages"].append({**value_of(body)["messages"][0], "id": second, "text": {"body": "Second"}})
    return body


def statements(captured) -> list[str]:
    """What the worker sent, without the savepoint that stands for the delivery's BEGIN/COMMIT inside a test."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


# --- queries per follow-up message ------------------------------------------------------------------------------


def test_a_follow_up_text_costs_eight_statements(deliver, post_webhook, django_assert_num_queries):
    """Read and lock the delivery (with the accounts' version), the receipt (with the wamid's lock), contact, ticket,
    latest template and waiting updates in one query, the comment, the ticket, its event, the active triggers, the
    delivery marked processed. Inside the test's transaction the delivery's own BEGIN/COMMIT is a savepoint (+2)."""
    deliver(text_message("wamid.q.first", "My parcel did not arrive"))  # opens the ticket, loads the account
    delivery = stored(post_webhook, text_message("wamid.q.second", "Any news?", ts=1760000100))
    with django_assert_num_queries(10) as captured:
        intake.webhook_process(delivery_id=delivery.pk)
    sent = statements(captured)
    assert len(sent) == 8, "\n".join(sent)
    assert not [sql for sql in sent if sql.startswith(f"SELECT {ACCOUNT_TABLE}")]  # the cached account
    comment = Comment.objects.get(channel_message_id="wamid.q.second")
    assert comment.body == "Any news?"
    assert comment.ticket.comments.count() == 2
    assert Event.objects.filter(type="comment.added", data__comment_id=comment.pk, data__attachments=0).exists()


def test_a_follow_up_after_a_closed_ticket_still_opens_the_follow_up(deliver):
    first = deliver(text_message("wamid.c.first", "Hello"))
    assert first.state == WebhookDelivery.State.PROCESSED
    ticket = Comment.objects.get(channel_message_id="wamid.c.first").ticket
    ticket.status = "closed"
    ticket.save()
    deliver(text_message("wamid.c.second", "Hello again", ts=1760000100))
    follow_up = Comment.objects.get(channel_message_id="wamid.c.second").ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_of_id == ticket.pk


# --- one transaction per delivery --------------------------------------------------------------------------------


def test_a_delivery_is_all_or_nothing_then_processed_exactly_once(post_webhook, account, monkeypatch):
    delivery = stored(post_webhook, two_messages("wamid.a.1", "wamid.a.2"))
    real_render = inbound.render_body

    def render_failing_on_the_second(message):
        if message.wamid == "wamid.a.2":
            raise RuntimeError("worker died here")
        return real_render(message)

    monkeypatch.setattr(inbound, "render_body", render_failing_on_the_second)
    with pytest.raises(RuntimeError):
        intake.webhook_process(delivery_id=delivery.pk)
    # Nothing of the first message stayed: no comment, no receipt (else its retry would skip it), still pending.
    assert not Comment.objects.exists()
    assert not InboundReceipt.objects.exists()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (WebhookDelivery.State.PENDING, 0)

    monkeypatch.undo()
    intake.webhook_process(delivery_id=delivery.pk)  # the task's retry, or the sweep
    intake.webhook_process(delivery_id=delivery.pk)  # and a duplicate task on top
    assert sorted(Comment.objects.values_list("channel_message_id", flat=True)) == ["wamid.a.1", "wamid.a.2"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (WebhookDelivery.State.PROCESSED, 1)


def test_a_database_refusal_without_savepoints_is_processed_again_with_them(post_webhook, account, monkeypatch):
    """The first attempt writes the message, then the database refuses something (a lost race): all of it is rolled
    back and the delivery is processed again, with a savepoint per message: one comment, one receipt."""
    delivery = stored(post_webhook, text_message("wamid.r.1", "Hello"))
    real_write = inbound.inbound_message_write
    attempts = []

    def write_then_refused(**kwargs):
        attempts.append(kwargs["message"].wamid)
        real_write(**kwargs)
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(inbound, "inbound_message_write", write_then_refused)
    intake.webhook_process(delivery_id=delivery.pk)
    assert attempts == ["wamid.r.1"]  # the second attempt went through inbound_message_handle
    assert Comment.objects.filter(channel_message_id="wamid.r.1").count() == 1
    assert InboundReceipt.objects.filter(wamid="wamid.r.1").count() == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PROCESSED


# --- accounts kept per process -----------------------------------------------------------------------------------


def test_an_account_changed_in_any_way_is_seen_by_the_next_delivery(deliver, post_webhook, account):
    deliver(text_message("wamid.v.1", "Hello"))
    # Not through save(): nothing in Python announces this change, and updated_at stays as it was.
    WhatsAppAccount.objects.filter(pk=account.pk).update(active=False)
    delivery = stored(post_webhook, text_message("wamid.v.2", "Still there?", ts=1760000100))
    intake.webhook_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert not Comment.objects.filter(channel_message_id="wamid.v.2").exists()
    assert "unknown phone_number_id '106540352242922'" in delivery.notes[0]

    WhatsAppAccount.objects.filter(pk=account.pk).update(active=True, redact_credit_cards=False)
    delivery = stored(post_webhook, text_message("wamid.v.3", "Card 4111 1111 1111 1111", ts=1760000200))
    intake.webhook_process(delivery_id=delivery.pk)
    # The webhook masked it already (its own lookup); the worker's account says not to mask: read fresh, it is False.
    cached = account_cache.account_for_phone_number(
        account.phone_number_id,
        version=WebhookDelivery.objects.annotate(v=account_cache.version_expression()).first().v,
    )
    assert cached.redact_credit_cards is False
    assert Comment.objects.filter(channel_message_id="wamid.v.3").exists()


def test_a_cached_account_is_a_copy(deliver, post_webhook, account, django_assert_num_queries):
    deliver(text_message("wamid.k.1", "Hello"))
    version = WebhookDelivery.objects.annotate(v=account_cache.version_expression()).first().v
    with django_assert_num_queries(0):
        first = account_cache.account_for_phone_number(account.phone_number_id, version=version)
        second = account_cache.account_for_phone_number(account.phone_number_id, version=version)
    first.name = "Changed in memory only"
    assert second.name == "Support line"
    assert account_cache.account_for_phone_number(account.phone_number_id, version=version).name == "Support line"


def test_without_a_version_every_lookup_reads_the_database(account, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert account_cache.account_for_phone_number(account.phone_number_id, version=None) == account
        assert account_cache.account_for_phone_number(account.phone_number_id, version=None) == account
