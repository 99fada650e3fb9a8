"""Search from the ticket list's box in chromium, at a laptop's 1366x850 and a phone's 390x844: typed words narrow
the list in place (the address keeps the search), and a word only a customer's message holds finds its ticket.

The same search as `GET /api/tickets/?q=`: PostgreSQL's full-text index, SQLite's substring fallback."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, UserFactory
from tickets import services
from tickets.models import Via

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
SIZES = [
    pytest.param({"width": 1366, "height": 850}, id="1366x850"),
    pytest.param({"width": 390, "height": 844}, id="390x844"),
]


def _ticket(agent, *, subject: str, customer: str, message: str):
    requester = ContactFactory(name=customer)
    ticket = services.ticket_create(requester=requester, subject=subject, actor=agent, assignee=agent, via=Via.WEB)
    services.end_user_message_add(
        conversation_ticket=ticket, requester=requester, via=Via.WEB, body=message, forwarded=True
    )
    return ticket


def _search(page, words: str) -> None:
    box = page.get_by_label("Search")
    expect(box).to_be_visible()
    box.fill(words)
    with page.expect_response(lambda r: "q=" in r.url and r.request.method == "GET"):
        box.press("Enter")


def _listed(page) -> list[str]:
    return page.locator(".ticket-row").evaluate_all("rows => rows.map(r => r.dataset.ticketId)")


@pytest.mark.parametrize("size", SIZES)
def test_words_typed_in_the_list_box_narrow_the_list_and_find_a_message_body(page, live_server, login, size):
    agent = UserFactory(username="sam", first_name="Sam", password=PASSWORD)
    parcel = _ticket(agent, subject="Broken glasses in the parcel", customer="Maria Lopez", message="Two are broken.")
    vase = _ticket(
        agent, subject="Where is my order?", customer="Jonas Berg", message="I ordered the sunflower vase on Monday."
    )
    other = _ticket(agent, subject="Password reset", customer="Ines Kraus", message="I cannot log in.")
    page.set_viewport_size(size)
    login(page, live_server, agent, PASSWORD)
    rows = page.locator(".ticket-row")
    expect(rows).to_have_count(3)

    _search(page, "broken parcel")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket-id", str(parcel.pk))
    assert parse_qs(urlparse(page.url).query)["q"] == ["broken parcel"]  # a reload or a shared link keeps it

    _search(page, "sunflower vase")  # words of the customer's message only, not of the subject or requester
    expect(rows.first).to_have_attribute("data-ticket-id", str(vase.pk))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Where is my order?")

    _search(page, "nothing-matches-this")
    expect(rows).to_have_count(0)
    expect(page.locator("#ticket-results")).to_contain_text(re.compile(r"\S"))

    _search(page, "")
    expect(rows).to_have_count(3)
    assert set(_listed(page)) == {str(parcel.pk), str(vase.pk), str(other.pk)}
    box = page.locator(".ticket-table").bounding_box() or page.locator("#ticket-results").bounding_box()
    assert box["x"] >= 0 and box["x"] < size["width"]
