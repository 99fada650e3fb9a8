"""Access rows for custom ticket fields: `/api/ticket_fields/` (agents read, admins write), the ticket page and
API with field values, the list's field filters and the fields' admin pages. Same roles and world as
`test_access_matrix`."""

import pytest

from tests.security.test_access_matrix import (
    ADMIN_LOGIN,
    LOGIN,
    ROLES,
    World,
    api_client,
    build_world,
    expect,
    page_client,
)
from tickets import custom_field_definitions as definitions
from tickets.models import CustomField, CustomFieldValue


def row(resource, action, kind, method, url, expected, data=None):
    return pytest.param(kind, method, url, data, dict(zip(ROLES, expected, strict=True)), id=f"{resource}-{action}")


T, F = "{ticket}", "{field}"
NEW_FIELD = {"ticket_field": {"type": "checkbox", "title": "Escalated", "tag": "escalated"}}
MATRIX = [
    row("ticket-fields-api", "list", "api", "get", "/api/ticket_fields/", [401, 200, 200, 200]),
    row("ticket-fields-api", "detail", "api", "get", f"/api/ticket_fields/{F}/", [401, 200, 200, 200]),
    row("ticket-fields-api", "create", "api", "post", "/api/ticket_fields/", [401, 403, 403, 201], NEW_FIELD),
    row("ticket-fields-api", "patch", "api", "patch", f"/api/ticket_fields/{F}/", [401, 403, 403, 200], {"title": "P"}),
    row("ticket-fields-api", "delete", "api", "delete", f"/api/ticket_fields/{F}/", [401, 403, 403, 204]),
    row(
        "ticket-api",
        "patch-custom-fields",
        "api",
        "patch",
        f"/api/tickets/{T}/",
        [401, 200, 404, 200],
        {"custom_fields": [{"id": F, "value": "plan_pro"}]},
    ),
    row("ticket-page", "view-with-fields", "page", "get", f"/tickets/{T}/", [LOGIN, 200, 404, 200]),
    row(
        "ticket-page",
        "submit-with-fields",
        "page",
        "post",
        f"/tickets/{T}/",
        [LOGIN, 302, 404, 302],
        {"status": "open", "tags": "", "mode": "internal", "body": "", f"custom_fields_{F}": "plan_pro"},
    ),
    row("ticket-list", "field-filter", "page", "get", f"/?field_{F}=plan_pro", [LOGIN, 200, 200, 200]),
    row("admin-site", "ticket-fields", "page", "get", "/admin/tickets/customfield/", [ADMIN_LOGIN] * 3 + [200]),
    row(
        "admin-site",
        "ticket-field-change",
        "page",
        "get",
        f"/admin/tickets/customfield/{F}/change/",
        [ADMIN_LOGIN] * 3 + [200],
    ),
]


def _fill(value, ticket_id: int, field_id: int):
    """Put the world's ids into a row's URL or data (also into keys and nested values)."""
    if isinstance(value, str):
        return value.replace("{ticket}", str(ticket_id)).replace("{field}", str(field_id))
    if isinstance(value, dict):
        return {_fill(k, ticket_id, field_id): _fill(v, ticket_id, field_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ticket_id, field_id) for v in value]
    return value


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def plan_field(db) -> CustomField:
    return definitions.field_create(
        type="tagger", title="Plan", options=[{"name": "Pro", "value": "plan_pro"}, {"name": "Basic", "value": "b"}]
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "method", "url", "data", "expected"), MATRIX)
def test_ticket_fields_access_matrix(client, world: World, plan_field, role, kind, method, url, data, expected):
    url = _fill(url, world.ticket.pk, plan_field.pk)
    data = _fill(data, world.ticket.pk, plan_field.pk)
    if data and "custom_fields" in data:
        data["custom_fields"][0]["id"] = int(data["custom_fields"][0]["id"])
    if kind == "page":
        caller = page_client(client, world, role)
        response = caller.post(url, data or {}) if method == "post" else caller.get(url)
    else:
        caller = api_client(world, role)
        call = getattr(caller, method)
        response = call(url, data, format="json") if data is not None else call(url)
    expect(response, expected[role])


@pytest.mark.parametrize("role", ["anonymous", "agent_in_group", "agent_outside_group"])
def test_refused_field_writes_leave_nothing_behind(world: World, plan_field, role):
    api = api_client(world, role)
    api.post("/api/ticket_fields/", NEW_FIELD, format="json")
    api.patch(f"/api/ticket_fields/{plan_field.pk}/", {"title": "Changed"}, format="json")
    api.delete(f"/api/ticket_fields/{plan_field.pk}/")
    assert list(CustomField.objects.values_list("title", flat=True)) == ["Plan"]
    if role == "agent_outside_group":  # may not see the ticket: its values stay untouched too
        api.patch(
            f"/api/tickets/{world.ticket.pk}/", {"custom_fields": [{"id": plan_field.pk, "value": "b"}]}, format="json"
        )
        assert not CustomFieldValue.objects.exists()
