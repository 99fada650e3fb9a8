"""An agent switches to German on the profile page, in chromium: the ticket page, the composer's window notice, a
live delivery banner and the rules page then speak German, and dates follow the agent's time zone."""

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.banner_helpers import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    agent_reply,
    banner_for,
    fail_in_worker,
    log_in,
    open_connected,
    whatsapp_ticket,
)
from tests.factories import AdminFactory
from tests.i18n.pages import phrases_in
from tickets.models import Comment

# The screenshot in docs/ is rewritten only on purpose (UPDATE_SCREENSHOTS=1).
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENGLISH_ON_THE_TICKET_PAGE = [
    "Public reply",
    "Internal note",
    "Submit",
    "Properties",
    "Conversation",
    "Window closed",
    "The 24-hour window is closed",
    "Use a template",
    "Notifications",
    "Log out",
]


def test_an_agent_switches_to_german_and_the_product_follows(page, asgi_server, account, artifacts_dir):
    lead = AdminFactory(username="lena", first_name="Lena", last_name="Lehmann", password=PASSWORD)
    ticket = whatsapp_ticket(account=account, hours_since_customer=30, assignee=lead)
    log_in(page, asgi_server, lead)
    assert page.locator("html").get_attribute("lang") == "en"

    page.goto(f"{asgi_server.url}/profile/")
    page.get_by_label("Language").select_option("de")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_text("Ihr Profil wurde gespeichert.")).to_be_visible()

    open_connected(page, f"{asgi_server.url}/tickets/{ticket.pk}/", ticket_id=ticket.pk)
    expect(page.locator("[data-submit-main]")).to_have_text("Senden als Offen")
    expect(page.locator(".composer").get_by_text("Fenster geschlossen").first).to_be_visible()
    shown = page.locator("body").inner_text()
    assert phrases_in(shown, ENGLISH_ON_THE_TICKET_PAGE) == [], shown
    # The customer's message in Berlin time and German form (3.12.2026, 17:05), whatever the server's zone.
    message = Comment.objects.get(ticket=ticket, author_role="end_user")
    berlin = message.created_at.astimezone(ZoneInfo("Europe/Berlin"))
    expected = f"{berlin.day}.{berlin.month}.{berlin.year}, {berlin:%H:%M}"
    expect(page.locator(".comment--customer time").first).to_have_attribute("title", expected)

    reply = agent_reply(ticket=ticket, author=lead, body="Wir kümmern uns darum.")
    fail_in_worker(reply, code="131047", title="Re-engagement message")
    banner = banner_for(page, reply)
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(banner.locator(".banner-title")).to_have_text("Nachricht nicht zugestellt")
    stamp = banner.locator("time")
    occurred = datetime.fromisoformat(stamp.get_attribute("datetime").replace("Z", "+00:00"))
    expect(stamp).to_contain_text(f"{occurred.astimezone(ZoneInfo('Europe/Berlin')):%H:%M}")  # the agent's zone
    shots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else artifacts_dir
    page.screenshot(path=str(shots / "ticket-page-de.png"))
    banner_text = banner.inner_text()
    assert phrases_in(banner_text, ["Message not delivered", "More than 24 hours", "Dismiss"]) == [], banner_text

    page.goto(f"{asgi_server.url}/rules/")
    expect(page.get_by_role("heading", name="Auslöser")).to_be_visible()
    rules_text = page.locator("main").inner_text()
    assert phrases_in(rules_text, ["Triggers", "Automations", "Deactivate", "Every hour", "When the ticket"]) == []
