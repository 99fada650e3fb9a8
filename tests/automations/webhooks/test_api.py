"""`/api/webhooks/`: Zendesk's JSON in and out, admins only, secrets write-only, every problem in one 400, the
signing secret and test calls as in Zendesk."""

import json

import pytest

from automations.webhooks.models import Webhook, WebhookInvocation
from tests.automations.conftest import act, cond

pytestmark = pytest.mark.django_db

SECRETS = ("pa55-word", "tok-abc-123", "key-value-xyz")


def zendesk_webhook(**overrides):
    """A create request as Zendesk's API documentation writes one."""
    webhook = {
        "name": "Example Webhook",
        "status": "active",
        "endpoint": "https://example.com/status/200",
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": {
            "type": "basic_auth",
            "data": {"username": "example_username", "password": "pa55-word"},
            "add_position": "header",
        },
    }
    webhook.update(overrides)
    return {"webhook": webhook}


def test_create_with_zendesk_json_and_read_back_without_secrets(admin_api):
    response = admin_api.post("/api/webhooks/", zendesk_webhook(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("name", "endpoint", "http_method", "request_format", "status")} == {
        "name": "Example Webhook",
        "endpoint": "https://example.com/status/200",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
    }
    assert body["authentication"] == {
        "type": "basic_auth",
        "add_position": "header",
        "data": {"username": "example_username"},
    }
    webhook = Webhook.objects.get(pk=body["id"])
    assert webhook.auth_secret == "pa55-word"
    for url in ("/api/webhooks/", f"/api/webhooks/{webhook.pk}/"):
        text = admin_api.get(url).content.decode()
        assert "pa55-word" not in text and webhook.signing_secret not in text


@pytest.mark.parametrize(
    ("authentication", "secret", "shown"),
    [
        ({"type": "bearer_token", "data": {"token": "tok-abc-123"}, "add_position": "header"}, "tok-abc-123", {}),
        (
            {"type": "api_key", "data": {"name": "X-Api-Key", "value": "key-value-xyz"}, "add_position": "header"},
            "key-value-xyz",
            {"name": "X-Api-Key"},
        ),
    ],
)
def test_other_authentications_keep_their_secret_write_only(admin_api, authentication, secret, shown):
    response = admin_api.post("/api/webhooks/", zendesk_webhook(authentication=authentication), format="json")
    assert response.status_code == 201, response.content
    assert secret not in response.content.decode()
    assert response.json()["authentication"]["data"] == shown
    assert Webhook.objects.get().auth_secret == secret


def test_without_authentication_and_unwrapped(admin_api):
    data = zendesk_webhook(authentication=None)["webhook"]
    response = admin_api.post("/api/webhooks/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["authentication"]["type"] == "none"


def test_every_problem_is_named_in_one_400(admin_api):
    response = admin_api.post(
        "/api/webhooks/",
        zendesk_webhook(
            name="",
            endpoint="ftp://example.com/x",
            http_method="TRACE",
            request_format="yaml",
            authentication={"type": "bearer_token", "data": {}},
            custom_headers={"X-A": "b"},
        ),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"name", "endpoint", "http_method", "request_format", "authentication", "custom_headers"} <= set(errors)
    assert not Webhook.objects.exists()


def test_zendesk_read_only_keys_are_ignored(admin_api):
    response = admin_api.post(
        "/api/webhooks/",
        zendesk_webhook(id="01GAYC", created_at="2021-01-01T00:00:00Z", created_by="-1", signing_secret=None),
        format="json",
    )
    assert response.status_code == 201, response.content


def test_an_unknown_key_is_refused(admin_api):
    response = admin_api.post("/api/webhooks/", zendesk_webhook(colour="red"), format="json")
    assert response.status_code == 400 and "colour" in response.content.decode()


def test_a_refused_address_is_a_400(admin_api):
    response = admin_api.post("/api/webhooks/", zendesk_webhook(endpoint="http://169.254.169.254/x"), format="json")
    assert response.status_code == 400 and "endpoint" in response.json()


def test_patch_changes_only_what_is_sent_and_keeps_the_secret(admin_api):
    created = admin_api.post("/api/webhooks/", zendesk_webhook(), format="json").json()
    response = admin_api.patch(f"/api/webhooks/{created['id']}/", {"webhook": {"status": "inactive"}}, format="json")
    assert response.status_code == 200, response.content
    webhook = Webhook.objects.get()
    assert (webhook.status, webhook.name, webhook.auth_secret) == ("inactive", "Example Webhook", "pa55-word")
    response = admin_api.put(
        f"/api/webhooks/{created['id']}/",
        {"authentication": {"type": "basic_auth", "data": {"username": "other"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    webhook.refresh_from_db()
    assert (webhook.auth_name, webhook.auth_secret) == ("other", "pa55-word")


def test_switching_authentication_needs_the_new_secret(admin_api):
    created = admin_api.post("/api/webhooks/", zendesk_webhook(), format="json").json()
    url = f"/api/webhooks/{created['id']}/"
    response = admin_api.patch(url, {"authentication": {"type": "bearer_token", "data": {}}}, format="json")
    assert response.status_code == 400 and "authentication" in response.json()
    response = admin_api.patch(url, {"authentication": None}, format="json")
    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert (webhook.auth_type, webhook.auth_name, webhook.auth_secret) == ("none", "", "")


def test_bad_input_types_are_400_not_500(admin_api):
    for data in ([1, 2], {"webhook": {"name": 5, "endpoint": ["x"]}}, {"authentication": "basic"}, "text"):
        response = admin_api.post("/api/webhooks/", data, format="json")
        assert response.status_code == 400, (data, response.content)


def test_signing_secret_is_shown_on_request_and_can_be_reset(admin_api):
    created = admin_api.post("/api/webhooks/", zendesk_webhook(), format="json").json()
    url = f"/api/webhooks/{created['id']}/signing_secret/"
    shown = admin_api.get(url).json()["signing_secret"]
    assert shown == {"algorithm": "SHA256", "secret": Webhook.objects.get().signing_secret}
    reset = admin_api.post(url).json()["signing_secret"]
    assert reset["secret"] != shown["secret"] and reset["secret"] == Webhook.objects.get().signing_secret


def test_the_test_call_sends_now_and_shows_the_answer(admin_api, receiver):
    receiver.script = [418]
    created = admin_api.post("/api/webhooks/", zendesk_webhook(endpoint=f"{receiver.url}/t"), format="json").json()
    response = admin_api.post(
        f"/api/webhooks/{created['id']}/test/", {"request": {"payload": '{"hello": 1}'}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["response"]["status"] == 418
    (request,) = receiver.requests
    assert json.loads(request.body) == {"hello": 1}
    assert WebhookInvocation.objects.get().source == "test"


def test_the_test_call_refuses_a_private_address_found_by_dns(admin_api, monkeypatch):
    import socket

    created = admin_api.post("/api/webhooks/", zendesk_webhook(endpoint="https://inside.example.com/"), format="json")
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, port, *a, **k: [(socket.AF_INET, 1, 6, "", ("10.2.3.4", port))]
    )
    response = admin_api.post(f"/api/webhooks/{created.json()['id']}/test/", format="json")
    assert response.status_code == 400 and "10.2.3.4" in response.json()["endpoint"][0]


def test_a_webhook_a_rule_calls_cannot_be_deleted(admin_api, make_trigger):
    created = admin_api.post("/api/webhooks/", zendesk_webhook(), format="json").json()
    trigger = make_trigger("Hook", [cond("status", "is", "open")], [act("notification_webhook", [created["id"], "{}"])])
    response = admin_api.delete(f"/api/webhooks/{created['id']}/")
    assert response.status_code == 400 and "Hook" in response.content.decode()
    trigger.delete()
    assert admin_api.delete(f"/api/webhooks/{created['id']}/").status_code == 204
    assert not Webhook.objects.exists()


def test_unknown_and_huge_ids_are_404(admin_api):
    assert admin_api.get("/api/webhooks/12345/").status_code == 404
    assert admin_api.get(f"/api/webhooks/{2**70}/").status_code == 404


def test_the_list_filters_by_status(admin_api):
    admin_api.post("/api/webhooks/", zendesk_webhook(name="On"), format="json")
    admin_api.post("/api/webhooks/", zendesk_webhook(name="Off", status="inactive"), format="json")
    names = [w["name"] for w in admin_api.get("/api/webhooks/?status=inactive").json()["results"]]
    assert names == ["Off"]


def test_the_schema_documents_webhooks(admin_api):
    schema = admin_api.get("/api/schema/?format=json").json()
    assert "/api/webhooks/" in schema["paths"] and "/api/webhooks/{id}/signing_secret/" in schema["paths"]


def test_a_new_password_alone_keeps_the_user_name(admin_api):
    created = admin_api.post("/api/webhooks/", zendesk_webhook(), format="json").json()
    response = admin_api.patch(
        f"/api/webhooks/{created['id']}/",
        {"authentication": {"type": "basic_auth", "data": {"password": "n3w"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    webhook = Webhook.objects.get()
    assert (webhook.auth_name, webhook.auth_secret) == ("example_username", "n3w")
