"""The OpenAPI schema and its interactive docs: valid, complete, and served without any CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

CDN_PATTERN = re.compile(r"cdn\.|jsdelivr|unpkg|cdnjs|googleapis", re.IGNORECASE)


def test_schema_endpoint_returns_valid_openapi(agent_api):
    response = agent_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/tickets/"])
    assert {"get", "patch"} <= set(paths["/api/tickets/{id}/"])
    assert "put" not in paths["/api/tickets/{id}/"]
    assert {"get", "post"} <= set(paths["/api/tickets/{ticket_id}/comments/"])
    assert set(paths["/api/tickets/{ticket_id}/events/"]) == {"get"}
    assert {"get", "post"} <= set(paths["/api/contacts/"])
    assert {"get", "patch"} <= set(paths["/api/contacts/{id}/"])


def test_schema_describes_the_public_shapes(agent_api):
    schemas = agent_api.get("/api/schema/?format=json").json()["components"]["schemas"]
    ticket = schemas["Ticket"]["properties"]
    assert set(ticket) == {
        "id",
        "subject",
        "status",
        "priority",
        "type",
        "via",
        "requester_id",
        "assignee_id",
        "group_id",
        "tags",
        "collaborator_ids",
        "email_cc_ids",
        "follower_ids",
        "created_at",
        "updated_at",
        "whatsapp",
        "custom_fields",
    }
    assert ticket["tags"]["type"] == "array"
    assert "TicketWhatsApp" in str(ticket["whatsapp"])
    assert set(schemas["TicketWhatsApp"]["properties"]) == {"account_id", "last_customer_message_at", "window"}
    comment = schemas["Comment"]["properties"]
    assert {"author_id", "attachments", "whatsapp_message_id", "template", "delivery"} <= set(comment)
    assert set(schemas["Delivery"]["properties"]) == {"status", "error", "updated_at"}
    assert set(schemas["Event"]["properties"]) == {"id", "ticket_id", "type", "actor_id", "data", "created_at"}
    assert "whatsapp_opt_in" in schemas["Contact"]["properties"]
    assert {"subject", "requester_id", "comment", "priority", "type", "tags"} <= set(
        schemas["TicketCreateRequest"]["properties"]
    )


def test_list_filters_are_documented(agent_api):
    paths = agent_api.get("/api/schema/?format=json").json()["paths"]
    ticket_params = {p["name"]: p for p in paths["/api/tickets/"]["get"]["parameters"]}
    assert {"status", "via", "assignee_id", "requester_id", "page", "page_size"} <= set(ticket_params)
    assert ticket_params["assignee_id"]["schema"]["type"] == "integer"
    contact_params = {p["name"] for p in paths["/api/contacts/"]["get"]["parameters"]}
    assert {"q", "wa_id"} <= contact_params
    event_params = {p["name"] for p in paths["/api/tickets/{ticket_id}/events/"]["get"]["parameters"]}
    assert {"type", "ticket_id"} <= event_params


def test_schema_generation_has_no_warnings(tmp_path):
    # The same check as `manage.py spectacular --validate --fail-on-warn` in CI.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")


def test_docs_page_is_served_from_local_static_files(agent_api):
    response = agent_api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html.lower()
    assert not CDN_PATTERN.search(html), CDN_PATTERN.search(html)
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls
    for url in urls:
        assert url.startswith("/"), f"{url} is not a local URL"
    scripts = [u for u in urls if u.endswith(".js")]
    assert any("swagger-ui-bundle" in u for u in scripts)
    for url in scripts:
        path = url.split("?")[0].removeprefix("/static/")
        assert finders.find(path), f"{path} is not shipped as a static file"
