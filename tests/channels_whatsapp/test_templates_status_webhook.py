"""The template registry: the status webhook, through the real view."""

import pytest

from channels_whatsapp import template_sync
from channels_whatsapp.models import MessageTemplate, WebhookDelivery, WhatsAppAccount
from tests.channels_whatsapp.template_helpers import ORDER_RECEIPT, PROMO_ES, Status, order_update, serve_listing

# --- The status webhook, through the real view ------------------------------------------------------------------


def status_update(waba_id: str, **value) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "time": 1750000000,
                "changes": [{"field": "message_template_status_update", "value": value}],
            }
        ],
    }


@pytest.fixture
def synced(graph, account):
    serve_listing(graph, account.waba_id, [order_update(), ORDER_RECEIPT, PROMO_ES])
    template_sync.templates_sync(account=account)
    return account


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks):
    def run(payload: dict) -> WebhookDelivery:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(payload)
        assert response.status_code == 200
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == WebhookDelivery.State.PROCESSED, delivery.error
        WebhookDelivery.objects.all().delete()
        return delivery

    return run


@pytest.mark.django_db
def test_status_webhook_moves_the_status_and_records_the_reason(synced, deliver):
    delivery = deliver(
        status_update(
            synced.waba_id,
            event="REJECTED",
            message_template_id=1001,
            message_template_name="order_update",
            message_template_language="en_US",
            reason="INCORRECT_CATEGORY",
        )
    )
    template = MessageTemplate.objects.get(name="order_update")
    assert (template.status, template.rejected_reason) == (Status.REJECTED, "INCORRECT_CATEGORY")
    assert delivery.notes == []

    deliver(
        status_update(
            synced.waba_id,
            event="APPROVED",
            message_template_id=1001,
            message_template_name="order_update",
            message_template_language="en_US",
            reason="NONE",
        )
    )
    template.refresh_from_db()
    assert (template.status, template.rejected_reason) == (Status.APPROVED, "")


@pytest.mark.django_db
def test_paused_then_reinstated_is_approved_again(synced, deliver):
    common = {
        "message_template_id": 1002,
        "message_template_name": "order_receipt",
        "message_template_language": "en_US",
    }
    deliver(status_update(synced.waba_id, event="PAUSED", reason="NONE", **common))
    assert MessageTemplate.objects.get(name="order_receipt").status == Status.PAUSED
    deliver(status_update(synced.waba_id, event="FLAGGED", reason="NONE", **common))
    assert MessageTemplate.objects.get(name="order_receipt").status == Status.FLAGGED
    deliver(status_update(synced.waba_id, event="REINSTATED", reason="NONE", **common))
    template = MessageTemplate.objects.get(name="order_receipt")
    assert template.status == Status.APPROVED and template.is_sendable


@pytest.mark.django_db
def test_status_webhook_matches_name_and_dashed_language_when_the_id_is_unknown(synced, deliver):
    deliver(
        status_update(
            synced.waba_id,
            event="DISABLED",
            message_template_id=555,
            message_template_name="spring_promo",
            message_template_language="es-MX",
            reason="SCAM",
            message_template_category="MARKETING",
        )
    )
    template = MessageTemplate.objects.get(name="spring_promo")
    assert (template.status, template.rejected_reason) == (Status.DISABLED, "SCAM")


@pytest.mark.django_db
def test_status_webhook_for_an_unknown_template_or_event_is_a_note(synced, deliver):
    delivery = deliver(
        status_update(
            synced.waba_id,
            event="APPROVED",
            message_template_id=777,
            message_template_name="brand_new",
            message_template_language="en_US",
            reason="NONE",
        )
    )
    assert len(delivery.notes) == 1
    assert "unknown template brand_new (en_US, id 777)" in delivery.notes[0]

    # Another WABA's template of the same name is not ours to change.
    delivery = deliver(
        status_update(
            "other-waba",
            event="DISABLED",
            message_template_id=1001,
            message_template_name="order_update",
            message_template_language="en_US",
        )
    )
    assert "unknown template" in delivery.notes[0]
    assert MessageTemplate.objects.get(name="order_update").status == Status.APPROVED

    delivery = deliver(
        status_update(
            synced.waba_id,
            event="SOMETHING_NEW",
            message_template_id=1001,
            message_template_name="order_update",
            message_template_language="en_US",
        )
    )
    assert "unknown status event 'SOMETHING_NEW'" in delivery.notes[0]
    assert MessageTemplate.objects.get(name="order_update").status == Status.UNKNOWN


@pytest.mark.django_db
def test_status_update_service_reaches_every_account_of_the_waba(graph, account):
    twin = WhatsAppAccount.objects.create(
        name="Twin", phone_number_id="107", waba_id=account.waba_id, access_token="EAAG-twin"
    )
    for acc in (account, twin):
        serve_listing(graph, acc.waba_id, [order_update()])
        template_sync.templates_sync(account=acc)
    from channels_whatsapp.parsing import TemplateStatusUpdate

    notes = template_sync.template_status_update(
        waba_id=account.waba_id,
        update=TemplateStatusUpdate("1001", "order_update", "en_US", "PAUSED", "NONE", ""),
    )
    assert notes == []
    assert set(MessageTemplate.objects.values_list("account_id", "status")) == {
        (account.pk, "PAUSED"),
        (twin.pk, "PAUSED"),
    }
