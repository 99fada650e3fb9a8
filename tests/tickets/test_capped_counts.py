"""Capped counts (tickets.selectors.COUNT_CAP): exact below the cap, "N+" above it, paging past it still works, and
the list pages keep their query counts."""

import pytest

from tests.factories import TicketFactory
from tickets import selectors
from tickets.models import TicketStatus

HOME = "/"


@pytest.fixture
def cap_5(monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)


def test_capped_count_is_exact_below_the_cap_and_marked_above(admin_user, cap_5):
    TicketFactory.create_batch(5, status=TicketStatus.OPEN)
    qs = selectors.ticket_list(user=admin_user)
    count = selectors.capped_count(qs)
    assert count == 5 and not count.capped and str(count) == "5"
    TicketFactory(status=TicketStatus.OPEN)
    count = selectors.capped_count(qs)
    assert count == 5 and count.capped and str(count) == "5+"


def test_view_counts_are_capped_in_one_query(admin_user, cap_5, django_assert_num_queries):
    TicketFactory.create_batch(7, status=TicketStatus.PENDING)
    TicketFactory(status=TicketStatus.SOLVED)
    with django_assert_num_queries(1):
        counts = selectors.ticket_view_counts(user=admin_user)
    assert counts == {"mine": 0, "unassigned": 5, "open": 5, "pending": 5, "solved": 1}
    assert str(counts["pending"]) == "5+" and str(counts["solved"]) == "1"


def test_list_pages_past_the_cap_with_next_links(client, admin_user, cap_5, monkeypatch):
    monkeypatch.setattr("tickets.views.PAGE_SIZE", 2)
    TicketFactory.create_batch(9, status=TicketStatus.OPEN)
    client.force_login(admin_user)
    seen = []
    for number in range(1, 6):
        response = client.get(HOME, {"view": "open", "page": number})
        page = response.context["page"]
        assert page.number == number
        seen += [t.pk for t in page.object_list]
        assert page.has_next() == (number < 5)
    assert len(seen) == len(set(seen)) == 9
    html = client.get(HOME, {"view": "open"}).content.decode()
    assert "1\u20132 of 5+ tickets" in html
    assert client.get(HOME, {"view": "open", "page": 99}).context["page"].number == 3  # the cap's last page


def test_api_count_is_capped_and_next_keeps_going(admin_api, cap_5):
    TicketFactory.create_batch(7)
    first = admin_api.get("/api/tickets/", {"page_size": 5}).json()
    assert first["count"] == 5 and len(first["results"]) == 5 and first["next"]
    second = admin_api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert admin_api.get("/api/tickets/", {"page_size": 5, "page": 3}).status_code == 404
