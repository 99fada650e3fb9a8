"""The REST API of contacts."""

import pytest

from tests.factories import (
    ContactFactory,
    WhatsAppContactFactory,
)
from tests.tickets.api_helpers import PAGE_KEYS
from tickets.models import Contact

pytestmark = pytest.mark.django_db


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
    "locale",
    "created_at",
    "updated_at",
}


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
