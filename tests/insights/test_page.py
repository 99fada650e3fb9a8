"""`/insights/`: one card per metric, each pointing at its API answer and CSV with the page's filters; refused
filters shown beside the form; the top navigation links to it; it speaks the agent's language."""

import re
from html import unescape

import pytest
from django.utils import translation
from django.utils.translation import gettext

from channels_whatsapp.insights.registry import METRICS, SECTIONS
from tests.factories import UserFactory, group_with
from tests.i18n.pages import phrases_in, readable_text
from tickets.models import AgentProfile

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<article class="metric-card[^"]*" id="metric-([\w-]+)"[^>]*data-api-url="([^"]+)"')
CSV = re.compile(r'<a class="button button-quiet" href="([^"]+)" download')


def cards(html: str) -> dict[str, str]:
    return {slug: unescape(url) for slug, url in CARD.findall(html)}


def csv_links(html: str) -> list[str]:
    return [unescape(url) for url in CSV.findall(html)]


@pytest.mark.parametrize("who", ["agent", "admin_user"])
def test_the_page_has_one_card_per_metric_for_agents_and_admins(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/insights/")
    assert response.status_code == 200
    html = response.content.decode()
    assert cards(html) == {slug: f"/api/insights/{slug}/?period=30d" for slug in METRICS}
    assert csv_links(html) == [f"/api/insights/{slug}/?period=30d&format=csv" for slug in _page_order()]
    assert html.count('class="insights-section"') == len(SECTIONS)
    assert html.count("data-table-toggle") == sum(1 for m in METRICS.values() if m.chart["kind"] != "table")
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert all('type="application/json"' in tag for tag in scripts)  # data only: no inline code


def _page_order() -> list[str]:
    return [slug for section in SECTIONS for slug, metric in METRICS.items() if metric.section == section]


def test_the_cards_carry_the_chosen_period_and_filters(agent_client, agent):
    group = group_with(agent, name="Billing")
    response = agent_client.get("/insights/", {"period": "7d", "group": group.pk, "agent": agent.pk})
    html = response.content.decode()
    query = f"period=7d&group={group.pk}&agent={agent.pk}"
    assert set(cards(html).values()) == {f"/api/insights/{slug}/?{query}" for slug in METRICS}
    assert all(link.endswith(f"?{query}&format=csv") for link in csv_links(html))
    assert re.search(rf'<option value="{group.pk}" selected>Billing</option>', html)
    assert re.search(r'<input type="radio" name="period" value="7d" id="period-7d" checked>', html)


def test_a_custom_period_carries_its_days(agent_client):
    response = agent_client.get("/insights/", {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"})
    urls = cards(response.content.decode())
    assert urls["inbound"] == "/api/insights/inbound/?period=custom&from=2026-03-01&to=2026-03-31"
    assert 'value="2026-03-01"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"period": "year"}, "period", "Choose one of: today, 7d, 30d, 90d, custom."),
        ({"period": "custom", "from": "2026-03-05", "to": "2026-03-01"}, "to", "The period must not end before it"),
        ({"period": "custom", "from": "2026-02-30", "to": "2026-03-01"}, "from", "is not a date (YYYY-MM-DD)."),
        ({"group": "x"}, "group", "Give the id as a whole number."),
        ({"group": "999999"}, "group", "No such group among yours."),
    ],
)
def test_refused_filters_are_shown_beside_their_field_and_the_default_is_drawn(agent_client, params, field, reason):
    response = agent_client.get("/insights/", params)
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', html)
    assert error and reason in unescape(error.group(1))
    assert f'aria-describedby="{field}-error"' in html
    assert 'class="form-errors" role="alert"' in html
    assert cards(html)["inbound"] == "/api/insights/inbound/?period=30d"


def test_an_agent_chooses_among_their_own_groups_only(agent_client, agent, other_agent):
    group_with(agent, name="Billing")
    group_with(other_agent, name="Secret")
    html = agent_client.get("/insights/").content.decode()
    assert ">Billing</option>" in html
    assert ">Secret</option>" not in html


def test_the_page_asks_the_same_few_queries_however_many_groups_and_agents(
    agent_client, agent, django_assert_num_queries
):
    """Session, user, then one query each for the groups, agents and accounts to choose from: the numbers themselves
    come from the API, one request per card."""
    for n in range(5):
        group_with(agent, UserFactory(), name=f"Group {n}")
    with django_assert_num_queries(5):
        response = agent_client.get("/insights/")
    assert response.content.decode().count("<option value=") == 5 + 6 + 3  # groups, agents (with alice), "All"s


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/insights/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/insights/"


def test_the_top_navigation_links_to_insights(agent_client):
    home = agent_client.get("/").content.decode()
    assert re.search(r'<a href="/insights/">Insights</a>', home)
    page = agent_client.get("/insights/").content.decode()
    assert re.search(r'<a href="/insights/" aria-current="page">Insights</a>', page)


def test_the_page_loads_the_vendored_chart_library_and_its_script(agent_client):
    html = agent_client.get("/insights/").content.decode()
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert "/static/js/insights-charts.js" in html
    assert "/static/js/insights.js" in html
    assert "langDE.js" not in html


def test_a_german_agent_reads_the_page_in_german(client, agent):
    AgentProfile.objects.create(user=agent, language="de")
    client.force_login(agent)
    html = client.get("/insights/").content.decode()
    assert '<html lang="de"' in html
    assert "/static/vendor/echarts/langDE.js" in html  # the chart library's own words
    text = readable_text(html)
    assert phrases_in(text, ["Gruppe", "Bearbeiter", "WhatsApp-Konto", "Anwenden", "Zurücksetzen", "Von"]) == [
        "Gruppe",
        "Bearbeiter",
        "WhatsApp-Konto",
        "Anwenden",
        "Zurücksetzen",
        "Von",
    ]
    assert phrases_in(text, ["Group", "Assignee", "Apply", "Reset"]) == []
    # The page's own words go through the catalogue too (German once it has them).
    with translation.override("de"):
        own = [gettext("Insights"), gettext("Period"), gettext("Download CSV"), str(METRICS["inbound"].title)]
    assert phrases_in(text, own) == own
