"""The REST API of tickets: creating and updating."""

import pytest

from tests.factories import (
    ContactFactory,
    TicketFactory,
    UserFactory,
    group_with,
)
from tests.tickets.api_helpers import TICKET_KEYS
from tickets import events
from tickets.models import Comment, Event, Ticket, TicketStatus, TicketTag

pytestmark = pytest.mark.django_db


# --- Tickets: creating --------------------------------------------------------------------------------------


class TestTicketCreate:
    def test_create_with_comment(self, agent_api, agent):
        requester = ContactFactory(created_by=agent)
        response = agent_api.post(
            "/api/tickets/",
            {
                "subject": "Printer on fire",
                "requester_id": requester.pk,
                "comment": {"body": "It is smoking.", "public": False},
                "priority": "urgent",
                "type": "incident",
                "tags": ["Hardware", "fire"],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == TICKET_KEYS
        assert body["via"] == "api"
        assert body["status"] == "new"
        assert body["priority"] == "urgent"
        assert body["type"] == "incident"
        assert body["tags"] == ["fire", "hardware"]
        assert body["requester_id"] == requester.pk
        ticket = Ticket.objects.get(pk=body["id"])
        assert ticket.via == "api"
        assert list(ticket.events.values_list("type", flat=True)) == [events.TICKET_CREATED, events.COMMENT_ADDED]
        assert all(e.actor_id == agent.pk for e in ticket.events.all())
        comment = ticket.comments.get()
        assert (comment.body, comment.public, comment.via, comment.author_user_id) == (
            "It is smoking.",
            False,
            "api",
            agent.pk,
        )

    def test_create_minimal(self, agent_api, agent):
        requester = ContactFactory(created_by=agent)
        response = agent_api.post("/api/tickets/", {"subject": "Hi", "requester_id": requester.pk}, format="json")
        assert response.status_code == 201
        assert response.json()["tags"] == []
        ticket = Ticket.objects.get()
        assert ticket.comments.count() == 0
        assert list(ticket.events.values_list("type", flat=True)) == [events.TICKET_CREATED]

    def test_comment_public_defaults_to_true(self, agent_api, agent):
        requester = ContactFactory(created_by=agent)
        agent_api.post(
            "/api/tickets/",
            {"subject": "Hi", "requester_id": requester.pk, "comment": {"body": "Hello"}},
            format="json",
        )
        assert Comment.objects.get().public is True

    def test_create_with_assignee_and_group(self, agent_api, agent):
        group = group_with(agent)
        requester = ContactFactory(created_by=agent)
        response = agent_api.post(
            "/api/tickets/",
            {"subject": "Hi", "requester_id": requester.pk, "assignee_id": agent.pk, "group_id": group.pk},
            format="json",
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["assignee_id"], body["group_id"], body["status"]) == (agent.pk, group.pk, "open")

    def test_via_cannot_be_chosen(self, agent_api, agent):
        requester = ContactFactory(created_by=agent)
        response = agent_api.post(
            "/api/tickets/", {"subject": "Hi", "requester_id": requester.pk, "via": "whatsapp"}, format="json"
        )
        assert response.json()["via"] == "api"

    @pytest.mark.parametrize(
        "payload, field",
        [
            ({"requester_id": "REQ"}, "subject"),
            ({"subject": "   ", "requester_id": "REQ"}, "subject"),
            ({"subject": "x" * 256, "requester_id": "REQ"}, "subject"),
            ({"subject": "Hi"}, "requester_id"),
            ({"subject": "Hi", "requester_id": 999999}, "requester_id"),
            ({"subject": "Hi", "requester_id": "abc"}, "requester_id"),
            ({"subject": "Hi", "requester_id": 99999999999999999999999}, "requester_id"),
            ({"subject": "Hi", "requester_id": "REQ", "assignee_id": 999999}, "assignee_id"),
            ({"subject": "Hi", "requester_id": "REQ", "group_id": 999999}, "group_id"),
            ({"subject": "Hi", "requester_id": "REQ", "priority": "meh"}, "priority"),
            ({"subject": "Hi", "requester_id": "REQ", "type": "rant"}, "type"),
            ({"subject": "Hi", "requester_id": "REQ", "tags": "not-a-list"}, "tags"),
            ({"subject": "Hi", "requester_id": "REQ", "tags": ["bad tag!"]}, "tags"),
            ({"subject": "Hi", "requester_id": "REQ", "comment": "text"}, "comment"),
            ({"subject": "Hi", "requester_id": "REQ", "comment": {"body": "  "}}, "comment"),
            ({"subject": "Hi", "requester_id": "REQ", "comment": {"body": "x", "public": "maybe"}}, "comment"),
            ({"subject": ["Hi"], "requester_id": "REQ"}, "subject"),
        ],
    )
    def test_bad_input_is_400_and_writes_nothing(self, agent_api, payload, field, agent):
        requester = ContactFactory(created_by=agent)
        payload = {k: (requester.pk if v == "REQ" else v) for k, v in payload.items()}
        response = agent_api.post("/api/tickets/", payload, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()
        assert not Ticket.objects.exists()
        assert not Event.objects.exists()

    def test_assignee_not_in_group_is_400(self, agent_api, agent, other_agent):
        group = group_with(agent)
        requester = ContactFactory(created_by=agent)
        response = agent_api.post(
            "/api/tickets/",
            {"subject": "Hi", "requester_id": requester.pk, "assignee_id": other_agent.pk, "group_id": group.pk},
            format="json",
        )
        assert response.status_code == 400
        assert "assignee_id" in response.json()
        assert not Ticket.objects.exists()

    def test_inactive_assignee_is_400(self, agent_api, agent):
        inactive = UserFactory(is_active=False)
        requester = ContactFactory(created_by=agent)
        response = agent_api.post(
            "/api/tickets/", {"subject": "Hi", "requester_id": requester.pk, "assignee_id": inactive.pk}, format="json"
        )
        assert response.status_code == 400
        assert "assignee_id" in response.json()

    def test_malformed_json_is_400(self, agent_api):
        response = agent_api.post("/api/tickets/", '{"subject": "Hi", ', content_type="application/json")
        assert response.status_code == 400
        assert "detail" in response.json()
        assert not Ticket.objects.exists()

    @pytest.mark.parametrize("raw", ["[]", '"text"', "null", "42"])
    def test_json_that_is_not_an_object_is_400(self, agent_api, raw):
        response = agent_api.post("/api/tickets/", raw, content_type="application/json")
        assert response.status_code == 400

    def test_unsupported_media_type_is_415(self, agent_api):
        response = agent_api.post("/api/tickets/", "subject: Hi", content_type="text/yaml")
        assert response.status_code == 415

    def test_put_is_not_offered(self, agent_api):
        ticket = TicketFactory()
        assert agent_api.put(f"/api/tickets/{ticket.pk}/", {"subject": "x"}, format="json").status_code == 405
        assert agent_api.delete(f"/api/tickets/{ticket.pk}/").status_code == 405


# --- Tickets: updating --------------------------------------------------------------------------------------


class TestTicketUpdate:
    def test_status_change_writes_field_changed_event(self, agent_api, agent):
        ticket = TicketFactory(status="open")
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"status": "pending"}, format="json")
        assert response.status_code == 200, response.content
        assert set(response.json()) == TICKET_KEYS
        assert response.json()["status"] == "pending"
        event = Event.objects.get(ticket=ticket, type=events.FIELD_CHANGED)
        assert event.data == {"field": "status", "from": "open", "to": "pending"}
        assert event.actor_id == agent.pk

    def test_change_several_fields_and_replace_tags(self, agent_api, agent):
        group = group_with(agent)
        ticket = TicketFactory()
        TicketTag.objects.create(ticket=ticket, name="old")
        response = agent_api.patch(
            f"/api/tickets/{ticket.pk}/",
            {
                "subject": "New subject",
                "priority": "high",
                "type": "task",
                "group_id": group.pk,
                "assignee_id": agent.pk,
                "tags": ["new", "shiny"],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["subject"] == "New subject"
        assert (body["priority"], body["type"]) == ("high", "task")
        assert (body["group_id"], body["assignee_id"]) == (group.pk, agent.pk)
        assert body["tags"] == ["new", "shiny"]
        changed = set(Event.objects.filter(type=events.FIELD_CHANGED).values_list("data__field", flat=True))
        assert changed == {"subject", "priority", "type", "group_id", "assignee_id", "tags"}

    def test_clear_priority_and_unassign(self, agent_api, agent):
        ticket = TicketFactory(priority="high", assignee=agent)
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"priority": None, "assignee_id": None}, format="json")
        assert response.status_code == 200
        assert response.json()["priority"] is None
        assert response.json()["assignee_id"] is None

    def test_add_and_remove_tags(self, agent_api):
        ticket = TicketFactory()
        TicketTag.objects.create(ticket=ticket, name="keep")
        TicketTag.objects.create(ticket=ticket, name="drop")
        response = agent_api.patch(
            f"/api/tickets/{ticket.pk}/", {"add_tags": ["extra"], "remove_tags": ["drop"]}, format="json"
        )
        assert response.json()["tags"] == ["extra", "keep"]

    def test_update_with_comment(self, agent_api, agent):
        ticket = TicketFactory(status="open")
        response = agent_api.patch(
            f"/api/tickets/{ticket.pk}/",
            {"status": "pending", "comment": {"body": "Waiting for you", "public": True}},
            format="json",
        )
        assert response.status_code == 200
        comment = ticket.comments.get()
        assert (comment.body, comment.via, comment.author_user_id) == ("Waiting for you", "api", agent.pk)

    def test_update_comment_public_defaults_to_true(self, agent_api):
        ticket = TicketFactory(status="open")
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"comment": {"body": "Hi"}}, format="json")
        assert response.status_code == 200, response.content
        assert ticket.comments.get().public is True

    @pytest.mark.parametrize("comment", [{"public": False}, {"body": " "}, {}, "text", None])
    def test_update_with_bad_comment_is_400(self, agent_api, comment):
        ticket = TicketFactory(status="open")
        response = agent_api.patch(
            f"/api/tickets/{ticket.pk}/", {"status": "pending", "comment": comment}, format="json"
        )
        assert response.status_code == 400, response.content
        assert "comment" in response.json()
        ticket.refresh_from_db()
        assert ticket.status == "open"
        assert not ticket.comments.exists()

    def test_empty_patch_changes_nothing(self, agent_api):
        ticket = TicketFactory()
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {}, format="json")
        assert response.status_code == 200
        assert not Event.objects.exists()

    @pytest.mark.parametrize(
        "payload, field",
        [
            ({"status": "bogus"}, "status"),
            ({"status": "new"}, "status"),
            ({"subject": ""}, "subject"),
            ({"priority": "meh"}, "priority"),
            ({"assignee_id": 999999}, "assignee_id"),
            ({"group_id": "x"}, "group_id"),
            ({"tags": [1, {"a": 1}]}, "tags"),
            ({"status": "solved", "tags": ["bad tag!"]}, "tags"),
        ],
    )
    def test_bad_input_is_400_and_changes_nothing(self, agent_api, payload, field):
        ticket = TicketFactory(status="open", subject="Before")
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", payload, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()
        ticket.refresh_from_db()
        assert (ticket.status, ticket.subject) == ("open", "Before")
        assert not Event.objects.exists()

    def test_assignee_not_in_group_is_400(self, agent_api, other_agent):
        group = group_with()
        ticket = TicketFactory(group=None)
        response = agent_api.patch(
            f"/api/tickets/{ticket.pk}/", {"group_id": group.pk, "assignee_id": other_agent.pk}, format="json"
        )
        assert response.status_code == 400
        assert "assignee_id" in response.json()
        ticket.refresh_from_db()
        assert ticket.group_id is None

    def test_closed_ticket_is_400_with_reason(self, agent_api):
        ticket = TicketFactory(status=TicketStatus.CLOSED)
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", {"status": "open"}, format="json")
        assert response.status_code == 400
        assert "closed" in response.json()["non_field_errors"][0]

    def test_malformed_json_is_400(self, agent_api):
        ticket = TicketFactory()
        response = agent_api.patch(f"/api/tickets/{ticket.pk}/", "{nope", content_type="application/json")
        assert response.status_code == 400
