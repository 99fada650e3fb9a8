"""The REST API of tickets, comments, events and contacts, driven through the public URLs only."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import (
    CommentFactory,
    ContactFactory,
    GroupFactory,
    TicketFactory,
    UserFactory,
    WhatsAppContactFactory,
)
from tickets import events, hooks
from tickets.models import Attachment, Comment, Contact, Event, Ticket, TicketStatus, TicketTag

pytestmark = pytest.mark.django_db

TICKET_KEYS = {
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
    "created_at",
    "updated_at",
    "whatsapp",
}
COMMENT_KEYS = {
    "id",
    "ticket_id",
    "author_id",
    "author_role",
    "body",
    "public",
    "via",
    "created_at",
    "forwarded",
    "attachments",
    "whatsapp_message_id",
    "template",
    "delivery",
}
EVENT_KEYS = {"id", "ticket_id", "type", "actor_id", "data", "created_at"}
CONTACT_KEYS = {
    "id",
    "name",
    "email",
    "phone",
    "wa_id",
    "whatsapp_user_id",
    "whatsapp_opt_in",
    "whatsapp_opt_in_source",
    "whatsapp_opt_in_at",
    "created_at",
    "updated_at",
}
PAGE_KEYS = {"count", "next", "previous", "results"}


def group_with(*members):
    group = GroupFactory()
    group.members.set(members)
    return group


# --- Authentication ---------------------------------------------------------------------------------------


class TestAuthentication:
    def test_no_credentials_is_401_with_challenge(self, api_client):
        response = api_client.get("/api/tickets/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Token")

    @pytest.mark.parametrize("path", ["/api/tickets/1/", "/api/tickets/1/comments/", "/api/contacts/"])
    def test_every_endpoint_needs_credentials(self, api_client, path):
        assert api_client.get(path).status_code == 401
        assert api_client.post(path, {}, format="json").status_code in (401, 405)

    def test_bad_token_is_401(self, api_client, agent):
        api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert api_client.get("/api/tickets/").status_code == 401

    def test_token_authentication_works(self, api_client, agent):
        token = Token.objects.create(user=agent)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = api_client.get("/api/tickets/")
        assert response.status_code == 200
        assert set(response.json()) == PAGE_KEYS

    def test_drf_create_token_command(self, agent, api_client):
        call_command("drf_create_token", agent.username, verbosity=0)
        token = Token.objects.get(user=agent)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert api_client.get("/api/contacts/").status_code == 200

    def test_inactive_users_token_is_refused(self, api_client, agent):
        token = Token.objects.create(user=agent)
        agent.is_active = False
        agent.save()
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert api_client.get("/api/tickets/").status_code in (401, 403)

    def test_session_authentication_works(self, client, agent):
        client.force_login(agent)
        assert client.get("/api/tickets/").status_code == 200

    def test_session_writes_need_csrf(self, agent):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(agent)
        requester = ContactFactory()
        response = client.post("/api/tickets/", {"subject": "Hi", "requester_id": requester.pk}, format="json")
        assert response.status_code == 403
        assert not Ticket.objects.exists()


# --- Tickets: reading --------------------------------------------------------------------------------------


class TestTicketRead:
    def test_list_shape(self, agent_api):
        ticket = TicketFactory()
        TicketTag.objects.create(ticket=ticket, name="vip")
        TicketTag.objects.create(ticket=ticket, name="billing")
        response = agent_api.get("/api/tickets/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == PAGE_KEYS
        assert body["count"] == 1
        item = body["results"][0]
        assert set(item) == TICKET_KEYS
        assert item["id"] == ticket.pk
        assert item["tags"] == ["billing", "vip"]
        assert item["requester_id"] == ticket.requester_id
        assert item["whatsapp"] is None
        assert item["priority"] is None
        assert item["type"] is None

    def test_retrieve(self, agent_api, agent):
        group = group_with(agent)
        ticket = TicketFactory(group=group, assignee=agent, priority="high", type="incident", via="email")
        response = agent_api.get(f"/api/tickets/{ticket.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == TICKET_KEYS
        assert body["assignee_id"] == agent.pk
        assert body["group_id"] == group.pk
        assert (body["priority"], body["type"], body["via"], body["status"]) == ("high", "incident", "email", "open")
        assert body["created_at"].endswith("Z")

    def test_whatsapp_object_comes_from_the_channel_provider(self, agent_api, monkeypatch):
        info = {"account_id": 7, "last_customer_message_at": None, "window": {"open": False, "expires_at": None}}
        monkeypatch.setitem(hooks._channel_info, "whatsapp", lambda ticket: info)
        wa_ticket = TicketFactory(via="whatsapp", requester=WhatsAppContactFactory())
        web_ticket = TicketFactory(via="web")
        assert agent_api.get(f"/api/tickets/{wa_ticket.pk}/").json()["whatsapp"] == info
        assert agent_api.get(f"/api/tickets/{web_ticket.pk}/").json()["whatsapp"] is None

    def test_unknown_ticket_is_404(self, agent_api):
        assert agent_api.get("/api/tickets/999999/").status_code == 404
        assert agent_api.get("/api/tickets/99999999999999999999999999/").status_code == 404
        assert agent_api.get("/api/tickets/abc/").status_code == 404

    def test_ticket_of_another_group_is_404_for_agent_but_visible_to_admin(self, agent_api, admin_api, other_agent):
        hidden = TicketFactory(group=group_with(other_agent))
        assert agent_api.get(f"/api/tickets/{hidden.pk}/").status_code == 404
        assert agent_api.get(f"/api/tickets/{hidden.pk}/comments/").status_code == 404
        assert agent_api.get(f"/api/tickets/{hidden.pk}/events/").status_code == 404
        assert agent_api.post(f"/api/tickets/{hidden.pk}/comments/", {"body": "x"}, format="json").status_code == 404
        assert agent_api.patch(f"/api/tickets/{hidden.pk}/", {"status": "open"}, format="json").status_code == 404
        assert agent_api.get("/api/tickets/").json()["count"] == 0
        assert admin_api.get(f"/api/tickets/{hidden.pk}/").status_code == 200
        assert admin_api.get("/api/tickets/").json()["count"] == 1

    def test_ticket_assigned_to_agent_in_foreign_group_is_visible(self, agent_api, agent, other_agent):
        group = group_with(other_agent, agent)
        ticket = TicketFactory(group=group, assignee=agent)
        group.members.remove(agent)
        assert agent_api.get(f"/api/tickets/{ticket.pk}/").status_code == 200


class TestTicketFilters:
    def test_status_via_assignee_requester(self, agent_api, agent):
        requester = ContactFactory()
        solved = TicketFactory(status="solved", requester=requester)
        wa = TicketFactory(via="whatsapp", assignee=agent)
        TicketFactory(status="pending")

        def ids(query):
            response = agent_api.get(f"/api/tickets/?{query}")
            assert response.status_code == 200, response.content
            return {t["id"] for t in response.json()["results"]}

        assert ids("status=solved") == {solved.pk}
        assert ids("via=whatsapp") == {wa.pk}
        assert ids(f"assignee_id={agent.pk}") == {wa.pk}
        assert ids(f"requester_id={requester.pk}") == {solved.pk}
        assert ids(f"status=solved&requester_id={requester.pk}") == {solved.pk}
        assert ids("requester_id=999999") == set()
        assert len(ids("")) == 3

    @pytest.mark.parametrize(
        "query, field",
        [
            ("status=bogus", "status"),
            ("via=fax", "via"),
            ("assignee_id=abc", "assignee_id"),
            ("assignee_id=1.5", "assignee_id"),
            ("requester_id=x", "requester_id"),
        ],
    )
    def test_invalid_filter_is_400_with_reasons(self, agent_api, query, field):
        response = agent_api.get(f"/api/tickets/?{query}")
        assert response.status_code == 400
        assert field in response.json()

    def test_huge_ids_and_page_sizes_are_no_500(self, agent_api):
        TicketFactory.create_batch(3)
        assert agent_api.get("/api/tickets/?assignee_id=99999999999999999999999").status_code == 400
        response = agent_api.get("/api/tickets/?page_size=100000000")
        assert response.status_code == 200
        assert len(response.json()["results"]) == 3
        assert agent_api.get("/api/tickets/?page_size=-5").status_code == 200
        assert agent_api.get("/api/tickets/?page=999").status_code == 404
        assert agent_api.get("/api/tickets/?page=abc").status_code == 404

    def test_pagination(self, agent_api):
        TicketFactory.create_batch(5)
        body = agent_api.get("/api/tickets/?page_size=2").json()
        assert body["count"] == 5
        assert len(body["results"]) == 2
        assert body["next"].startswith("http://testserver/api/tickets/")
        assert body["previous"] is None


class TestTicketListQueries:
    @staticmethod
    def _make(n: int, agent, via: str = "web") -> None:
        group = group_with(agent)
        for ticket in TicketFactory.create_batch(n, group=group, assignee=agent, via=via):
            TicketTag.objects.create(ticket=ticket, name="a")
            TicketTag.objects.create(ticket=ticket, name="b")

    @pytest.mark.parametrize("n", [5, 50])
    def test_query_count_does_not_grow_with_rows(self, agent_api, agent, django_assert_num_queries, n):
        self._make(n, agent)
        # count + page of tickets (joined, visibility as a subquery) + tags prefetch
        with django_assert_num_queries(3):
            response = agent_api.get("/api/tickets/?page_size=100")
        assert response.status_code == 200
        assert len(response.json()["results"]) == n
        assert all(t["tags"] == ["a", "b"] for t in response.json()["results"])

    def test_whatsapp_tickets_add_no_per_row_queries(self, agent_api, agent):
        """The channel's `whatsapp` object must come from the same rows (select_related), not a query per ticket."""

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = agent_api.get("/api/tickets/?page_size=100")
            assert response.status_code == 200
            return len(queries)

        self._make(5, agent, via="whatsapp")
        few = count_queries()
        self._make(45, agent, via="whatsapp")
        assert count_queries() == few


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


