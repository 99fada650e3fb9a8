"""What the webhook's acknowledgement costs the database: one statement for a message without a card number."""

from datetime import timedelta

from django.utils import timezone

from channels_whatsapp import intake
from channels_whatsapp.models import WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.conftest import meta_json, payload, sign
from tests.channels_whatsapp.inbound_helpers import text_message

CARD = "4111 1111 1111 1111"


def receive(body: dict) -> WebhookDelivery:
    raw = meta_json(body)
    return intake.webhook_receive(body=raw, signature=sign(raw))


def test_a_message_without_a_card_number_is_one_insert(account, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:  # no replay SELECT, no account lookup, no savepoint
        stored = receive(text_message("wamid.s.1", "Where is my order?"))
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "channels_whatsapp_webhookdelivery"')
    assert WebhookDelivery.objects.get().pk == stored.pk
    assert stored.received_at is not None and stored.state == WebhookDelivery.State.PENDING


def test_a_card_number_reads_the_accounts_choice(account, django_assert_num_queries):
    with django_assert_num_queries(2):
        receive(text_message("wamid.s.2", f"My card {CARD}"))
    assert CARD not in str(WebhookDelivery.objects.get().payload)
    WhatsAppAccount.objects.filter(pk=account.pk).update(redact_credit_cards=False)
    receive(text_message("wamid.s.3", f"My card {CARD}"))
    assert CARD in str(WebhookDelivery.objects.order_by("-id").first().payload)  # the account opted out


def test_a_replay_from_yesterday_within_24_hours_is_not_stored_again(account):
    body = payload("text")
    first = receive(body)
    earlier = timezone.now() - timedelta(hours=23)
    WebhookDelivery.objects.filter(pk=first.pk).update(
        received_at=earlier, received_day=(timezone.now() - timedelta(days=1)).date()
    )
    again = receive(body)
    assert again.pk == first.pk
    assert WebhookDelivery.objects.count() == 1
