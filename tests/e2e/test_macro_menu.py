"""An agent applies a macro in a real browser: search the menu, preview into the form, edit, submit."""

import re

import pytest
from playwright.sync_api import expect

from macros.models import Macro
from tests.factories import ContactFactory, UserFactory
from tickets import services
from tickets.models import Event, Via

PASSWORD = "correct-horse-battery"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_applies_close_and_thank_edits_and_submits(page, live_server, login, artifacts_dir):
    agent = UserFactory(username="alice", first_name="Alice", last_name="Agent", password=PASSWORD)
    customer = ContactFactory(name="Carla Souza", email="")
    ticket = services.ticket_create(requester=customer, subject="Where is my parcel?", actor=agent, assignee=agent)
    services.end_user_message_add(conversation_ticket=ticket, requester=customer, via=Via.WEB, body="Any news?")
    macro = Macro.objects.create(
        title="Close and thank",
        actions=[
            {"field": "status", "value": "solved"},
            {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, thanks for your patience!"},
        ],
    )
    Macro.objects.create(title="Billing::Refund issued", actions=[{"field": "status", "value": "pending"}])
    Macro.objects.create(title="Ask for order number", actions=[{"field": "status", "value": "pending"}])

    login(page, live_server, agent, PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    # The menu opens from the keyboard and lists the macros by category.
    toggle = page.get_by_text("Apply macro", exact=True)
    toggle.focus()
    page.keyboard.press("Enter")
    search = page.get_by_label("Search macros")
    expect(search).to_be_focused()
    expect(page.locator(".macro-category")).to_have_text(["Billing"])
    expect(page.locator(".macro-option")).to_have_count(3)

    search.fill("close")
    expect(page.locator(".macro-option")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "macro-menu.png"), full_page=True)
    page.get_by_role("button", name="Close and thank").click()

    body = page.get_by_label("Message")
    expect(body).to_have_value("Hi Carla, thanks for your patience!")
    expect(page.get_by_label("Status")).to_have_value("solved")
    expect(page.get_by_label("Public reply")).to_be_checked()
    expect(page.locator("[data-macro-applied-note]")).to_contain_text("Close and thank")
    # Nothing is saved before Submit: the preview only filled the form.
    ticket.refresh_from_db()
    assert ticket.status == "open" and not Event.objects.filter(type="macro.applied").exists()

    body.fill("Hi Carla, thanks for your patience! Your parcel arrives tomorrow.")
    page.get_by_role("button", name="Submit").click()

    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    expect(page.locator("#banner-area")).not_to_contain_text(f"Ticket #{ticket.pk} updated.")
    expect(page.locator(".comment--agent")).to_contain_text("Your parcel arrives tomorrow.")
    expect(page.locator("#event-log")).to_contain_text("Macro applied: Close and thank")
    page.screenshot(path=str(artifacts_dir / "macro-applied.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == "solved"
    reply = ticket.comments.filter(author_user=agent).get()
    assert (reply.body, reply.public) == ("Hi Carla, thanks for your patience! Your parcel arrives tomorrow.", True)
    macro.refresh_from_db()
    assert macro.usage_count == 1
