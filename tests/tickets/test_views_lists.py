"""The agent pages: ticket views (lists, filters, sorting, paging)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ContactFactory, TicketFactory, group_with
from tests.tickets.view_helpers import HOME, ticket_url
from tickets import hooks
from tickets.models import Ticket, TicketStatus, TicketTag, Via

pytestmark = pytest.mark.django_db


def make_tickets(count: int, *, assignee=None, group=None, **fields) -> list[Ticket]:
    """Many tickets in a few queries, each with tags, a requester and a group, so every relation is exercised."""
    requesters = [ContactFactory() for _ in range(3)]
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                subject=fields.get("subject", f"Bulk ticket {i}"),
                requester=requesters[i % 3],
                status=fields.get("status", TicketStatus.OPEN),
                priority=fields.get("priority", "normal"),
                via=fields.get("via", Via.WEB),
                assignee=assignee,
                group=group,
            )
            for i in range(count)
        ]
    )
    TicketTag.objects.bulk_create([TicketTag(ticket=t, name=name) for t in tickets for name in ("billing", "vip")])
    return tickets


def subjects(response) -> list[str]:
    return [t.subject for t in response.context["page"].object_list]


# --- Ticket views -------------------------------------------------------------------------------------------


@pytest.fixture
def spread(agent, other_agent):
    """Tickets in every view: two of Alice's, one unassigned, one pending of Bob's, one solved."""
    return {
        "mine1": TicketFactory(subject="Mine one", assignee=agent),
        "mine2": TicketFactory(subject="Mine two", assignee=agent, status=TicketStatus.HOLD),
        "unassigned": TicketFactory(subject="Nobody's", status=TicketStatus.NEW),
        "pending": TicketFactory(subject="Waiting on customer", assignee=other_agent, status=TicketStatus.PENDING),
        "solved": TicketFactory(subject="Done and dusted", assignee=agent, status=TicketStatus.SOLVED),
    }


def test_default_view_is_your_unsolved_tickets_with_counts(agent_client, spread):
    response = agent_client.get(HOME)
    assert response.status_code == 200
    assert sorted(subjects(response)) == ["Mine one", "Mine two"]
    html = response.content.decode()
    assert "Your unsolved tickets" in html
    counts = {v["slug"]: v["count"] for v in response.context["views"]}
    assert counts == {"mine": 2, "unassigned": 1, "open": 4, "pending": 1, "solved": 1}
    assert '<span class="view-count" aria-label="4 tickets">4</span>' in html
    assert 'class="badge status status-hold"' in html


@pytest.mark.parametrize(
    "view,expected",
    [
        ("unassigned", ["Nobody's"]),
        ("open", ["Mine one", "Mine two", "Nobody's", "Waiting on customer"]),
        ("pending", ["Waiting on customer"]),
        ("solved", ["Done and dusted"]),
        ("bogus", ["Mine one", "Mine two"]),
    ],
)
def test_each_view_lists_its_tickets(agent_client, spread, view, expected):
    assert sorted(subjects(agent_client.get(HOME, {"view": view}))) == sorted(expected)


def test_filters(agent_client, agent, other_agent):
    group = group_with(agent, name="Billing")
    TicketFactory(subject="Urgent WhatsApp", priority="urgent", via=Via.WHATSAPP, assignee=agent, group=group)
    tagged = TicketFactory(subject="Refund please", priority="low", assignee=other_agent)
    TicketTag.objects.create(ticket=tagged, name="refund")
    TicketFactory(subject="Pending one", status=TicketStatus.PENDING)

    def listed(**params):
        return sorted(subjects(agent_client.get(HOME, {"view": "open", **params})))

    assert listed(priority="urgent") == ["Urgent WhatsApp"]
    assert listed(via="whatsapp") == ["Urgent WhatsApp"]
    assert listed(group=group.pk) == ["Urgent WhatsApp"]
    assert listed(assignee=other_agent.pk) == ["Refund please"]
    assert listed(tag="REFUND") == ["Refund please"]
    assert listed(status="pending") == ["Pending one"]
    assert listed(q="refund") == ["Refund please"]
    assert listed(q=f"#{tagged.pk}") == ["Refund please"]
    # An invalid value is reported and ignored rather than breaking the page.
    response = agent_client.get(HOME, {"view": "open", "priority": "whenever"})
    assert response.status_code == 200
    assert len(subjects(response)) == 3
    assert b"Select a valid choice" in response.content


def test_sort_links_and_orders(agent_client, agent):
    old = TicketFactory(subject="Old", assignee=agent, priority="low")
    new = TicketFactory(subject="New", assignee=agent, priority="urgent")
    Ticket.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3), updated_at=timezone.now() - timedelta(days=2)
    )
    mid = TicketFactory(subject="Mid", assignee=agent, priority="high")
    Ticket.objects.filter(pk=mid.pk).update(created_at=timezone.now() - timedelta(days=1))
    Ticket.objects.filter(pk=new.pk).update(updated_at=timezone.now() - timedelta(days=1))

    assert subjects(agent_client.get(HOME)) == ["Mid", "New", "Old"]  # default: recently updated first
    assert subjects(agent_client.get(HOME, {"sort": "-updated"})) == ["Old", "New", "Mid"]
    assert subjects(agent_client.get(HOME, {"sort": "created"})) == ["New", "Mid", "Old"]
    assert subjects(agent_client.get(HOME, {"sort": "-created"})) == ["Old", "Mid", "New"]
    assert subjects(agent_client.get(HOME, {"sort": "priority"})) == ["New", "Mid", "Old"]
    assert subjects(agent_client.get(HOME, {"sort": "id"})) == ["Mid", "New", "Old"]
    html = agent_client.get(HOME, {"sort": "updated", "priority": "high"}).content.decode()
    # The active column's link flips the direction and keeps the filters.
    assert 'href="?sort=-updated&amp;priority=high"' in html
    assert 'aria-sort="descending"' in html


def test_pagination(agent_client, agent):
    make_tickets(30, assignee=agent)
    first = agent_client.get(HOME)
    assert len(subjects(first)) == 25
    html = first.content.decode()
    assert "1\u201325 of 30 tickets" in html
    assert 'href="?page=2"' in html
    second = agent_client.get(HOME, {"page": 2})
    assert len(subjects(second)) == 5
    first_ids = {t.pk for t in first.context["page"].object_list}
    second_ids = {t.pk for t in second.context["page"].object_list}
    assert first_ids.isdisjoint(second_ids)
    assert len(subjects(agent_client.get(HOME, {"page": 99}))) == 5  # out of range: the last page


LIST_QUERIES = 9  # session, user, agents, groups, ticket fields to filter by, page count, page rows, tags, view counts


@pytest.mark.parametrize("provider", ["fake", "registered"])
@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_does_not_grow_with_tickets(
    client, agent, count, provider, django_assert_num_queries, monkeypatch
):
    if provider == "fake":
        # A channel provider that reads only the ticket's own fields, as the contract asks of channel apps.
        monkeypatch.setitem(hooks._channel_info, Via.WHATSAPP, lambda t: {"window": {"open": True, "expires_at": None}})
    # "registered": whatever the installed WhatsApp app registered, with its related row selected by the selector.
    group = group_with(agent)
    make_tickets(count, assignee=agent, group=group, via=Via.WHATSAPP)
    client.force_login(agent)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(HOME, {"view": "open", "sort": "priority"})
    assert len(response.context["page"].object_list) == min(count, 25)
    assert response.content.count(b'class="tag"') == 2 * min(count, 25)


def test_whatsapp_window_cell_only_when_a_provider_answers(agent_client, agent, monkeypatch):
    expires = timezone.now() + timedelta(hours=5)
    monkeypatch.setitem(
        hooks._channel_info, Via.WHATSAPP, lambda t: {"window": {"open": True, "expires_at": expires.isoformat()}}
    )
    TicketFactory(subject="On WhatsApp", via=Via.WHATSAPP, assignee=agent)
    TicketFactory(subject="On the web", via=Via.WEB, assignee=agent)
    html = agent_client.get(HOME).content.decode()
    assert html.count("chip-window-open") == 1
    assert re.search(r'class="chip chip-window-open"[^>]*>[45]h left</span>', html)
    monkeypatch.setitem(hooks._channel_info, Via.WHATSAPP, lambda t: {"window": {"open": False, "expires_at": None}})
    assert 'class="chip chip-window-closed"' in agent_client.get(HOME).content.decode()
    page = agent_client.get(ticket_url(Ticket.objects.get(subject="On WhatsApp"))).content.decode()
    assert "WhatsApp window closed" in page


def test_htmx_request_gets_only_the_results_fragment(agent_client, agent):
    TicketFactory(subject="Fragment", assignee=agent)
    response = agent_client.get(HOME, headers={"HX-Request": "true", "HX-Target": "ticket-results"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-results"')
    assert "Fragment" in html and "<html" not in html
    assert "HX-Target" in response["Vary"]


def test_agent_sees_only_tickets_of_their_groups(agent_client, other_agent):
    hidden_group = group_with(other_agent, name="Secret")
    TicketFactory(subject="Not for Alice", group=hidden_group)
    TicketFactory(subject="Untriaged")
    response = agent_client.get(HOME, {"view": "open"})
    assert subjects(response) == ["Untriaged"]
    assert {v["slug"]: v["count"] for v in response.context["views"]}["open"] == 1
