"""The REST API of tickets: reading, filtering and the list's query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ContactFactory,
    TicketFactory,
    WhatsAppContactFactory,
    group_with,
)
from tests.tickets.api_helpers import PAGE_KEYS, TICKET_KEYS
from tickets import hooks
from tickets.models import TicketTag

pytestmark = pytest.mark.django_db


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
        # count + page of tickets (joined, visibility as a subquery) + tags, CCs and followers prefetches + custom
        # field values prefetch + the active ticket fields (once per response)
        with django_assert_num_queries(7):
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
