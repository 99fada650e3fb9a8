"""An agent's first minutes, in a real browser: log in, open a ticket, write an internal note."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, UserFactory
from tickets import services
from tickets.models import Via

PASSWORD = "correct-horse-battery"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_logs_in_and_adds_an_internal_note(page, live_server, login, artifacts_dir):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    customer = ContactFactory(name="Carla Customer")
    ticket = services.ticket_create(
        requester=customer, subject="Parcel arrived damaged", actor=agent, assignee=agent, via=Via.WEB
    )
    services.end_user_message_add(
        conversation_ticket=ticket, requester=customer, via=Via.WEB, body="The box was crushed.", forwarded=True
    )

    login(page, live_server, agent, PASSWORD)
    expect(page.get_by_role("heading", name="Your unsolved tickets")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "ticket-list.png"), full_page=True)

    page.get_by_role("link", name="Parcel arrived damaged").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.get_by_role("heading", name=re.compile("Parcel arrived damaged"))).to_be_visible()
    expect(page.locator(".comment--customer")).to_contain_text("The box was crushed.")

    page.get_by_text("Internal note", exact=True).click()
    page.get_by_label("Message").fill("Photos requested from the courier.")
    page.get_by_role("button", name="Submit").click()

    note = page.locator(".comment--note").filter(has_text="Photos requested from the courier.")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Internal note")
    # The note's bubble is the yellow one, not an agent's public reply.
    background = note.locator(".bubble").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 247, 209)"
    expect(page.locator("#event-log")).to_contain_text("Comment added (internal note)")
    page.screenshot(path=str(artifacts_dir / "ticket-page.png"), full_page=True)

    comment = ticket.comments.order_by("-id").first()
    assert (comment.body, comment.public, comment.author_user_id) == (
        "Photos requested from the courier.",
        False,
        agent.pk,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ctrl_enter_submits_a_public_reply(page, live_server, login):
    agent = UserFactory(username="bea", first_name="Bea", last_name="Agent", password=PASSWORD)
    ticket = services.ticket_create(requester=ContactFactory(email=""), subject="Keyboard only", assignee=agent)

    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.get_by_label("Message").fill("Sent with the keyboard.")
    page.get_by_label("Message").press("Control+Enter")

    expect(page.locator(".comment--agent")).to_contain_text("Sent with the keyboard.")
    expect(page.locator("#banner-area")).not_to_contain_text(f"Ticket #{ticket.pk} updated.")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filters_and_event_tabs_update_in_place(page, live_server, login):
    """htmx swaps the results and the event log without a page load, and the URL follows."""
    agent = UserFactory(username="cleo", first_name="Cleo", last_name="Agent", password=PASSWORD)
    requester = ContactFactory(email="")
    services.ticket_create(requester=requester, subject="Calm question", assignee=agent, priority="low")
    urgent = services.ticket_create(requester=requester, subject="Server on fire", assignee=agent, priority="urgent")

    login(page, live_server, agent, PASSWORD)
    page.evaluate("window.__samePage = true")
    page.get_by_label("Priority").select_option("urgent")
    page.wait_for_url(re.compile(r"priority=urgent"))
    expect(page.locator(".ticket-row")).to_have_count(1)
    expect(page.locator(".ticket-row")).to_contain_text("Server on fire")
    assert page.evaluate("window.__samePage === true")

    page.goto(f"{live_server.url}/tickets/{urgent.pk}/")
    page.evaluate("window.__samePage = true")
    expect(page.locator("#event-log")).to_contain_text("Ticket created")
    page.locator("#event-log").get_by_role("link", name="Delivery").click()
    expect(page.locator("#event-log")).to_contain_text("No delivery events.")
    page.wait_for_url(re.compile(r"events=delivery"))
    assert page.evaluate("window.__samePage === true")