# --- Comments -----------------------------------------------------------------------------------------------


class TestComments:
    def test_list_oldest_first_with_exact_shape(self, agent_api, agent):
        requester = WhatsAppContactFactory()
        ticket = TicketFactory(requester=requester, via="whatsapp")
        first = Comment.objects.create(
            ticket=ticket,
            author_role="end_user",
            author_contact=requester,
            body="Hello",
            via="whatsapp",
            channel_message_id="wamid.IN1",
            forwarded=True,
        )
        second = CommentFactory(ticket=ticket, author_user=agent, public=False, body="note")
        system = Comment.objects.create(ticket=ticket, author_role="system", body="sys", public=False)
        response = agent_api.get(f"/api/tickets/{ticket.pk}/comments/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == PAGE_KEYS
        results = body["results"]
        assert [c["id"] for c in results] == [first.pk, second.pk, system.pk]
        assert all(set(c) == COMMENT_KEYS for c in results)
        assert results[0]["author_id"] == requester.pk
        assert results[0]["author_role"] == "end_user"
        assert results[0]["whatsapp_message_id"] == "wamid.IN1"
        assert results[0]["forwarded"] is True
        assert results[0]["delivery"] is None
        assert results[0]["template"] is None
        assert results[0]["ticket_id"] == ticket.pk
        assert results[1]["author_id"] == agent.pk
        assert results[1]["public"] is False
        assert results[1]["whatsapp_message_id"] is None
        assert results[2]["author_id"] is None
        assert results[2]["author_role"] == "system"

    def test_delivery_template_and_attachments(self, agent_api, agent):
        ticket = TicketFactory(via="whatsapp")
        updated = timezone.now().replace(microsecond=0)
        failed = CommentFactory(
            ticket=ticket,
            author_user=agent,
            via="whatsapp",
            channel_message_id="wamid.OUT1",
            template={"name": "order_update", "language": "en_US", "components": []},
            delivery_status="failed",
            delivery_error_code="131047",
            delivery_error_title="Re-engagement message",
            delivery_error_detail="More than 24 hours have passed.",
            delivery_updated_at=updated,
        )
        delivered = CommentFactory(ticket=ticket, author_user=agent, via="whatsapp", delivery_status="delivered")
        attachment = Attachment.objects.create(
            ticket=ticket, comment=delivered, filename="a.pdf", content_type="application/pdf", size=12
        )
        results = agent_api.get(f"/api/tickets/{ticket.pk}/comments/").json()["results"]
        assert results[0]["template"] == {"name": "order_update", "language": "en_US"}
        assert results[0]["delivery"] == {
            "status": "failed",
            "error": {
                "code": "131047",
                "title": "Re-engagement message",
                "detail": "More than 24 hours have passed.",
            },
            "updated_at": updated.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        assert results[0]["attachments"] == []
        assert results[1]["delivery"] == {"status": "delivered", "error": None, "updated_at": None}
        assert results[1]["attachments"] == [
            {
                "id": attachment.pk,
                "filename": "a.pdf",
                "content_type": "application/pdf",
                "size": 12,
                "url": f"http://testserver/attachments/{attachment.pk}/",
            }
        ]
        assert failed.pk == results[0]["id"]

    def test_list_query_count_is_flat(self, agent_api, agent, django_assert_num_queries):
        ticket = TicketFactory()
        for comment in CommentFactory.create_batch(10, ticket=ticket, author_user=agent):
            Attachment.objects.create(ticket=ticket, comment=comment, filename="f", content_type="text/plain")
        # ticket lookup + count + comments + attachments
        with django_assert_num_queries(4):
            response = agent_api.get(f"/api/tickets/{ticket.pk}/comments/?page_size=100")
        assert len(response.json()["results"]) == 10

    def test_add_public_reply(self, agent_api, agent):
        ticket = TicketFactory(status="new")
        response = agent_api.post(
            f"/api/tickets/{ticket.pk}/comments/", {"body": "We are on it", "public": True}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == COMMENT_KEYS
        assert (body["author_id"], body["author_role"], body["via"], body["public"]) == (agent.pk, "agent", "api", True)
        assert body["body"] == "We are on it"
        ticket.refresh_from_db()
        assert ticket.status == "open"  # Zendesk: a public reply opens a new ticket
        assert ticket.events.filter(type=events.COMMENT_ADDED, actor=agent).exists()

    def test_add_internal_note(self, agent_api):
        ticket = TicketFactory(status="new")
        response = agent_api.post(
            f"/api/tickets/{ticket.pk}/comments/", {"body": "Internal", "public": False}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["public"] is False
        ticket.refresh_from_db()
        assert ticket.status == "new"

    def test_public_defaults_to_true(self, agent_api):
        ticket = TicketFactory()
        response = agent_api.post(f"/api/tickets/{ticket.pk}/comments/", {"body": "Hi"}, format="json")
        assert response.json()["public"] is True

    def test_multipart_with_attachments(self, agent_api):
        ticket = TicketFactory()
        files = [
            SimpleUploadedFile("one.txt", b"hello", content_type="text/plain"),
            SimpleUploadedFile("two.png", b"\x89PNG....", content_type="image/png"),
        ]
        response = agent_api.post(
            f"/api/tickets/{ticket.pk}/comments/",
            {"body": "See attached", "public": "false", "attachments": files},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["public"] is False
        assert [(a["filename"], a["content_type"], a["size"]) for a in body["attachments"]] == [
            ("one.txt", "text/plain", 5),
            ("two.png", "image/png", 8),
        ]
        assert body["attachments"][0]["url"].startswith("http://testserver/attachments/")
        assert Attachment.objects.filter(comment_id=body["id"]).count() == 2

    def test_multipart_public_defaults_to_true_and_file_alone_is_enough(self, agent_api):
        ticket = TicketFactory()
        upload = SimpleUploadedFile("one.txt", b"hello", content_type="text/plain")
        response = agent_api.post(f"/api/tickets/{ticket.pk}/comments/", {"attachments": [upload]}, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["public"] is True

    @pytest.mark.parametrize(
        "payload, field",
        [
            ({"body": ""}, "body"),
            ({"body": "   \n"}, "body"),
            ({}, "body"),
            ({"body": "x", "public": "perhaps"}, "public"),
            ({"body": ["x"]}, "body"),
            ({"body": "x", "attachments": ["not-a-file"]}, "attachments"),
        ],
    )
    def test_bad_comment_is_400(self, agent_api, payload, field):
        ticket = TicketFactory()
        response = agent_api.post(f"/api/tickets/{ticket.pk}/comments/", payload, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()
        assert not Comment.objects.exists()
        assert not Event.objects.exists()

    def test_closed_ticket_is_400_with_reason(self, agent_api):
        ticket = TicketFactory(status="closed")
        response = agent_api.post(f"/api/tickets/{ticket.pk}/comments/", {"body": "Hello?"}, format="json")
        assert response.status_code == 400
        assert "closed" in response.json()["non_field_errors"][0]
        assert not Comment.objects.exists()

    def test_malformed_json_is_400(self, agent_api):
        ticket = TicketFactory()
        response = agent_api.post(f"/api/tickets/{ticket.pk}/comments/", "{", content_type="application/json")
        assert response.status_code == 400

    def test_unknown_ticket_is_404(self, agent_api):
        assert agent_api.get("/api/tickets/999999/comments/").status_code == 404
        assert agent_api.post("/api/tickets/999999/comments/", {"body": "x"}, format="json").status_code == 404


# --- Events -------------------------------------------------------------------------------------------------


class TestEvents:
    def test_list_oldest_first_and_filter_by_type(self, agent_api, agent):
        requester = ContactFactory(created_by=agent)
        created = agent_api.post(
            "/api/tickets/",
            {"subject": "Hi", "requester_id": requester.pk, "comment": {"body": "First"}},
            format="json",
        ).json()
        agent_api.patch(f"/api/tickets/{created['id']}/", {"status": "pending"}, format="json")
        response = agent_api.get(f"/api/tickets/{created['id']}/events/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == PAGE_KEYS
        assert all(set(e) == EVENT_KEYS for e in body["results"])
        types = [e["type"] for e in body["results"]]
        assert types[:2] == [events.TICKET_CREATED, events.COMMENT_ADDED]
        assert events.FIELD_CHANGED in types
        assert [e["id"] for e in body["results"]] == sorted(e["id"] for e in body["results"])
        first = body["results"][0]
        assert first["ticket_id"] == created["id"]
        assert first["actor_id"] == agent.pk
        assert first["data"]["via"] == "api"

        filtered = agent_api.get(f"/api/tickets/{created['id']}/events/?type=field.changed").json()
        assert {e["type"] for e in filtered["results"]} == {events.FIELD_CHANGED}
        assert any(e["data"] == {"field": "status", "from": "new", "to": "pending"} for e in filtered["results"])

    def test_system_event_has_null_actor(self, agent_api):
        ticket = TicketFactory()
        events.record(ticket=ticket, type=events.DELIVERY_STATUS, data={"status": "sent"})
        result = agent_api.get(f"/api/tickets/{ticket.pk}/events/").json()["results"][0]
        assert result["actor_id"] is None
        assert result["data"] == {"status": "sent"}

    def test_query_count_is_flat(self, agent_api, django_assert_num_queries):
        ticket = TicketFactory()
        for _ in range(10):
            events.record(ticket=ticket, type="x")
        with django_assert_num_queries(3):  # ticket lookup + count + events
            agent_api.get(f"/api/tickets/{ticket.pk}/events/")


# --- Contacts -----------------------------------------------------------------------------------------------


class TestContacts:
    def test_list_shape_search_and_wa_id_filter(self, agent_api, agent):
        alice = WhatsAppContactFactory(created_by=agent, name="Alice Customer", wa_id="5511999990001")
        ContactFactory(created_by=agent, name="Bob Buyer", email="bob@example.com")
        body = agent_api.get("/api/contacts/").json()
        assert set(body) == PAGE_KEYS
        assert body["count"] == 2
        assert all(set(c) == CONTACT_KEYS for c in body["results"])
        assert [c["id"] for c in agent_api.get("/api/contacts/?q=alice").json()["results"]] == [alice.pk]
        assert [c["name"] for c in agent_api.get("/api/contacts/?q=bob@").json()["results"]] == ["Bob Buyer"]
        assert [c["id"] for c in agent_api.get("/api/contacts/?wa_id=5511999990001").json()["results"]] == [alice.pk]
        assert agent_api.get("/api/contacts/?wa_id=000").json()["count"] == 0

    def test_retrieve(self, agent_api, agent):
        contact = WhatsAppContactFactory(created_by=agent, whatsapp_user_id="US.123")
        response = agent_api.get(f"/api/contacts/{contact.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == CONTACT_KEYS
        assert (body["wa_id"], body["whatsapp_user_id"], body["whatsapp_opt_in"]) == (contact.wa_id, "US.123", False)
        assert agent_api.get("/api/contacts/999999/").status_code == 404
        assert agent_api.get("/api/contacts/nope/").status_code == 404
        assert agent_api.get("/api/contacts/99999999999999999999999/").status_code == 404

    def test_create(self, agent_api, agent):
        response = agent_api.post(
            "/api/contacts/",
            {"name": "Carla", "email": "carla@example.com", "whatsapp_opt_in": True},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == CONTACT_KEYS
        assert body["wa_id"] is None
        assert body["whatsapp_opt_in"] is True
        assert body["whatsapp_opt_in_at"] is not None
        assert body["whatsapp_opt_in_source"] == "api"
        contact = Contact.objects.get(pk=body["id"])
        assert contact.whatsapp_opt_in_by == agent
        assert contact.created_by == agent

    def test_channel_ids_are_read_only_even_blank(self, agent_api):
        # wa_id and whatsapp_user_id are written by the channel only (CONTRACT "Additions"): sending one is a 400.
        for payload in ({"wa_id": "5511911112222"}, {"name": "One", "wa_id": "", "whatsapp_user_id": ""}):
            response = agent_api.post("/api/contacts/", payload, format="json")
            assert response.status_code == 400
            assert "read-only" in str(response.json()["wa_id"])
        assert not Contact.objects.exists()

    def test_duplicate_wa_id_is_400(self, agent_api):
        existing = WhatsAppContactFactory()
        response = agent_api.post("/api/contacts/", {"name": "Dup", "wa_id": existing.wa_id}, format="json")
        assert response.status_code == 400
        assert "wa_id" in response.json()
        assert Contact.objects.count() == 1

    def test_duplicate_whatsapp_user_id_is_400(self, agent_api):
        WhatsAppContactFactory(whatsapp_user_id="US.1")
        response = agent_api.post("/api/contacts/", {"name": "Dup", "whatsapp_user_id": "US.1"}, format="json")
        assert response.status_code == 400
        assert "whatsapp_user_id" in response.json()

    @pytest.mark.parametrize(
        "payload, field",
        [
            ({"name": "X", "email": "not-an-email"}, "email"),
            ({"name": "X", "whatsapp_opt_in": "sometimes"}, "whatsapp_opt_in"),
            ({"name": "X" * 201}, "name"),
            ({"name": "X", "wa_id": "1" * 33}, "wa_id"),
        ],
    )
    def test_bad_input_is_400(self, agent_api, payload, field):
        response = agent_api.post("/api/contacts/", payload, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not Contact.objects.exists()

    def test_update(self, agent_api, agent):
        contact = ContactFactory(created_by=agent, name="Old")
        response = agent_api.patch(
            f"/api/contacts/{contact.pk}/", {"name": "New", "whatsapp_opt_in": True}, format="json"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["name"] == "New"
        assert body["whatsapp_opt_in"] is True
        assert body["whatsapp_opt_in_at"] is not None
        contact.refresh_from_db()
        assert contact.whatsapp_opt_in_by == agent

    def test_update_never_changes_the_wa_id(self, agent_api, agent):
        mine = WhatsAppContactFactory(created_by=agent)
        other = WhatsAppContactFactory()
        for value in (mine.wa_id, other.wa_id, None):
            response = agent_api.patch(f"/api/contacts/{mine.pk}/", {"wa_id": value}, format="json")
            assert response.status_code == 400
            assert "read-only" in str(response.json()["wa_id"])
        assert Contact.objects.get(pk=mine.pk).wa_id == mine.wa_id

    def test_update_blank_name_is_400(self, agent_api, agent):
        contact = ContactFactory(created_by=agent, name="Keep")
        response = agent_api.patch(f"/api/contacts/{contact.pk}/", {"name": ""}, format="json")
        assert response.status_code == 400
        contact.refresh_from_db()
        assert contact.name == "Keep"

    def test_malformed_json_is_400(self, agent_api):
        response = agent_api.post("/api/contacts/", "nope", content_type="application/json")
        assert response.status_code == 400


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
