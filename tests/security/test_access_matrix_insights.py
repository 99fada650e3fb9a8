"""Insights in the access matrix: who may open /insights/ and /api/insights/<metric>/, and what each sees.

Agents and admins may read insights; nobody writes them. An agent's numbers count only the tickets that agent may
see (tickets.permissions), and an agent may filter only by their own groups; anonymous callers get the login page or
401; an unknown metric is 404 for everyone signed in."""

import csv
import io

import pytest
from django.utils import timezone

from channels_whatsapp.insights import materialize
from channels_whatsapp.insights.registry import METRICS
from tests.security.test_access_matrix import LOGIN, ROLES, api_client, build_world, expect, page_client, row
from tickets.models import Ticket

MATRIX = [
    row("insights-page", "view", "page", "get", "/insights/", [LOGIN, 200, 200, 200]),
    row("insights-page", "post", "page", "post", "/insights/", [LOGIN, 405, 405, 405]),
    row("insights-api", "read", "api", "get", "/api/insights/inbound/", [401, 200, 200, 200]),
    row("insights-api", "read-csv", "api", "get", "/api/insights/inbound/?format=csv", [401, 200, 200, 200]),
    row("insights-api", "write", "api", "post", "/api/insights/inbound/", [401, 405, 405, 405]),
    row("insights-api", "unknown", "api", "get", "/api/insights/nope/", [401, 404, 404, 404]),
    # The world's ticket belongs to the group "Billing": only its member and admins may filter by it.
    row("insights-api", "filter-group", "api", "get", "/api/insights/inbound/?group={group}", [401, 200, 400, 200]),
]


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("kind", "method", "url", "data", "expected"), MATRIX)
def test_insights_access_matrix(client, world, role, kind, method, url, data, expected):
    url = url.format(group=world.group.pk)
    if kind == "page":
        caller = page_client(client, world, role)
        response = caller.post(url) if method == "post" else caller.get(url)
    else:
        response = getattr(api_client(world, role), method)(url)
    expect(response, expected[role])


@pytest.mark.parametrize("role", ["agent_in_group", "agent_outside_group", "admin"])
@pytest.mark.parametrize("slug", ["inbound", "first_reply_time", "backlog", "inbound_heatmap"])
def test_an_agent_counts_only_the_tickets_they_see_in_json_and_csv(world, role, slug):
    """The world's one ticket (Billing, one customer message) counts for its group's member and the admin only."""
    # What receiving the message through the channel records on the ticket (the world writes the row directly).
    Ticket.objects.filter(pk=world.ticket.pk).update(last_customer_message_at=timezone.now())
    materialize.refresh()
    caller = api_client(world, role)
    payload = caller.get(f"/api/insights/{slug}/").json()
    counted = {
        "inbound": "messages",
        "first_reply_time": "tickets",
        "backlog": "tickets",
        "inbound_heatmap": "messages",
    }
    expected = 0 if role == "agent_outside_group" else 1
    assert payload["summary"][counted[slug]] == expected
    lines = list(csv.DictReader(io.StringIO(caller.get(f"/api/insights/{slug}/?format=csv").content.decode())))
    column = {"inbound": "messages", "first_reply_time": "tickets", "backlog": "total", "inbound_heatmap": "messages"}
    label = next(c["label"] for c in payload["columns"] if c["key"] == column[slug])
    assert sum(int(line[label] or 0) for line in lines) == expected


def test_the_page_links_every_metric_for_every_signed_in_role(client, world):
    for role in ("agent_in_group", "agent_outside_group", "admin"):
        client.force_login(world.users[role])
        html = client.get("/insights/").content.decode()
        for slug in METRICS:
            assert f"/api/insights/{slug}/" in html
