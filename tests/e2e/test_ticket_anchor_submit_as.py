"""The ticket page opens at the newest message, stays there after a Submit, and "Submit as <status>" sets the status."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, UserFactory
from tickets import services
from tickets.models import TicketStatus, Via

PASSWORD = "correct-horse-battery"


def _long_ticket(agent):
    customer = ContactFactory(name="Carla Customer")
    ticket = services.ticket_create(
        requester=customer, subject="A long story", actor=agent, assignee=agent, via=Via.WEB
    )
    for n in range(25):
        services.end_user_message_add(
            conversation_ticket=ticket,
            requester=customer,
            via=Via.WEB,
            body=f"Message number {n}: " + "and then something else happened. " * 4,
            forwarded=True,
        )
    return ticket


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] < height and box["y"] + box["height"] > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 850), (390, 844)])
def test_page_is_anchored_at_the_newest_message_and_stays_there_after_submit_as(page, live_server, login, size):
    agent = UserFactory(username="nina", first_name="Nina", last_name="Agent", password=PASSWORD)
    ticket = _long_ticket(agent)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    newest = page.locator("#comments > .comment").last
    expect(newest).to_contain_text("Message number 24")
    page.wait_for_function("window.scrollY > 0")
    assert _in_view(page, newest)
    assert not _in_view(page, page.locator("#comments > .comment").first)

    page.get_by_label("Message").fill("We sent a new box.")
    expect(page.locator("[data-submit-status]")).to_have_text("Open")
    page.locator("details.submit-menu > summary").click()
    page.get_by_role("button", name="Submit as Pending").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    newest = page.locator("#comments > .comment").last
    expect(newest).to_contain_text("We sent a new box.")
    page.wait_for_function("window.scrollY > 0")
    assert _in_view(page, newest)
    expect(page.locator("[data-submit-status]")).to_have_text("Pending")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1366, 850), (390, 844)])
def test_main_button_follows_the_status_select(page, live_server, login, size):
    agent = UserFactory(username="omar", first_name="Omar", last_name="Agent", password=PASSWORD)
    ticket = _long_ticket(agent)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.get_by_label("Status").select_option("hold")
    expect(page.locator("[data-submit-main]")).to_have_text("Submit as On-hold")
    page.locator("[data-submit-main]").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.HOLD
