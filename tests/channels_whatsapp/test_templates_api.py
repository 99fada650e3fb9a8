"""`/api/whatsapp/templates/` and `POST /api/whatsapp/accounts/{id}/sync_templates/`."""

import pytest

from channels_whatsapp import message_templates, template_sync
from channels_whatsapp.models import MessageTemplate, WhatsAppAccount
from tests.channels_whatsapp.graph_server import meta_error
from tests.channels_whatsapp.template_helpers import (
    ORDER_RECEIPT,
    PROMO_ES,
    TOKEN,
    order_update,
    serve_listing,
)

pytestmark = pytest.mark.django_db

URL = "/api/whatsapp/templates/"
FIELDS = {
    "id",
    "account_id",
    "name",
    "language",
    "category",
    "status",
    "body",
    "body_parameter_count",
    "header_format",
    "components",
    "buttons",
    "rejected_reason",
    "synced_at",
    "updated_at",
}


@pytest.fixture
def registry(account):
    """Three templates on the account, one on another account."""
    template_sync.templates_store(account=account, listing=[order_update(), ORDER_RECEIPT, PROMO_ES])
    other = WhatsAppAccount.objects.create(name="Other", phone_number_id="2", waba_id="3", access_token="t")
    template_sync.templates_store(account=other, listing=[order_update(status="PAUSED")])
    return account, other


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [(t["name"], t["language"]) for t in response.json()["results"]]


# --- Reads (agents) ---------------------------------------------------------------------------------------------


def test_agents_list_templates_paginated_with_the_documented_fields(agent_api, registry, django_assert_num_queries):
    account, _ = registry
    with django_assert_num_queries(2):  # count + page
        response = agent_api.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 4
    receipt = next(t for t in data["results"] if t["name"] == "order_receipt")
    assert set(receipt) == FIELDS
    assert receipt["account_id"] == account.pk
    assert receipt["body_parameter_count"] == 3
    assert receipt["header_format"] == "DOCUMENT"
    assert receipt["buttons"][0] == {"index": 0, "type": "URL", "has_url_parameter": True}
    assert receipt["components"] == ORDER_RECEIPT["components"]
    assert receipt["status"] == "APPROVED"
    assert "access_token" not in response.content.decode() and TOKEN not in response.content.decode()


def test_filters(agent_api, registry):
    account, other = registry
    assert names(agent_api.get(URL, {"account_id": other.pk})) == [("order_update", "en_US")]
    assert names(agent_api.get(URL, {"account_id": account.pk, "status": "APPROVED"})) == [
        ("order_receipt", "en_US"),
        ("order_update", "en_US"),
    ]
    assert names(agent_api.get(URL, {"status": "PAUSED"})) == [("order_update", "en_US")]
    assert names(agent_api.get(URL, {"language": "es-MX"})) == [("spring_promo", "es_MX")]
    assert names(agent_api.get(URL, {"category": "MARKETING"})) == [("spring_promo", "es_MX")]
    assert names(agent_api.get(URL, {"search": "RECEIPT"})) == [("order_receipt", "en_US")]
    assert names(agent_api.get(URL, {"search": "shipped", "account_id": account.pk})) == [("order_update", "en_US")]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "LIVE"}, "status"), ({"category": "PROMO"}, "category"), ({"account_id": "x"}, "account_id")],
)
def test_bad_filters_are_400_with_the_field(agent_api, registry, params, field):
    response = agent_api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_detail_and_404(agent_api, registry):
    template = MessageTemplate.objects.get(name="spring_promo")
    response = agent_api.get(f"{URL}{template.pk}/")
    assert response.status_code == 200
    assert response.json()["language"] == "es_MX"
    assert response.json()["category"] == "MARKETING"
    assert agent_api.get(f"{URL}999999/").status_code == 404


def test_anonymous_is_refused(api_client, registry):
    assert api_client.get(URL).status_code in (401, 403)


# --- Writes (admins) ---------------------------------------------------------------------------------------------


def new_template(account, **overrides) -> dict:
    return {
        "account_id": account.pk,
        "name": "ticket_update",
        "language": "pt-BR",
        "category": "UTILITY",
        "body": "Olá {{1}}, novidades sobre o pedido #{{2}}.",
        **overrides,
    }


