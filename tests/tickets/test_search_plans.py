"""How a search finds its matches on PostgreSQL (tickets.search.newest_matches): one query on the per-ticket
documents, which either reads them newest first (a frequent word) or collects the matches from the GIN index (a rare
one); the list's visibility and view conditions are answered from the documents' copies of the ticket's columns, kept
in step by triggers. Both ways must answer the same tickets; the list shows a capped result as "N+"."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CommentFactory, ContactFactory, TicketFactory, group_with
from tests.tickets.view_helpers import HOME
from tickets import search, selectors
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the search plans exist on PostgreSQL")
NEWEST_FIRST, COLLECT = 10**12, 0  # WALK_MAX_ROWS that force each way


def _plan(queryset, q: str, *off: str) -> str:
    sql, params = search.newest_matches_sql(queryset, q)
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", *off):  # a table of a few rows is read whole otherwise
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture(params=[NEWEST_FIRST, COLLECT], ids=["newest-first", "collect"])
def either_way(request, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX_ROWS", request.param)
    return request.param


def found(agent_api, q: str, **params) -> list[int]:
    response = agent_api.get("/api/tickets/", {"q": q, **params})
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
    assigned_in_their_group = TicketFactory(subject="Pangolin too", group=hidden.group, assignee=agent)
    mine = group_with(agent)
    in_my_group = TicketFactory(subject="Pangolin here", group=mine)
    expected = [by_subject.pk, by_message.pk, by_name.pk, assigned_in_their_group.pk, in_my_group.pk]
    assert sorted(found(agent_api, "pangolin")) == sorted(expected)
    assert found(agent_api, "8642097") == [by_phone.pk]
    assert found(agent_api, f"#{by_id.pk}") == [by_id.pk]
    assert found(agent_api, f"#{hidden.pk}") == []
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


def test_both_ways_keep_conditions_the_documents_cannot_answer(agent_api, either_way):
    """A priority is not copied to the documents: the list itself is asked, for the candidates only."""
    urgent = CommentFactory(ticket=TicketFactory(subject="Tapir", priority="urgent"), body="tapir").ticket
    TicketFactory(subject="Tapir", priority="low")
    assert found(agent_api, "tapir", priority="urgent") == [urgent.pk]


@postgres_only
def test_a_frequent_word_reads_the_documents_newest_first(agent, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX_ROWS", NEWEST_FIRST)
    CommentFactory(ticket=TicketFactory(subject="Walked"), body="walked")
    plan = _plan(selectors.ticket_list(user=agent, view="open"), "walked", "enable_bitmapscan", "enable_sort")
    # Along the documents' recency index; no ticket is looked up to learn its group or status.
    assert "tickets_search_messages_updated" in plan, plan
    assert "tickets_ticket_pkey" not in plan and "ticket_updated" not in plan, plan


@postgres_only
def test_a_rare_word_is_collected_from_the_gin_index(agent, monkeypatch):
    monkeypatch.setattr(search, "WALK_MAX_ROWS", COLLECT)
    CommentFactory(ticket=TicketFactory(subject="Collected"), body="collected")
    plan = _plan(selectors.ticket_list(user=agent, view="open"), "collected")
    assert "tickets_search_messages_fts" in plan and "tickets_search_messages_updated" not in plan, plan
    assert "tickets_ticket_pkey" not in plan, plan


@postgres_only
def test_the_planners_estimates_decide(agent, monkeypatch):
    """MAX_RESULTS matches of the list expected within WALK_MAX_ROWS documents: read newest first; else collect."""
    TicketFactory(subject="Estimated")
    listed = selectors.ticket_list(user=agent, view="open")
    monkeypatch.setattr(search, "WALK_MAX_ROWS", 10**12)
    walk, _ = search.newest_matches_sql(listed, "estimated")
    monkeypatch.setattr(search, "WALK_MAX_ROWS", 0)
    collect, _ = search.newest_matches_sql(listed, "estimated")
    # Collecting sorts by an expression the recency index cannot answer.
    assert "interval" not in walk and "interval" in collect


def test_visibility_and_view_are_answered_by_the_documents(agent, admin_user):
    """An agent's visibility (group, assignee) and the view's status are conditions on copied columns only; a tag or
    a priority is not."""
    _, complete = search._list_conditions(selectors.ticket_list(user=agent, view="open"))
    assert complete
    conditions, complete = search._list_conditions(selectors.ticket_list(user=agent, view="open", priority="high"))
    assert not complete and len(conditions) == 2  # visibility and status; not the priority
    conditions, complete = search._list_conditions(selectors.tickets_visible(user=admin_user))
    assert complete and conditions == []
    _, complete = search._list_conditions(selectors.ticket_list(user=agent, tag="vip"))
    assert not complete


@postgres_only
def test_the_documents_follow_every_write_to_a_ticket(agent_api, agent, other_agent):
    """The copied columns are kept by triggers: a move to a group the agent is not in, a status, a delete."""
    ticket = CommentFactory(ticket=TicketFactory(subject="Hello", status="open"), body="axolotl").ticket
    assert found(agent_api, "axolotl", status="open") == [ticket.pk]
    Ticket.objects.filter(pk=ticket.pk).update(status="pending")
    assert found(agent_api, "axolotl", status="open") == []
    assert found(agent_api, "axolotl", status="pending") == [ticket.pk]
    Ticket.objects.filter(pk=ticket.pk).update(group=group_with(other_agent))
    assert found(agent_api, "axolotl") == []
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    assert found(agent_api, "axolotl") == [ticket.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_search_messages WHERE ticket_id = %s", [ticket.pk])
        assert cursor.fetchone()[0] == 1
        ticket.delete()
        cursor.execute("SELECT count(*) FROM tickets_search_messages WHERE ticket_id = %s", [ticket.pk])
        assert cursor.fetchone()[0] == 0


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


@postgres_only
def test_the_documents_follow_a_new_subject_and_a_renamed_requester(agent_api):
    contact = ContactFactory(name="Berta Brandt", email="")
    ticket = TicketFactory(subject="Hello", requester=contact)
    assert found(agent_api, "brandt") == [ticket.pk]
    Ticket.objects.filter(pk=ticket.pk).update(subject="Quetzal")
    assert found(agent_api, "quetzal") == [ticket.pk]
    assert found(agent_api, "hello") == []
    contact.name = "Berta Kranich"
    contact.save()
    assert found(agent_api, "kranich") == [ticket.pk]
    assert found(agent_api, "brandt") == []
    # Words spread over the subject and the requester still find the ticket, as they do over its messages.
    assert found(agent_api, "quetzal kranich") == [ticket.pk]


@postgres_only
def test_the_rank_follows_a_new_subject_and_a_renamed_requester(agent_api):
    """The rank reads the subject's and requester's lexemes stored beside the document (migration 0015): a new
    subject or a renamed requester ranks at once, above a ticket found by its messages only."""
    requester = ContactFactory(name="Berta Brandt", email="")
    by_requester = CommentFactory(ticket=TicketFactory(subject="Hello", requester=requester), body="numbat").ticket
    by_subject = CommentFactory(ticket=TicketFactory(subject="Hello"), body="numbat").ticket
    by_messages = CommentFactory(body="numbat").ticket
    now = timezone.now()
    for minutes, ticket in ((3, by_subject), (2, by_requester), (1, by_messages)):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now - timedelta(minutes=minutes))
    assert found(agent_api, "numbat") == [by_messages.pk, by_requester.pk, by_subject.pk]  # a tie: newest first
    Ticket.objects.filter(pk=by_subject.pk).update(subject="Numbat")
    requester.name = "Berta Numbat"
    requester.save()
    assert found(agent_api, "numbat") == [by_subject.pk, by_requester.pk, by_messages.pk]


@postgres_only
def test_a_phone_match_ranks_as_the_requester_and_an_id_first(agent_api):
    by_phone = TicketFactory(subject="Hello", requester=ContactFactory(phone="+49 170 5550123", email=""))
    by_messages = CommentFactory(body="call 5550123").ticket
    assert found(agent_api, "5550123") == [by_phone.pk, by_messages.pk]
    by_id = TicketFactory(subject="Hello")
    CommentFactory(ticket=TicketFactory(subject=f"About {by_id.pk}"), body="")
    assert found(agent_api, str(by_id.pk))[0] == by_id.pk


@postgres_only
def test_the_page_and_its_count_never_parse_text_to_rank(agent_client, agent, django_assert_max_num_queries):
    """Ranking reads stored lexemes, once: neither the list's page nor its count parses a subject or a requester."""
    for i in range(3):
        CommentFactory(ticket=TicketFactory(subject=f"Numbat {i}", assignee=agent), body="numbat")
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(HOME, {"view": "open", "q": "numbat"})
    assert len(response.context["page"].object_list) == 3
    ticket_queries = [q["sql"] for q in queries if 'FROM "tickets_ticket"' in q["sql"]]
    assert ticket_queries, [q["sql"] for q in queries]
    assert not [sql for sql in ticket_queries if "to_tsvector" in sql or "ts_rank" in sql]
    assert sum("ts_rank" in q["sql"] for q in queries) == 1


@postgres_only
def test_the_ranked_lexemes_come_and_go_with_their_ticket():
    def heads() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ticket_id, head::text FROM {search.HEADS}")
            return dict(cursor.fetchall())

    ticket = TicketFactory(subject="Okapi", requester=ContactFactory(name="Berta Brandt", email=""))
    CommentFactory(ticket=ticket, body="a message")
    assert heads()[ticket.pk] == "'berta':3B,5B 'brandt':4B,6B 'okapi':1A,2A"  # German, then English
    ticket.delete()
    assert heads() == {}
