"""The REST API: authentication."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ContactFactory
from tests.tickets.api_helpers import PAGE_KEYS
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


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