def test_admin_creates_a_template(admin_api, account):
    response = admin_api.post(URL, new_template(account), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == FIELDS
    assert (data["language"], data["status"], data["body_parameter_count"]) == ("pt_BR", "PENDING", 2)
    assert data["components"] == [{"type": "BODY", "text": "Olá {{1}}, novidades sobre o pedido #{{2}}."}]
    template = message_templates.template_for(account=account, name="ticket_update", language="pt_BR")
    assert template is not None and not template.is_sendable


def test_admin_creates_a_template_from_components(admin_api, account):
    components = ORDER_RECEIPT["components"]
    response = admin_api.post(
        URL,
        {"account_id": account.pk, "name": "receipt", "language": "en_US", "category": "UTILITY",
         "status": "APPROVED", "components": components},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["header_format"], data["body_parameter_count"], len(data["buttons"])) == ("DOCUMENT", 3, 3)
    assert data["body"].startswith("Hi {{1}}, here is the receipt")
    assert message_templates.template_for(account=account, name="receipt", language="en_US").is_sendable


def test_agents_may_not_write(agent_api, registry):
    account, _ = registry
    template = MessageTemplate.objects.get(account=account, name="order_update")
    assert agent_api.post(URL, new_template(account), format="json").status_code == 403
    assert agent_api.patch(f"{URL}{template.pk}/", {"status": "DISABLED"}, format="json").status_code == 403
    template.refresh_from_db()
    assert template.status == "APPROVED"
    assert MessageTemplate.objects.count() == 4


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account_id": 424242}, "account_id"),
        ({"category": "PROMO"}, "category"),
        ({"status": "LIVE"}, "status"),
        ({"name": "Ticket Update"}, "name"),
        ({"name": "ticket-update"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 513}, "name"),
        ({"name": "order_update", "language": "en-US"}, "name"),  # duplicate name + language for the account
        ({"language": "english please"}, "language"),
        ({"body": ""}, "body"),
        ({"body": "x" * 1025}, "body"),
        ({"body": None}, "body"),
        ({"components": [{"type": "BODY"}]}, "components"),
        ({"components": [{"type": "HEADER", "format": "IMAGE"}]}, "components"),
        ({"components": "BODY"}, "components"),
        ({"components": [{"type": "BODY", "text": "a"}, {"type": "BANNER"}]}, "components"),
        ({"components": [{"type": "BODY", "text": "a"}], "body": "b"}, "body"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(admin_api, registry, overrides, field):
    account, _ = registry
    payload = {k: v for k, v in new_template(account, **overrides).items() if v is not None}
    response = admin_api.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert MessageTemplate.objects.count() == 4


def test_the_same_name_in_another_language_or_account_is_fine(admin_api, registry):
    account, other = registry
    assert admin_api.post(URL, new_template(account, name="order_update"), format="json").status_code == 201
    assert (
        admin_api.post(URL, new_template(other, name="order_receipt", language="en_US"), format="json").status_code
        == 201
    )


def test_admin_patches_status_and_body(admin_api, registry):
    account, _ = registry
    template = MessageTemplate.objects.get(account=account, name="order_receipt")
    response = admin_api.patch(
        f"{URL}{template.pk}/",
        {"status": "PAUSED", "rejected_reason": "quality", "body": "Hi {{1}}, receipt {{2}}."},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["rejected_reason"], data["body_parameter_count"]) == ("PAUSED", "quality", 2)
    assert data["header_format"] == "DOCUMENT"  # the other components stay
    body = next(c for c in data["components"] if c["type"] == "BODY")
    assert body == {"type": "BODY", "text": "Hi {{1}}, receipt {{2}}."}
    assert not MessageTemplate.objects.get(pk=template.pk).is_sendable


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"name": "spring_promo", "language": "es_MX"}, "name"),
        ({"status": "LIVE"}, "status"),
        ({"category": "nope"}, "category"),
        ({"account_id": 424242}, "account_id"),
        ({"body": ""}, "body"),
    ],
)
def test_bad_patch_is_a_400(admin_api, registry, patch, field):
    account, _ = registry
    template = MessageTemplate.objects.get(account=account, name="order_update")
    before = MessageTemplate.objects.values().get(pk=template.pk)
    response = admin_api.patch(f"{URL}{template.pk}/", patch, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert MessageTemplate.objects.values().get(pk=template.pk) == before


def test_a_template_does_not_move_to_another_account(admin_api, registry):
    account, other = registry
    template = MessageTemplate.objects.get(account=account, name="order_update")
    response = admin_api.patch(f"{URL}{template.pk}/", {"account_id": other.pk}, format="json")
    assert response.status_code == 400
    assert "account_id" in response.json()


def test_put_and_delete_are_not_offered(admin_api, registry):
    template = MessageTemplate.objects.first()
    assert admin_api.delete(f"{URL}{template.pk}/").status_code == 405
    assert admin_api.put(f"{URL}{template.pk}/", {}, format="json").status_code == 405


# --- Sync now ----------------------------------------------------------------------------------------------------


def test_admin_syncs_an_account_now(admin_api, graph, account):
    serve_listing(graph, account.waba_id, [order_update()], [ORDER_RECEIPT])
    response = admin_api.post(f"/api/whatsapp/accounts/{account.pk}/sync_templates/")
    assert response.status_code == 200, response.content
    assert response.json() == {"account_id": account.pk, "created": 2, "updated": 0, "unchanged": 0, "missing": 0}
    assert len(graph.requests) == 2
    assert names(admin_api.get(URL, {"account_id": account.pk})) == [
        ("order_receipt", "en_US"),
        ("order_update", "en_US"),
    ]


def test_a_refused_sync_is_a_502_with_the_graph_error(admin_api, graph, account):
    graph.script.append(meta_error(190, "Error validating access token", status=401))
    response = admin_api.post(f"/api/whatsapp/accounts/{account.pk}/sync_templates/")
    assert response.status_code == 502
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["error"]["code"] == "190"
    assert "Error validating access token" in data["error"]["title"]
    assert "(190)" in data["detail"]
    assert TOKEN not in response.content.decode()
    assert MessageTemplate.objects.count() == 0


def test_agents_may_not_sync(agent_api, graph, account):
    assert agent_api.post(f"/api/whatsapp/accounts/{account.pk}/sync_templates/").status_code == 403
    assert graph.requests == []
    assert agent_api.post("/api/whatsapp/accounts/424242/sync_templates/").status_code == 403


def test_sync_of_an_unknown_account_is_404(admin_api):
    assert admin_api.post("/api/whatsapp/accounts/424242/sync_templates/").status_code == 404


def test_schema_lists_the_template_endpoints(admin_api):
    response = admin_api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/whatsapp/templates/" in paths
    assert "/api/whatsapp/templates/{id}/" in paths
    assert "/api/whatsapp/accounts/{id}/sync_templates/" in paths
