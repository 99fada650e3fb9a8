"""The REST API never answers a 500 to odd bodies or queries."""

import pytest

from tests.factories import (
    ContactFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


# --- Never a 500 --------------------------------------------------------------------------------------------

WEIRD_BODIES = [
    None,
    [],
    "text",
    12,
    {"subject": None, "requester_id": None},
    {"subject": {"a": 1}, "requester_id": [1]},
    {"subject": "x", "requester_id": -1, "tags": [None], "comment": {"body": None, "public": None}},
    {"subject": "x", "requester_id": 1.5, "priority": 5, "type": ["task"], "assignee_id": True},
    {"status": None, "assignee_id": "1; DROP TABLE", "group_id": 2**70, "tags": None},
    {"body": None, "public": None, "attachments": None},
    {"body": "x" * 10, "attachments": [{"name": "a"}]},
    {"name": None, "email": None, "wa_id": 5511, "whatsapp_opt_in": None, "whatsapp_opt_in_at": "yesterday"},
    {"name": "\x00", "email": "a@b", "wa_id": ["1"], "whatsapp_user_id": {"x": 1}},
]


@pytest.mark.parametrize("body", WEIRD_BODIES)
def test_weird_bodies_never_cause_a_500(agent_api, body):
    ticket = TicketFactory(status="open")
    contact = ContactFactory()
    requests = [
        ("post", "/api/tickets/"),
        ("patch", f"/api/tickets/{ticket.pk}/"),
        ("post", f"/api/tickets/{ticket.pk}/comments/"),
        ("post", "/api/contacts/"),
        ("patch", f"/api/contacts/{contact.pk}/"),
    ]
    for method, path in requests:
        response = getattr(agent_api, method)(path, body, format="json")
        assert response.status_code < 500, (method, path, response.content)
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path",
    [
        "/api/tickets/?status=&via=&assignee_id=&requester_id=",
        "/api/tickets/?page_size=0",
        "/api/tickets/?page_size=abc",
        "/api/tickets/?ordering=-nothing",
        "/api/tickets/1/comments/?page_size=99999999999999999999",
        "/api/tickets/1/events/?type=" + "x" * 5000,
        "/api/contacts/?q=%00",
        "/api/contacts/?wa_id=%00&q=" + "é" * 500,
        "/api/",
    ],
)
def test_weird_queries_never_cause_a_500(agent_api, path):
    TicketFactory(pk=1)
    assert agent_api.get(path).status_code < 500


def test_form_encoded_ticket_create_works_too(agent_api, agent):
    requester = ContactFactory(created_by=agent)
    response = agent_api.post(
        "/api/tickets/", {"subject": "From a form", "requester_id": requester.pk}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["via"] == "api"
