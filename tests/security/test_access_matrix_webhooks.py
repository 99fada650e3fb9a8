"""The access matrix of webhooks: `/api/webhooks/` (with its signing secret and test calls) and the webhook admin
pages are for admins only. Agents get 403 whether or not they can see tickets; anonymous callers 401 (API) or the
admin login; nobody but an admin changes, reads or calls a webhook."""

import pytest

from automations.webhooks.models import Webhook, WebhookInvocation
from tests.security.test_access_matrix import (
    ADMIN_LOGIN,
    ROLES,
    World,
    api_client,
    build_world,
    expect,
    page_client,
    row,
)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def webhook(world) -> Webhook:
    hook = Webhook.objects.create(
        name="Shop", endpoint="https://hooks.example.com/x", auth_type="bearer_token", auth_secret="tok-matrix"
    )
    WebhookInvocation.objects.create(webhook=hook, source="test", body="{}", state="succeeded")
    return hook


W = "/api/webhooks/{webhook}/"
NEW = {"name": "New", "endpoint": "https://hooks.example.com/n", "http_method": "POST", "request_format": "json"}
MATRIX = [
    row("webhook-api", "list", "api", "get", "/api/webhooks/", [401, 403, 403, 200]),
    row("webhook-api", "create", "api", "post", "/api/webhooks/", [401, 403, 403, 201], NEW),
    row("webhook-api", "bad-create", "api", "post", "/api/webhooks/", [401, 403, 403, 400], {"name": ""}),
    row("webhook-api", "detail", "api", "get", W, [401, 403, 403, 200]),
    row("webhook-api", "patch", "api", "patch", W, [401, 403, 403, 200], {"status": "inactive"}),
    row("webhook-api", "put", "api", "put", W, [401, 403, 403, 200], {"name": "Renamed"}),
    row("webhook-api", "delete", "api", "delete", W, [401, 403, 403, 204]),
    row("webhook-api", "signing-secret", "api", "get", W + "signing_secret/", [401, 403, 403, 200]),
    row("webhook-api", "signing-secret-reset", "api", "post", W + "signing_secret/", [401, 403, 403, 200]),
    # The endpoint is public DNS but refused by nothing here: the test call is a 400 only for a refused address.
    row("webhook-api", "test-get", "api", "get", W + "test/", [401, 403, 403, 405]),
    row("webhook-admin", "list", "page", "get", "/admin/automations/webhook/", [ADMIN_LOGIN] * 3 + [200]),
    row(
        "webhook-admin",
        "change",
        "page",
        "get",
        "/admin/automations/webhook/{webhook}/change/",
        [ADMIN_LOGIN] * 3 + [200],
    ),
    row(
        "webhook-admin", "deliveries", "page", "get", "/admin/automations/webhookinvocation/", [ADMIN_LOGIN] * 3 + [200]
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "method", "url", "data", "expected"), MATRIX)
def test_webhook_access_matrix(client, world, webhook, role, kind, method, url, data, expected):
    url = url.format(webhook=webhook.pk)
    if kind == "page":
        response = getattr(page_client(client, world, role), method)(url)
    else:
        caller = api_client(world, role)
        response = (
            getattr(caller, method)(url, data, format="json") if data is not None else getattr(caller, method)(url)
        )
    expect(response, expected[role])
    if role != "admin":
        webhook.refresh_from_db()
        assert (webhook.name, webhook.status, webhook.auth_secret) == ("Shop", "active", "tok-matrix")
        assert Webhook.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_no_role_ever_reads_a_webhook_secret(client, world, webhook, role):
    caller = api_client(world, role)
    for url in ("/api/webhooks/", f"/api/webhooks/{webhook.pk}/"):
        assert "tok-matrix" not in caller.get(url).content.decode()
    page = page_client(client, world, role).get(f"/admin/automations/webhook/{webhook.pk}/change/")
    assert "tok-matrix" not in page.content.decode() and webhook.signing_secret not in page.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 401), ("agent_in_group", 403), ("agent_outside_group", 403)]
)
def test_only_admins_may_call_a_webhook(world, webhook, role, expected):
    response = api_client(world, role).post(f"/api/webhooks/{webhook.pk}/test/", format="json")
    assert response.status_code == expected
    assert WebhookInvocation.objects.filter(source="test").count() == 1  # the fixture's own, no new call
