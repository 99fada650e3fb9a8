"""Custom ticket fields through the API: Zendesk's `custom_fields: [{"id", "value"}]` and `/api/ticket_fields/`."""

import pytest

from tests.factories import ContactFactory, TicketFactory
from tests.tickets.custom_field_helpers import make_fields
from tickets import custom_field_definitions as definitions
from tickets.custom_field_definitions import MAX_POSITION
from tickets.models import CustomFieldValue, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    return make_fields()


@pytest.fixture
def ticket(agent):
    return TicketFactory(assignee=agent)


def _values(response) -> dict:
    return {item["id"]: item["value"] for item in response.json()["custom_fields"]}


def test_ticket_read_lists_every_active_field_with_its_value(agent_api, ticket, fields):
    fields["ref"].active = False
    fields["ref"].save()
    values = _values(agent_api.get(f"/api/tickets/{ticket.pk}/"))
    assert fields["ref"].pk not in values
    assert values[fields["order"].pk] is None
    assert values[fields["vip"].pk] is False


def test_patch_sets_values_in_zendesk_shape_and_audits_them(agent_api, ticket, fields):
    body = {
        "custom_fields": [
            {"id": fields["order"].pk, "value": "1234"},
            {"id": fields["plan"].pk, "value": "plan_pro"},
            {"id": fields["vip"].pk, "value": True},
            {"id": fields["amount"].pk, "value": "12.50"},
            {"id": fields["due"].pk, "value": "2026-12-24"},
            {"id": fields["code"].pk, "value": "ABC-12"},
            {"id": fields["note"].pk, "value": "line one\nline two"},
        ]
    }
    response = agent_api.patch(f"/api/tickets/{ticket.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    values = _values(response)
    assert values[fields["order"].pk] == 1234
    assert values[fields["plan"].pk] == "plan_pro"
    assert values[fields["vip"].pk] is True
    assert values[fields["amount"].pk] == "12.5"
    assert values[fields["due"].pk] == "2026-12-24"
    assert values[fields["code"].pk] == "ABC-12"
    assert values[fields["note"].pk] == "line one\nline two"
    # The drop-down's option and the checkbox's tag are tags, as in Zendesk.
    assert set(response.json()["tags"]) == {"plan_pro", "vip"}
    changed = Event.objects.filter(ticket=ticket, data__field=f"custom_fields_{fields['order'].pk}").get()
    assert changed.data["to"] == 1234
    # A list shows the same values.
    listed = agent_api.get("/api/tickets/").json()["results"][0]
    assert {item["id"]: item["value"] for item in listed["custom_fields"]} == values


def test_changing_the_option_swaps_its_tag_and_clearing_removes_it(agent_api, ticket, fields):
    url = f"/api/tickets/{ticket.pk}/"
    plan, vip = fields["plan"].pk, fields["vip"].pk
    agent_api.patch(
        url, {"custom_fields": [{"id": plan, "value": "plan_basic"}, {"id": vip, "value": True}]}, format="json"
    )
    response = agent_api.patch(url, {"custom_fields": [{"id": plan, "value": "plan_pro"}]}, format="json")
    assert set(response.json()["tags"]) == {"plan_pro", "vip"}
    response = agent_api.patch(
        url, {"custom_fields": [{"id": plan, "value": None}, {"id": vip, "value": False}]}, format="json"
    )
    assert response.json()["tags"] == []
    assert _values(response)[plan] is None
    assert not CustomFieldValue.objects.filter(ticket=ticket).exists()


def test_create_takes_custom_fields(agent_api, fields):
    contact = ContactFactory()
    TicketFactory(requester=contact)  # a contact the agent may see through a ticket
    response = agent_api.post(
        "/api/tickets/",
        {
            "subject": "Hi",
            "requester_id": contact.pk,
            "custom_fields": [{"id": fields["plan"].pk, "value": "plan_basic"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert _values(response)[fields["plan"].pk] == "plan_basic"
    assert response.json()["tags"] == ["plan_basic"]


def test_every_bad_value_is_named_in_one_400_and_nothing_is_written(agent_api, ticket, fields):
    fields["ref"].active = False
    fields["ref"].save()
    body = {
        "subject": "Changed",
        "custom_fields": [
            {"id": fields["order"].pk, "value": "twelve"},
            {"id": fields["plan"].pk, "value": "plan_gold"},
            {"id": fields["code"].pk, "value": "abc"},
            {"id": 999999, "value": "x"},
            {"id": fields["ref"].pk, "value": "x"},
            {"id": fields["due"].pk, "value": "24.12.2026"},
        ],
    }
    response = agent_api.patch(f"/api/tickets/{ticket.pk}/", body, format="json")
    assert response.status_code == 400
    messages = response.json()["custom_fields"]
    text = " ".join(messages)
    assert len(messages) == 6
    assert "Order number" in text and "whole number" in text
    assert "'plan_gold' is not one of its options (plan_basic, plan_pro)" in text
    assert "does not match the pattern" in text
    assert "999999" in text and "no ticket field" in text
    assert "Reference" in text and "inactive" in text
    assert "YYYY-MM-DD" in text
    ticket.refresh_from_db()
    assert ticket.subject != "Changed"
    assert not CustomFieldValue.objects.exists()


@pytest.mark.parametrize("item", [{"value": 1}, {"id": "x", "value": 1}, {"id": 1}, "12"])
def test_malformed_items_are_a_400(agent_api, ticket, fields, item):
    response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"custom_fields": [item]}, format="json")
    assert response.status_code == 400
    assert "custom_fields" in response.json()


def test_a_required_field_blocks_solving_until_filled(agent_api, ticket, fields):
    definitions.field_update(field=fields["order"], required_on_solve=True)
    url = f"/api/tickets/{ticket.pk}/"
    response = agent_api.patch(url, {"status": "solved"}, format="json")
    assert response.status_code == 400
    assert "Order number" in response.json()["custom_fields"][0]
    response = agent_api.patch(
        url, {"status": "solved", "custom_fields": [{"id": fields["order"].pk, "value": 7}]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "solved"


# --- /api/ticket_fields/ ----------------------------------------------------------------------------------------


def test_agents_read_ticket_fields_in_zendesk_shape(agent_api, fields):
    response = agent_api.get("/api/ticket_fields/")
    assert response.status_code == 200
    plan = next(f for f in response.json()["results"] if f["id"] == fields["plan"].pk)
    assert set(plan) >= {
        "id",
        "type",
        "title",
        "description",
        "active",
        "position",
        "custom_field_options",
        "regexp_for_validation",
    }
    assert plan["type"] == "tagger"
    assert [(o["name"], o["value"]) for o in plan["custom_field_options"]] == [
        ("Basic plan", "plan_basic"),
        ("Pro plan", "plan_pro"),
    ]
    assert all(isinstance(o["id"], int) for o in plan["custom_field_options"])
    code = agent_api.get(f"/api/ticket_fields/{fields['code'].pk}/").json()
    assert code["regexp_for_validation"] == r"\A[A-Z]{3}-\d+\z"


def test_agents_may_not_write_ticket_fields(agent_api):
    response = agent_api.post("/api/ticket_fields/", {"type": "text", "title": "X"}, format="json")
    assert response.status_code == 403


def test_admin_pastes_zendesks_json(admin_api):
    zendesk = {
        "ticket_field": {
            "url": "https://example.zendesk.com/api/v2/ticket_fields/1.json",
            "id": 1,
            "type": "tagger",
            "title": "Product",
            "raw_title": "Product",
            "description": None,
            "active": True,
            "required": False,
            "position": 3,
            "title_in_portal": "Product",
            "regexp_for_validation": None,
            "tag": None,
            "custom_field_options": [
                {"id": 5, "name": "Phone", "raw_name": "Phone", "value": "product_phone", "default": False},
                {"id": 6, "name": "Tablet", "raw_name": "Tablet", "value": "product_tablet", "default": False},
            ],
        }
    }
    response = admin_api.post("/api/ticket_fields/", zendesk, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["title"] == "Product" and created["position"] == 3
    assert [o["value"] for o in created["custom_field_options"]] == ["product_phone", "product_tablet"]
    option_ids = [o["id"] for o in created["custom_field_options"]]
    changed = admin_api.patch(
        f"/api/ticket_fields/{created['id']}/",
        {"custom_field_options": [{"name": "Mobile phone", "value": "product_phone"}]},
        format="json",
    ).json()
    assert [(o["id"], o["name"]) for o in changed["custom_field_options"]] == [(option_ids[0], "Mobile phone")]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"type": "colour", "title": "X"}, "type"),
        ({"type": "regexp", "title": "X"}, "regexp_for_validation"),
        ({"type": "regexp", "title": "X", "regexp_for_validation": "(["}, "regexp_for_validation"),
        ({"type": "tagger", "title": "X", "custom_field_options": []}, "custom_field_options"),
        (
            {"type": "tagger", "title": "X", "custom_field_options": [{"name": "A", "value": "has space"}]},
            "custom_field_options",
        ),
        ({"type": "checkbox", "title": "X", "tag": "no good"}, "tag"),
        ({"type": "tagger", "title": "X", "custom_field_options": [None]}, "custom_field_options"),
        ({"type": "text"}, "title"),
    ],
)
def test_bad_definitions_are_a_400_naming_the_key(admin_api, body, key):
    response = admin_api.post("/api/ticket_fields/", body, format="json")
    assert response.status_code == 400
    assert key in response.json()


def test_the_type_is_fixed_and_delete_removes_values(admin_api, fields, ticket):
    url = f"/api/ticket_fields/{fields['order'].pk}/"
    assert admin_api.patch(url, {"type": "text"}, format="json").status_code == 400
    CustomFieldValue.objects.create(ticket=ticket, field=fields["order"], value="1", number=1)
    assert admin_api.delete(url).status_code == 204
    assert not CustomFieldValue.objects.exists()
    assert admin_api.get(url).status_code == 404


def test_a_new_field_after_one_at_the_last_position_stays_in_range(admin_api):
    """A field placed at the column's largest position, then one more: placed last too, not a database error."""
    made = admin_api.post(
        "/api/ticket_fields/", {"type": "text", "title": "Last", "position": MAX_POSITION}, format="json"
    )
    assert made.status_code == 201, made.content
    after = admin_api.post("/api/ticket_fields/", {"type": "text", "title": "After"}, format="json")
    assert after.status_code == 201, after.content
    assert after.json()["position"] == MAX_POSITION
