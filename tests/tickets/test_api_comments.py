"""The REST API of comments and events."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import (
    CommentFactory,
    ContactFactory,
    TicketFactory,
    WhatsAppContactFactory,
)
from tests.tickets.api_helpers import PAGE_KEYS
from tickets import events
from tickets.models import Attachment, Comment, Event

pytestmark = pytest.mark.django_db


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
