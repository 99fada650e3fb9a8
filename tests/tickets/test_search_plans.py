"""How a search finds its matches on PostgreSQL (tickets.search.newest_matches): a frequent word walks the tickets
by recency, a rare one is collected from the GIN indexes, a phone fragment is answered by trigram indexes. Both
ways must answer the same tickets; the list shows a capped result as "N+"."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import CommentFactory, ContactFactory, TicketFactory, group_with
from tests.tickets.view_helpers import HOME
from tickets import search, selectors
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the search plans exist on PostgreSQL")
WALK, COLLECT = 10**12, 0  # WALK_MAX_ROWS that force each way


@pytest.fixture(params=[WALK, COLLECT], ids=["walk", "collect"])
def either_way(request, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX_ROWS", request.param)
    return request.param


def found(agent_api, q: str) -> list[int]:
    response = agent_api.get("/api/tickets/", {"q": q})
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


def test_both_ways_find_every_field_and_only_visible_tickets(agent_api, agent, other_agent, either_way):
    hidden = TicketFactory(subject="Pangolin", group=group_with(other_agent))
    CommentFactory(ticket=hidden, body="pangolin")
    by_subject = TicketFactory(subject="Pangolin sighted")
    by_message = CommentFactory(body="a pangolin in the depot").ticket
    by_name = TicketFactory(subject="Hello", requester=ContactFactory(name="Pangolin Meyer", email=""))
    by_phone = TicketFactory(subject="Hello", requester=ContactFactory(name="B", email="", phone="+49 170 8642097"))
    by_id = TicketFactory(subject="Hello")
    assert sorted(found(agent_api, "pangolin")) == sorted([by_subject.pk, by_message.pk, by_name.pk])
    assert found(agent_api, "8642097") == [by_phone.pk]
    assert found(agent_api, f"#{by_id.pk}") == [by_id.pk]
    assert found(agent_api, "nothinglikethis") == []


@postgres_only
def test_both_ways_answer_the_most_recently_updated_matches(agent_api, monkeypatch, either_way):
    monkeypatch.setattr(search, "MAX_RESULTS", 2)
    now = timezone.now()
    tickets = [CommentFactory(body="okapi").ticket, TicketFactory(subject="Okapi"), TicketFactory(subject="Okapi")]
    TicketFactory(subject="Newest but no match")
    for days, ticket in zip((1, 3, 2), tickets, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now - timedelta(days=days))
    assert sorted(found(agent_api, "okapi")) == sorted([tickets[0].pk, tickets[2].pk])


@postgres_only
def test_a_frequent_word_walks_the_recency_index(admin_user, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX_ROWS", WALK)
    CommentFactory(ticket=TicketFactory(subject="Walked"), body="walked")
    qs = search.newest_matches(selectors.tickets_visible(user=admin_user), "walked")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = qs.explain()
    # Each ticket's messages by a primary-key probe; never every matching document (the GIN index).
    assert "ticket_updated" in plan and "tickets_search_messages_pkey" in plan, plan
    assert "tickets_search_messages_fts" not in plan, plan


@postgres_only
def test_a_rare_word_is_collected_from_the_gin_indexes(admin_user, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX_ROWS", COLLECT)
    CommentFactory(ticket=TicketFactory(subject="Collected"), body="collected")
    qs = search.newest_matches(selectors.tickets_visible(user=admin_user), "collected")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    for index in ("ticket_subject_fts", "contact_fts", "tickets_search_messages_fts"):
        assert index in plan, plan


@postgres_only
def test_the_planners_estimates_decide(admin_user, monkeypatch):
    """MAX_RESULTS matches expected within WALK_MAX_ROWS tickets: walk; else collect."""
    qs = selectors.tickets_visible(user=admin_user)
    monkeypatch.setattr(search, "_estimated_rows", lambda *args: (50_000.0, 100_000.0, 60_000.0, 100_000.0))
    assert search.walks(qs, search.query("common"))  # 1,001 matches within ~3,300 tickets
    monkeypatch.setattr(search, "_estimated_rows", lambda *args: (600.0, 100_000.0, 60_000.0, 100_000.0))
    assert not search.walks(qs, search.query("rare"))  # ~280,000 tickets: more than there are
    monkeypatch.undo()
    matching, documents, listed, tickets = search._estimated_rows(qs, search.query("anything"))
    assert min(matching, documents, listed, tickets) >= 0


def test_a_list_empty_by_construction_searches_to_nothing(either_way):
    TicketFactory(subject="Quokka")
    assert list(search.search(Ticket.objects.none(), "quokka")) == []


@postgres_only
def test_phone_fragments_use_the_trigram_indexes(admin_user):
    """The digits expression in tickets.search must equal the indexed one of migration 0009, or every phone-like
    search reads all requesters."""
    contact = ContactFactory(phone="+49 (170) 864-2097", wa_id="491708642097")
    TicketFactory(requester=contact)
    requesters = search._requester_ids("864 2097", search.query("864 2097"))
    assert list(requesters.values_list("pk", flat=True)) == [contact.pk]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = requesters.explain()
    assert "contact_phone_digits_trgm" in plan, plan


def test_a_capped_search_reads_n_plus_in_the_list_and_counts_the_cap_in_the_api(agent_client, agent_api, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    monkeypatch.setattr("tickets.views.PAGE_SIZE", 2)
    TicketFactory.create_batch(4, subject="Tapir")
    html = agent_client.get(HOME, {"view": "open", "q": "tapir"}).content.decode()
    assert "1\u20132 of 2+ tickets" in html
    assert agent_api.get("/api/tickets/", {"q": "tapir"}).json()["count"] == 2
