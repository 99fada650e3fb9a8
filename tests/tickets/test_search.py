"""Full-text search: `GET /api/tickets/?q=words`, the list page's search box and the selector behind both."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import CommentFactory, ContactFactory, TicketFactory, group_with
from tests.tickets.view_helpers import HOME
from tickets import search, selectors
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming and GIN indexes exist on PostgreSQL only"
)


def found(agent_api, q: str, **params) -> list[int]:
    response = agent_api.get("/api/tickets/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


@pytest.fixture
def corpus(agent):
    """Tickets each findable by exactly one field."""
    return {
        "subject": TicketFactory(subject="Printer zebrafish jammed"),
        "name": TicketFactory(subject="Hello", requester=ContactFactory(name="Quentin Okonkwo", email="")),
        "email": TicketFactory(subject="Hello", requester=ContactFactory(name="A", email="quasar@example.org")),
        "phone": TicketFactory(subject="Hello", requester=ContactFactory(name="B", email="", phone="+49 170 8642097")),
        "body": CommentFactory(body="The parcel never arrived at the xylophone depot").ticket,
    }


@pytest.mark.parametrize(
    ("field", "q"),
    [
        ("subject", "zebrafish"),
        ("name", "okonkwo"),
        ("email", "quasar@example.org"),
        ("phone", "1708642097"),
        ("phone", "+49 170 8642097"),
        ("body", "xylophone"),
    ],
)
def test_api_q_matches_each_field(agent_api, corpus, field, q):
    assert found(agent_api, q) == [corpus[field].pk]


def test_api_q_finds_words_by_their_beginning(agent_api, corpus):
    assert found(agent_api, "zebraf") == [corpus["subject"].pk]
    assert found(agent_api, "xylo") == [corpus["body"].pk]
    assert found(agent_api, "Quent Okon") == [corpus["name"].pk]


def test_api_q_best_match_first(agent_api):
    """The subject first (the better match first), then the requester, then a match in the messages only."""
    in_body = CommentFactory(body="a word about walrus somewhere").ticket
    in_subject = TicketFactory(subject="Walrus walrus")
    in_both = TicketFactory(subject="Walrus")
    CommentFactory(ticket=in_both, body="walrus again")
    by_requester = TicketFactory(subject="Hello", requester=ContactFactory(name="Wally Walrus", email=""))
    TicketFactory(subject="Unrelated")
    result = found(agent_api, "walrus")
    assert sorted(result[:2]) == sorted([in_subject.pk, in_both.pk])
    assert result[2:] == [by_requester.pk, in_body.pk]
    if connection.vendor == "postgresql":  # ranked by how well the subject matches
        assert result[:2] == [in_subject.pk, in_both.pk]


def test_api_q_shows_only_visible_tickets(agent_api, agent, other_agent):
    theirs = group_with(other_agent)
    mine = group_with(agent)
    hidden = TicketFactory(subject="Secret narwhal plan", group=theirs)
    CommentFactory(ticket=TicketFactory(subject="x", group=theirs), body="narwhal in a message")
    visible = TicketFactory(subject="Open narwhal plan", group=mine)
    assert found(agent_api, "narwhal") == [visible.pk]
    assert hidden.pk not in found(agent_api, "secret narwhal")


def test_api_q_keeps_other_filters(agent_api):
    open_one = TicketFactory(subject="Lemur invoice", status="open")
    TicketFactory(subject="Lemur invoice", status="pending")
    assert found(agent_api, "lemur", status="open") == [open_one.pk]
    assert found(agent_api, "lemur", status="solved") == []


@pytest.mark.parametrize(
    "q", ["", "   ", "%", "a & b | !c", "'", "x" * 5000, "#", ":*", "1234", "#99999999999999999999"]
)
def test_api_q_odd_input_is_never_a_500(agent_api, q):
    TicketFactory(subject="Anything")
    assert agent_api.get("/api/tickets/", {"q": q}).status_code == 200


def test_api_q_with_a_nul_byte_is_a_400(agent_api):
    response = agent_api.get("/api/tickets/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert "q" in response.json()


@postgres_only
def test_german_stemming_finds_other_word_forms(agent_api):
    ticket = TicketFactory(subject="Frage zur Rechnung")
    english = CommentFactory(body="Where are my invoices?").ticket
    assert found(agent_api, "Rechnungen") == [ticket.pk]
    assert found(agent_api, "invoice") == [english.pk]


@postgres_only
def test_search_uses_the_gin_indexes(agent, admin_user, monkeypatch):
    """The expressions in tickets.search must equal the indexed ones of migrations 0008 and 0010, or every search
    scans. test_search_plans.py has the other plan (a frequent word read newest first)."""
    monkeypatch.setattr(search, "WALK_MAX_ROWS", 0)
    CommentFactory(ticket=TicketFactory(subject="Indexed"), body="indexed")
    sql, params = search.newest_matches_sql(selectors.tickets_visible(user=admin_user), "indexed")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tickets_search_messages_fts" in plan, plan


def test_words_may_be_spread_over_a_tickets_messages(agent_api):
    ticket = CommentFactory(body="The parcel came late").ticket
    CommentFactory(ticket=ticket, body="and the box was dented")
    CommentFactory(body="A parcel, nothing else")
    assert found(agent_api, "parcel dented") == [ticket.pk]


@postgres_only
def test_message_search_follows_every_write_to_a_message(agent_api):
    """The per-ticket message documents are kept by triggers: inserts, edits (a redaction), moves and deletes."""
    comment = CommentFactory(body="antelope sighted")
    ticket = comment.ticket
    assert found(agent_api, "antelope") == [ticket.pk]
    Comment.objects.filter(pk=comment.pk).update(body="gazelle sighted")
    assert found(agent_api, "antelope") == []
    assert found(agent_api, "gazelle") == [ticket.pk]
    other = TicketFactory(subject="Other")
    Comment.objects.filter(pk=comment.pk).update(ticket=other)
    assert found(agent_api, "gazelle") == [other.pk]
    Comment.objects.filter(pk=comment.pk).delete()
    assert found(agent_api, "gazelle") == []
    assert found(agent_api, "sighted") == []


@postgres_only
def test_search_answers_the_most_recently_updated_matches_ranked(agent_api, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 2)
    best_but_oldest = TicketFactory(subject="Okapi okapi okapi")
    in_subject = TicketFactory(subject="Okapi")
    in_body = CommentFactory(body="an okapi").ticket
    now = timezone.now()
    for days, ticket in ((3, best_but_oldest), (2, in_subject), (1, in_body)):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now - timedelta(days=days))
    response = agent_api.get("/api/tickets/", {"q": "okapi"})
    assert [t["id"] for t in response.json()["results"]] == [in_subject.pk, in_body.pk]
    assert response.json()["count"] == 2


def test_selector_ranks_and_restricts(agent, other_agent):
    hidden = TicketFactory(subject="Okapi", group=group_with(other_agent))
    shown = TicketFactory(subject="Okapi")
    result = list(selectors.tickets_search(user=agent, q="okapi"))
    assert result == [shown]
    assert hidden not in result
    assert result[0].search_rank > 0


def test_list_page_search_box_ranks_and_keeps_filters(agent_client, agent):
    in_body = CommentFactory(ticket=TicketFactory(subject="Hello", assignee=agent), body="capybara").ticket
    in_subject = TicketFactory(subject="Capybara capybara", assignee=agent)
    TicketFactory(subject="Capybara pending", assignee=agent, status="pending")
    response = agent_client.get(HOME, {"view": "open", "q": "capybara", "status": "open"})
    assert [t.pk for t in response.context["page"].object_list] == [in_subject.pk, in_body.pk]
    # A column sort still wins over relevance.
    response = agent_client.get(HOME, {"view": "open", "q": "capybara", "status": "open", "sort": "-created"})
    assert [t.pk for t in response.context["page"].object_list] == [in_body.pk, in_subject.pk]
    # "relevance" without a search falls back to the default order instead of failing.
    assert agent_client.get(HOME, {"sort": "relevance"}).status_code == 200


# PostgreSQL: the planner's estimates (read newest first or collect), the matching ids (read once: the count and the
# page do not search again).
SEARCH_QUERIES = 2 if connection.vendor == "postgresql" else 0
LIST_SEARCH_QUERIES = (
    9 + SEARCH_QUERIES
)  # session, user, agents, groups, ticket fields, page count, page rows, tags, view counts


@pytest.mark.parametrize("count", [5, 60])
def test_list_search_query_count_does_not_grow(client, agent, count, django_assert_num_queries):
    for i in range(count):
        CommentFactory(ticket=TicketFactory(subject=f"Tapir {i}", assignee=agent), body="tapir")
    client.force_login(agent)
    with django_assert_num_queries(LIST_SEARCH_QUERIES):
        response = client.get(HOME, {"view": "open", "q": "tapir"})
    assert len(response.context["page"].object_list) == min(count, 25)


API_SEARCH_QUERIES = 7 + SEARCH_QUERIES  # count, rows, tags, CCs, followers, custom field values, active ticket fields


@pytest.mark.parametrize("count", [5, 60])
def test_api_search_query_count_does_not_grow(agent_api, agent, count, django_assert_num_queries):
    for i in range(count):
        CommentFactory(ticket=TicketFactory(subject=f"Tapir {i}", assignee=agent), body="tapir")
    with django_assert_num_queries(API_SEARCH_QUERIES):
        response = agent_api.get("/api/tickets/", {"q": "tapir"})
    assert response.status_code == 200
