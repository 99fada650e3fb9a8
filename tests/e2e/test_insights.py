"""The insights page in chromium: every card draws its chart from the API, a period switch redraws them, the table
view opens, and a CSV downloaded through the browser holds the API's rows."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_whatsapp.insights import materialize
from channels_whatsapp.insights.registry import METRICS
from tests.factories import AdminFactory, TicketFactory, UserFactory, WhatsAppContactFactory, group_with
from tickets.models import Comment, ContactOptInChange, DeliveryStatus, Ticket, TicketStatus, Via

PASSWORD = "correct-horse-battery"
SETTLED = "() => [...document.querySelectorAll('.metric-card')].every(card => card.dataset.state !== 'loading')"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _conversation(*, agent, group, sent, reply_after, status=DeliveryStatus.DELIVERED, code="", template=None):
    """A WhatsApp ticket whose customer wrote at `sent`, answered `reply_after` later (None: not yet)."""
    contact = WhatsAppContactFactory()
    ticket = TicketFactory(requester=contact, via=Via.WHATSAPP, assignee=agent, group=group, status=TicketStatus.OPEN)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=sent, last_customer_message_at=sent)
    customer = Comment.objects.create(
        ticket=ticket,
        author_role="end_user",
        author_contact=contact,
        body="Hello?",
        via=Via.WHATSAPP,
        public=True,
        channel_sent_at=sent,
    )
    Comment.objects.filter(pk=customer.pk).update(created_at=sent + dt.timedelta(minutes=1))
    if reply_after is not None:
        reply = Comment.objects.create(
            ticket=ticket,
            author_role="agent",
            author_user=agent,
            body="Hi!",
            via=Via.WHATSAPP,
            public=True,
            delivery_status=status,
            delivery_error_code=code,
            template=template,
        )
        Comment.objects.filter(pk=reply.pk).update(created_at=sent + reply_after)
    return ticket


@pytest.fixture
def desk():
    """An admin and a small desk over the last three weeks: conversations answered fast, late and not at all,
    deliveries of every outcome, a template, solved tickets and consent changes."""
    admin = AdminFactory(username="ada", first_name="Ada", last_name="Admin", password=PASSWORD)
    group = group_with(admin, name="Support")
    now = timezone.now()
    minutes = dt.timedelta(minutes=1)
    for days, reply_after, status, code in [
        (0.2, 5 * minutes, DeliveryStatus.READ, ""),
        (1, 12 * minutes, DeliveryStatus.DELIVERED, ""),
        (2, 90 * minutes, DeliveryStatus.FAILED, "131026"),
        (3, 40 * minutes, DeliveryStatus.SENT, ""),
        (5, 30 * 60 * minutes, DeliveryStatus.FAILED, "131047"),
        (6, None, None, ""),
        (15, 20 * minutes, DeliveryStatus.READ, ""),
        (20, 45 * minutes, DeliveryStatus.DELIVERED, ""),
    ]:
        _conversation(
            agent=admin,
            group=group,
            sent=now - dt.timedelta(days=days),
            reply_after=reply_after,
            status=status,
            code=code,
        )
    _conversation(
        agent=admin,
        group=None,
        sent=now - dt.timedelta(days=4),
        reply_after=26 * 60 * minutes,
        status=DeliveryStatus.DELIVERED,
        template={"name": "order_update", "language": "en_US"},
    )
    for _ in range(2):
        solved = TicketFactory(assignee=admin, group=group, status=TicketStatus.SOLVED)
        Ticket.objects.filter(pk=solved.pk).update(solved_at=now - dt.timedelta(days=1))
    for opted_in, days in [(True, 1), (True, 2), (False, 3)]:
        ContactOptInChange.objects.create(
            contact=WhatsAppContactFactory(), opted_in=opted_in, source="test", created_at=now - dt.timedelta(days=days)
        )
    materialize.refresh()  # what the minute schedule does in production
    return admin


def _wait_until_drawn(page):
    page.wait_for_function(SETTLED)
    cards = page.locator(".metric-card")
    assert cards.count() == len(METRICS)
    states = {card.get_attribute("data-metric"): card.get_attribute("data-state") for card in cards.all()}
    assert "error" not in states.values(), states
    for card in cards.all():
        if card.get_attribute("data-state") == "ready" and card.get_attribute("data-chart-kind") != "table":
            expect(card.locator("[data-chart] svg").first).to_be_attached()
    return states


def test_the_insights_page_draws_switches_period_shows_tables_and_downloads_csv(
    page, live_server, login, desk, artifacts_dir
):
    login(page, live_server, desk, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    page.wait_for_url(f"{live_server.url}/insights/")
    states = _wait_until_drawn(page)
    expect(page.locator("[data-facts-as-of]")).to_contain_text("as of")  # how fresh the materialized facts are
    for slug in (
        "window_compliance",
        "inbound",
        "inbound_heatmap",
        "first_reply_time",
        "delivery_outcomes",
        "delivery_failures",
        "template_sends",
        "opt_ins",
        "backlog",
        "solved_per_agent",
    ):
        assert states[slug] == "ready", (slug, states)
    today = timezone.localdate()
    inbound = page.locator("#metric-inbound")
    expect(inbound).to_have_attribute("data-period", f"{today - dt.timedelta(days=29)}/{today}")
    expect(inbound.locator(".metric-summary")).to_contain_text("Customer messages")
    page.screenshot(path=str(artifacts_dir / "insights.png"), full_page=True)

    # Seven days: the page comes back with every card drawn for the new period.
    page.locator(".period-picker").get_by_text("Last 7 days").click()
    page.wait_for_url("**/insights/?period=7d*")
    _wait_until_drawn(page)
    expect(inbound).to_have_attribute("data-period", f"{today - dt.timedelta(days=6)}/{today}")
    expect(page.get_by_label("From", exact=True)).to_be_hidden()

    # The table view of the daily counts: one row per day of the period, with its caption.
    toggle = inbound.get_by_role("button", name="Table")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    table = inbound.locator("table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_contain_text("Customer messages and new tickets per day")
    expect(table.locator("tbody tr")).to_have_count(7)
    expect(table.locator("thead th[scope=col]").first).to_have_text("Day")
    # The backlog is counted right now, whatever the period: its table says so.
    backlog = page.locator("#metric-backlog")
    backlog.get_by_role("button", name="Table").click()
    expect(backlog.locator("table caption")).to_contain_text("right now")

    # A custom period: the day inputs appear, and the cards follow them.
    first, last = today - dt.timedelta(days=21), today - dt.timedelta(days=2)
    page.locator(".period-picker").get_by_text("Custom").click()
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(last.isoformat())
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/insights/?period=custom*")
    _wait_until_drawn(page)
    expect(inbound).to_have_attribute("data-period", f"{first}/{last}")

    # The CSV, downloaded as a person would: the labels first, then the API's rows for the same URL.
    link = inbound.get_by_role("link", name="Download CSV")
    with page.expect_download() as download:
        link.click()
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert download.value.suggested_filename == f"insights-inbound-{first}-{last}.csv"
    api_url = link.get_attribute("href").replace("&format=csv", "")
    payload = page.request.get(f"{live_server.url}{api_url}").json()
    keys = [column["key"] for column in payload["columns"]]
    assert lines[0] == [column["label"] for column in payload["columns"]]
    assert lines[1:] == [["" if row[key] is None else str(row[key]) for key in keys] for row in payload["rows"]]
    assert len(lines) - 1 == (last - first).days + 1
    assert sum(int(line[1]) for line in lines[1:]) == payload["summary"]["messages"] > 0

    # On a phone the cards stack and the page (an admin's longer top navigation included) does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _wait_until_drawn(page)
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], f"the page scrolls sideways at 390 px: {sizes}"


def test_an_empty_desk_says_so_and_a_failed_answer_is_shown_in_its_card(page, live_server, login):
    agent = UserFactory(username="alice", password=PASSWORD)
    login(page, live_server, agent, PASSWORD)
    page.route("**/api/insights/inbound/*", lambda route: route.fulfill(status=500, body="oops"))
    page.goto(f"{live_server.url}/insights/?period=7d")
    page.wait_for_function(SETTLED)
    failed = page.locator("#metric-inbound")
    expect(failed).to_have_attribute("data-state", "error")
    expect(failed.locator("[data-message]")).to_contain_text("These figures could not be loaded.")
    # The server answers again: the card tries once more when asked, and draws what it gets.
    page.unroute("**/api/insights/inbound/*")
    failed.get_by_role("button", name="Try again").click()
    expect(failed).to_have_attribute("data-state", "empty")
    expect(failed.locator("[data-message]")).to_have_text("No data for this period")
    empty = page.locator("#metric-delivery_outcomes")
    expect(empty).to_have_attribute("data-state", "empty")
    expect(empty.locator("[data-message]")).to_have_text("No data for this period")
    expect(empty.locator("[data-chart]")).to_be_hidden()
    # The zeros are still there to read, in the table.
    empty.get_by_role("button", name="Table").click()
    expect(empty.locator("tbody tr")).to_have_count(7)
