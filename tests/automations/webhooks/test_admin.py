"""The webhook admin: secrets accepted but never shown, "Send test", the delivery log with its attempts."""

import pytest

from automations.webhooks import delivery
from automations.webhooks.models import Webhook, WebhookInvocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def secret_webhook(make_webhook):
    return make_webhook("https://hooks.example.com/a", auth_type="basic_auth", auth_name="ann", auth_secret="pw-s3cr3t")


def form(**overrides):
    data = {
        "name": "Shop",
        "description": "",
        "endpoint": "https://hooks.example.com/b",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "auth_type": "bearer_token",
        "auth_name": "",
        "auth_secret": "tok-s3cr3t",
    }
    data.update(overrides)
    return data


def test_the_change_page_never_shows_the_secrets(admin_client, secret_webhook):
    html = admin_client.get(f"/admin/automations/webhook/{secret_webhook.pk}/change/").content.decode()
    assert "ann" in html
    assert "pw-s3cr3t" not in html and secret_webhook.signing_secret not in html


def test_add_through_the_admin_and_keep_the_secret_when_left_empty(admin_client):
    response = admin_client.post("/admin/automations/webhook/add/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    webhook = Webhook.objects.get()
    assert (webhook.auth_type, webhook.auth_secret) == ("bearer_token", "tok-s3cr3t")
    response = admin_client.post(
        f"/admin/automations/webhook/{webhook.pk}/change/", form(name="Shop 2", auth_secret="")
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.auth_secret) == ("Shop 2", "tok-s3cr3t")


def test_a_bad_definition_is_a_form_error(admin_client):
    response = admin_client.post("/admin/automations/webhook/add/", form(endpoint="http://127.0.0.1/x", auth_secret=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This address may not be called" in html and "Give the token." in html
    assert not Webhook.objects.exists()


def test_send_test_action_calls_the_endpoint_and_logs_it(admin_client, make_webhook, receiver):
    webhook = make_webhook(f"{receiver.url}/t")
    response = admin_client.post(
        "/admin/automations/webhook/", {"action": "send_test", "_selected_action": [webhook.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "answered 200" in response.content.decode()
    assert len(receiver.requests) == 1
    assert WebhookInvocation.objects.get().source == "test"


def test_the_delivery_log_shows_status_latency_and_excerpt(admin_client, make_webhook, receiver):
    receiver.script = [500, 201]
    webhook = make_webhook(f"{receiver.url}/t")
    invocation = WebhookInvocation.objects.create(webhook=webhook, source="trigger", body="{}")
    delivery.invocation_send(invocation_id=invocation.pk)
    html = admin_client.get(f"/admin/automations/webhookinvocation/{invocation.pk}/change/").content.decode()
    assert "500" in html and "201" in html and "{&quot;answer&quot;: 201}" in html
    listing = admin_client.get("/admin/automations/webhookinvocation/").content.decode()
    assert webhook.name in listing
    page = admin_client.get(f"/admin/automations/webhook/{webhook.pk}/change/").content.decode()
    assert "Recent deliveries" in page and "201" in page
