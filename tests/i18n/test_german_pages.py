"""A German-speaking agent meets no English on the main pages.

Each page is rendered twice, in English and in German. Every phrase of the page's list must be on the English page
(so the list stays true to the page) and none may be left on the German one. The customer's own words are German
here, and message bodies are left out of the check: only what the product says is read.
"""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tests.factories import AdminFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tests.i18n.pages import phrases_in, readable_text
from tickets.models import Comment

pytestmark = pytest.mark.django_db

MESSAGE_BODIES = ("comment__body", "body", "message-body")


@pytest.fixture
def account(db):
    return WhatsAppAccount.objects.create(
        name="Kundendienst",
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_phone_number="15550001111",
        access_token="EAAG-secret-token",
        templates_enabled=True,
    )


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Agentin")


@pytest.fixture
def conversation(account, agent):
    """A WhatsApp ticket with a customer message, an agent's reply that failed and an internal note."""
    contact = WhatsAppContactFactory(wa_id="4917012345678", name="Jana Schulz", whatsapp_opt_in=True)
    ticket = TicketFactory(
        subject="Rechnung doppelt abgebucht",
        requester=contact,
        via="whatsapp",
        status="open",
        assignee=agent,
        last_customer_message_at=timezone.now() - timedelta(hours=2),
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    Comment.objects.create(
        ticket=ticket, author_role="end_user", author_contact=contact, body="Hallo, bitte prüfen Sie das.",
        via="whatsapp", channel_sent_at=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    Comment.objects.create(
        ticket=ticket, author_role="agent", author_user=agent, body="Wir prüfen das.", public=True,
        via="whatsapp", delivery_status="failed", delivery_error_code="131047",
        delivery_error_title="Re-engagement message",
    )  # fmt: skip
    Comment.objects.create(ticket=ticket, author_role="agent", author_user=agent, body="Intern: Buchhaltung fragen.",
                           public=False)  # fmt: skip
    return ticket


def read(client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    text = readable_text(response.content.decode(), skip_classes=MESSAGE_BODIES)
    if os.environ.get("SHOW_PAGE_TEXT"):
        print(f"\n--- {url} [{language}]\n{text}")
    return text


def assert_german(client, url: str, english_phrases: list[str]) -> None:
    english = read(client, url, "en")
    assert phrases_in(english, english_phrases) == english_phrases, "the phrase list no longer matches the page"
    german = read(client, url, "de")
    assert phrases_in(german, english_phrases) == [], german


HEADER = ["Skip to content", "Notifications", "Dismiss all", "No notifications.", "Signed in as", "Log out"]


def test_the_login_page_is_german(client):
    assert_german(client, "/accounts/login/", ["Skip to content", "Username", "Password", "Log in"])


def test_the_ticket_list_is_german(client, agent, conversation):
    client.force_login(agent)
    assert_german(
        client,
        "/",
        [
            *HEADER,
            "Ticket views",
            "Your unsolved tickets",
            "Unassigned tickets",
            "Any status",
            "Pending",
            "On-hold",
            "Solved",
            "Any priority",
            "Urgent",
            "Apply",
            "Reset",
            "Sort by",
            "Group",
            "Any group",
            "Anyone",
            "Subject",
            "Requester",
            "Assignee",
            "Not delivered",
            "open until",
            "Updated",
            "created",
            "now",
        ],
    )


def test_the_ticket_page_and_composer_are_german(client, agent, conversation):
    client.force_login(agent)
    assert_german(
        client,
        f"/tickets/{conversation.pk}/",
        [
            *HEADER,
            "Requester",
            "Created",
            "WhatsApp window open",
            "closes in",
            "Properties",
            "Priority",
            "Question",
            "Incident",
            "Task",
            "Assignee",
            "Separated by spaces.",
            "Conversation",
            "hours ago",
            "Reached us at",
            "received 2 h later",
            "Not delivered",
            "Send as template",
            "Internal note",
            "Public reply",
            "Use a template",
            "Choose a WhatsApp template",
            "Approved templates",
            "Preview",
            "Insert",
            "Cancel",
            "Submit",
            "Submit as Solved",
            "Apply macro",
            "Search macros",
            "Attach files",
            "Events",
            "No events.",
        ],
    )


def test_the_contacts_pages_are_german(client, agent, conversation):
    client.force_login(agent)
    assert_german(client, "/contacts/", [*HEADER, "Search contacts", "Opted in", "Added"])


def test_the_contact_page_is_german(client, agent, conversation):
    client.force_login(agent)
    assert_german(
        client,
        f"/contacts/{conversation.requester_id}/",
        [
            *HEADER,
            "Phone",
            "Added",
            "WhatsApp opt-in",
            "Record consent",
            "Opted out",
            "Save opt-in",
            "Start a WhatsApp conversation",
            "Choose a template",
            "Start conversation",
            "Tickets requested by",
        ],
    )


def test_the_rules_page_is_german(client, db):
    client.force_login(AdminFactory(username="root"))
    assert_german(
        client,
        "/rules/",
        [
            *HEADER,
            "Business rules",
            "Triggers",
            "Automations",
            "Add in admin",
            "Active",
            "Deactivate",
            "Edit in admin",
            "When the ticket is created",
            "notify the requester",
            "Every hour",
            "set status to closed",
        ],
    )


def test_the_admin_and_the_apis_own_messages_follow_the_language(client, api_client, db):
    """Django's admin and DRF ship German; LocaleMiddleware hands it to them."""
    client.force_login(AdminFactory(username="root"))
    assert_german(client, "/admin/", ["Recent actions", "View site", "Change password"])
    refused = api_client.get("/api/tickets/", HTTP_ACCEPT_LANGUAGE="de")
    assert refused.status_code in (401, 403)
    assert refused.json()["detail"] == "Anmeldedaten fehlen."
