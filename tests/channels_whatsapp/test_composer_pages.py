"""The agent-facing WhatsApp pages: the composer panel on the ticket page, the account-level template endpoints
and "start a conversation" on the contact page."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_whatsapp import message_templates
from channels_whatsapp.models import WhatsAppAccount, WhatsAppConversation
from tests.channels_whatsapp import graph_server
from tests.factories import ContactFactory, TicketFactory, WhatsAppContactFactory
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db

FOLLOWUP = "&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[4521]]))&"
OFFER = "&((template=[[welcome_offer]] language=[[en_US]] body_text=[[Ana]] body_text=[[X10]]))&"


@pytest.fixture
def registry(account):
    account.templates_enabled = True
    account.save()
    made = {}
    for name, category, status, body in [
        ("ticket_followup", "UTILITY", "APPROVED", "Hello {{1}}, we have an update on your request #{{2}}."),
        ("welcome_offer", "MARKETING", "APPROVED", "Hi {{1}}! Enjoy 10% off with code {{2}}."),
        ("spring_sale", "MARKETING", "REJECTED", "Spring sale for {{1}}"),
        ("hello_world", "UTILITY", "APPROVED", "Hello World"),
    ]:
        made[name] = message_templates.template_create(
            account=account, name=name, language="en_US", category=category, status=status, body=body
        )
    return made


@pytest.fixture
def other_account(db):
    return WhatsAppAccount.objects.create(
        name="Sales line", phone_number_id="999000111", waba_id="888", display_phone_number="15550002222",
        access_token="other-token", templates_enabled=True,
    )  # fmt: skip


@pytest.fixture
def ana(db, agent):
    # Created by the agent who writes to her (a contact without tickets is visible to its creator only).
    return WhatsAppContactFactory(wa_id="5511999990000", name="Ana Souza", created_by=agent)


def whatsapp_ticket(account, contact, *, hours_ago: float, **fields):
    ticket = TicketFactory(
        requester=contact,
        via="whatsapp",
        status="open",
        last_customer_message_at=timezone.now() - timedelta(hours=hours_ago),
        **fields,
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def ticket_url(ticket) -> str:
    return reverse("tickets:ticket", args=[ticket.pk])


def post_json(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- The composer panel on the ticket page -------------------------------------------------------------------


def test_closed_window_is_said_before_the_agent_types(agent_client, account, ana):
    ticket = whatsapp_ticket(account, ana, hours_ago=30)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    panel = html[html.index("data-wa-composer") :]
    assert 'data-window-open="false"' in panel
    assert "Window closed" in panel
    notice = re.search(r"<p class=\"wa-closed-notice\"[^>]*>", panel).group(0)
    assert "hidden" not in notice
    assert "The 24-hour window is closed: a free-form reply will be kept on the ticket but not delivered." in panel
    for name in ("composer-state", "composer-templates", "composer-check", "composer-shorthand"):
        assert reverse(f"whatsapp:{name}", args=[ticket.pk]) in panel
    assert "js/composer.js" in panel
    assert '<dialog class="wa-picker"' in panel
    # Not `data-expires-at`: app.js rewrites elements with that attribute into a chip.
    assert "data-window-expires=" in panel and "data-wa-composer data-expires-at" not in panel


def test_open_window_shows_the_time_left(agent_client, account, ana):
    ticket = whatsapp_ticket(account, ana, hours_ago=21)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    panel = html[html.index("data-wa-composer") :]
    assert 'data-window-open="true"' in panel
    assert re.search(r"Window open · closes in (2 h( \d+ min)?|3 h)<", panel)
    notice = re.search(r"<p class=\"wa-closed-notice\"[^>]*>", panel).group(0)
    assert "hidden" in notice
    expires = re.search(r'data-window-expires="([^"]+)"', panel).group(1)
    assert expires.startswith(str((ticket.last_customer_message_at + timedelta(hours=24)).year))


def test_web_tickets_have_no_whatsapp_composer(agent_client, agent):
    ticket = TicketFactory(assignee=agent)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert "data-wa-composer" not in html and "composer.js" not in html


def test_the_panel_costs_no_query(agent_client, account, ana):
    """The WhatsApp ticket page costs what a web ticket page costs: the panel reads only the ticket's fields."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web = TicketFactory(requester=ContactFactory())
    wa = whatsapp_ticket(account, ana, hours_ago=2)
    with CaptureQueriesContext(connection) as web_queries:
        agent_client.get(ticket_url(web))
    with CaptureQueriesContext(connection) as wa_queries:
        response = agent_client.get(ticket_url(wa))
    assert b"data-wa-composer" in response.content
    assert len(wa_queries.captured_queries) == len(web_queries.captured_queries)


def test_requester_names_in_the_panel_are_escaped(agent_client, account):
    contact = WhatsAppContactFactory(name='Eve" onmouseover="alert(1)')
    ticket = whatsapp_ticket(account, contact, hours_ago=1)
    html = agent_client.get(ticket_url(ticket)).content.decode()
    assert 'data-contact-name="Eve&quot; onmouseover=&quot;alert(1)"' in html
    assert 'onmouseover="alert(1)"' not in html


def fragments_url(ticket, *parts: str) -> str:
    return reverse("tickets:ticket-fragments", args=[ticket.pk]) + "?" + "&".join(f"part={part}" for part in parts)


def test_the_window_part_comes_back_with_the_conversation_for_the_composer(agent_client, account, ana):
    """A customer's message reopens the window: the same request that brings the conversation brings the window
    (an out-of-band #ticket-window the composer reads), so the page makes no second request."""
    ticket = whatsapp_ticket(account, ana, hours_ago=30)
    page = agent_client.get(ticket_url(ticket)).content.decode()
    assert re.search(r'<div id="ticket-window" hidden data-window-open="false" data-window-expires="[^"]+">', page)
    Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=timezone.now())
    html = agent_client.get(fragments_url(ticket, "conversation", "events", "window")).content.decode()
    state = re.search(r'<div id="ticket-window" hidden ([^>]*)>', html).group(1)
    assert 'data-window-open="true"' in state and 'hx-swap-oob="true"' in state
    expires = re.search(r'data-window-expires="([^"]+)"', state).group(1)
    assert expires.startswith(str((timezone.now() + timedelta(hours=24)).year))
    assert 'id="comments" hx-swap-oob="true"' in html


def test_the_window_part_costs_no_query_and_is_empty_without_a_channel_window(agent_client, account, ana, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wa = whatsapp_ticket(account, ana, hours_ago=2)
    with CaptureQueriesContext(connection) as without:
        agent_client.get(fragments_url(wa, "conversation"))
    with CaptureQueriesContext(connection) as with_window:
        agent_client.get(fragments_url(wa, "conversation", "window"))
    assert len(with_window.captured_queries) == len(without.captured_queries)
    web = TicketFactory(assignee=agent)
    assert "ticket-window" not in agent_client.get(ticket_url(web)).content.decode()
    response = agent_client.get(fragments_url(web, "window"))
    assert response.status_code == 200 and response.content.decode().strip() == ""


# --- Account-level endpoints (the contact page's picker) -----------------------------------------------------


def test_account_templates_lists_approved_ones_only(agent_client, registry, account, other_account):
    message_templates.template_create(
        account=other_account, name="other_line", language="en_US", category="UTILITY", status="APPROVED", body="x"
    )
    response = agent_client.get(reverse("whatsapp:account-templates", args=[account.pk]))
    assert response.status_code == 200
    data = response.json()
    assert data["account"] == {"id": account.pk, "templates_enabled": True}
    assert [t["name"] for t in data["results"]] == ["hello_world", "ticket_followup", "welcome_offer"]
    followup = next(t for t in data["results"] if t["name"] == "ticket_followup")
    assert followup == {
        "id": registry["ticket_followup"].pk,
        "name": "ticket_followup",
        "language": "en_US",
        "category": "UTILITY",
        "status": "APPROVED",
        "body": "Hello {{1}}, we have an update on your request #{{2}}.",
        "body_parameter_count": 2,
    }
    searched = agent_client.get(reverse("whatsapp:account-templates", args=[account.pk]), {"q": "follow"}).json()
    assert [t["name"] for t in searched["results"]] == ["ticket_followup"]


def test_account_endpoints_need_a_login_and_an_active_account(agent_client, registry, account):
    templates_url = reverse("whatsapp:account-templates", args=[account.pk])
    shorthand_url = reverse("whatsapp:account-shorthand", args=[account.pk])
    anonymous = Client()
    assert anonymous.get(templates_url).status_code == 302
    assert post_json(anonymous, shorthand_url, {}).status_code == 302
    assert agent_client.post(templates_url).status_code == 405
    assert agent_client.get(shorthand_url).status_code == 405
    account.active = False
    account.save()
    assert agent_client.get(templates_url).status_code == 404
    assert post_json(agent_client, shorthand_url, {"template_id": 1, "parameters": []}).status_code == 404
    assert agent_client.get(reverse("whatsapp:account-templates", args=[987654])).status_code == 404


def test_account_shorthand_builds_checked_shorthand(agent_client, registry, account, ana):
    url = reverse("whatsapp:account-shorthand", args=[account.pk])
    response = post_json(
        agent_client,
        url,
        {"template_id": registry["ticket_followup"].pk, "parameters": ["Ana", "]] template=[[x"], "contact_id": ana.pk},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["shorthand"].startswith("&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]]")
    assert data["shorthand"].count("template=[[") == 1  # the value could not inject a key
    assert data["rendered"].startswith("Hello Ana, we have an update on your request #")
    assert data["check"]["deliverable"] is True and data["check"]["problems"] == []
    assert data["check"]["template"]["name"] == "ticket_followup"


def test_account_shorthand_reports_consent_and_enablement(agent_client, registry, account, ana):
    url = reverse("whatsapp:account-shorthand", args=[account.pk])
    offer = {"template_id": registry["welcome_offer"].pk, "parameters": ["Ana", "X10"]}
    with_contact = post_json(agent_client, url, {**offer, "contact_id": ana.pk}).json()
    assert [p["code"] for p in with_contact["check"]["problems"]] == ["not_opted_in"]
    assert with_contact["check"]["deliverable"] is False
    without_contact = post_json(agent_client, url, offer).json()
    assert without_contact["check"]["problems"] == []  # consent needs a contact to judge

    account.templates_enabled = False
    account.save()
    disabled = post_json(agent_client, url, {**offer, "contact_id": ana.pk}).json()
    assert [p["code"] for p in disabled["check"]["problems"]] == ["templates_not_enabled"]


@pytest.mark.parametrize(
    "payload, error",
    [
        ({"template_id": None, "parameters": []}, "Unknown template."),
        ({"template_id": "other", "parameters": ["a"]}, "Unknown template."),
        ({"template_id": "followup", "parameters": "Ana"}, "`parameters` must be a list of strings."),
        ({"template_id": "followup", "parameters": [1, 2]}, "`parameters` must be a list of strings."),
        ({"template_id": "followup", "parameters": ["a", "b"], "contact_id": 999999}, "Unknown contact."),
        ({"template_id": "followup", "parameters": ["a", "b"], "contact_id": "x"}, "Unknown contact."),
    ],
)
def test_account_shorthand_refuses_bad_input(agent_client, registry, account, other_account, payload, error):
    other = message_templates.template_create(
        account=other_account, name="other_line", language="en_US", category="UTILITY", status="APPROVED", body="x"
    )
    payload = dict(payload)
    payload["template_id"] = {"followup": registry["ticket_followup"].pk, "other": other.pk}.get(
        payload["template_id"], payload["template_id"]
    )
    response = post_json(agent_client, reverse("whatsapp:account-shorthand", args=[account.pk]), payload)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_account_shorthand_needs_csrf(agent, registry, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    url = reverse("whatsapp:account-shorthand", args=[account.pk])
    payload = {"template_id": registry["hello_world"].pk, "parameters": []}
    assert post_json(client, url, payload).status_code == 403


# --- Start a conversation from the contact page -------------------------------------------------------------


def contact_url(contact) -> str:
    return reverse("tickets:contact", args=[contact.pk])


def start_url(contact) -> str:
    return reverse("whatsapp:conversation-start", args=[contact.pk])


def test_contact_page_offers_the_whatsapp_panel(agent_client, registry, account, ana):
    html = agent_client.get(contact_url(ana)).content.decode()
    assert "Start a WhatsApp conversation" in html
    assert f'action="{start_url(ana)}"' in html
    assert reverse("whatsapp:account-templates", args=[account.pk]) in html
    assert reverse("whatsapp:account-shorthand", args=[account.pk]) in html
    assert re.search(rf'<option value="{account.pk}"\s+selected', html)  # the only number is preselected
    assert "marketing templates also need their opt-in" in html


def test_contact_page_panel_without_whatsapp_id_or_numbers(agent_client, account, agent):
    email_only = ContactFactory(created_by=agent, wa_id=None)
    assert "has no WhatsApp number" in agent_client.get(contact_url(email_only)).content.decode()
    WhatsAppAccount.objects.update(active=False)
    contact = WhatsAppContactFactory(created_by=agent)
    assert "No active WhatsApp number is connected." in agent_client.get(contact_url(contact)).content.decode()


def test_start_conversation_opens_a_whatsapp_ticket_with_the_template(agent_client, agent, registry, account, ana):
    response = agent_client.post(start_url(ana), {"account": account.pk, "body": FOLLOWUP})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    assert ticket.via == "whatsapp" and ticket.requester == ana and ticket.assignee == agent
    assert WhatsAppConversation.objects.get(ticket=ticket).account == account

    comment = Comment.objects.get(ticket=ticket)
    assert comment.body == "Hello Ana, we have an update on your request #4521."
    assert comment.public and comment.author_user == agent
    assert comment.template["name"] == "ticket_followup" and comment.template["language"] == "en_US"
    # The send rules passed: the message waits for the commit to leave (no network in this test).
    assert comment.delivery_status == "queued"

    page = agent_client.get(response["Location"]).content.decode()
    assert f"Conversation started with Ana Souza: ticket #{ticket.pk}." in page
    assert 'class="badge badge-template"' in page
    assert "&amp;((" not in page and "&((" not in page.split("data-wa-composer")[0]


def test_started_conversation_reaches_the_cloud_api_as_a_template(
    agent_client, registry, account, ana, settings, django_capture_on_commit_callbacks
):
    state = graph_server.GraphStandIn()
    server = graph_server.start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = agent_client.post(start_url(ana), {"account": account.pk, "body": FOLLOWUP})
    finally:
        server.shutdown()
    assert response.status_code == 302
    (request,) = state.posts("/messages")
    sent = request.json()
    assert sent["type"] == "template" and sent["to"] == "+5511999990000"
    assert sent["template"]["name"] == "ticket_followup"
    assert Comment.objects.get().delivery_status == "sent"


@pytest.mark.parametrize(
    "body, message",
    [
        ("Hi Ana, are you there?", "Only an approved message template can start a WhatsApp conversation"),
        (OFFER, "Customer has not opted in"),
        ("&((template=[[spring_sale]] language=[[en_US]] body_text=[[20%]]))&", "Template not approved"),
        ("&((template=[[no_such]] language=[[en_US]]))&", "Template not approved"),
        ("&((template=[[ticket_followup]] language=[[en_US]] body_text=[[one]]))&", "Wrong number of template"),
        ("&((template=[[ticket_followup]] language=[[en_US]]", "Template shorthand:"),
        ("", "Pick a template"),
    ],
)
def test_refusals_rerender_the_contact_page_with_the_reason(agent_client, registry, account, ana, body, message):
    response = agent_client.post(start_url(ana), {"account": account.pk, "body": body})
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(r'<div class="form-errors" role="alert" id="wa-start-errors">(.*?)</div>', html, re.S)
    assert errors and message in errors.group(1), html
    assert not Ticket.objects.exists() and not Comment.objects.exists()
    assert response.context["contact"] == ana
    # What the agent wrote comes back, escaped, for them to fix.
    if body:
        assert body.replace("&", "&amp;") in html


def test_marketing_template_reaches_an_opted_in_contact(agent_client, registry, account, ana):
    ana.whatsapp_opt_in = True
    ana.save()
    response = agent_client.post(start_url(ana), {"account": account.pk, "body": OFFER})
    assert response.status_code == 302
    assert Comment.objects.get().body == "Hi Ana! Enjoy 10% off with code X10."


def test_templates_not_enabled_is_refused(agent_client, registry, account, ana):
    account.templates_enabled = False
    account.save()
    response = agent_client.post(start_url(ana), {"account": account.pk, "body": FOLLOWUP})
    assert response.status_code == 400
    assert "Templates are not enabled" in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("choice", ["", "abc", "inactive", "missing"])
def test_a_number_must_be_chosen(agent_client, registry, account, other_account, ana, choice):
    other_account.active = False
    other_account.save()
    value = {"inactive": other_account.pk, "missing": 987654}.get(choice, choice)
    response = agent_client.post(start_url(ana), {"account": value, "body": FOLLOWUP})
    assert response.status_code == 400
    assert "Choose the WhatsApp number to write from." in response.content.decode()
    assert not Ticket.objects.exists()


def test_contact_without_whatsapp_id_is_refused(agent_client, registry, account, agent):
    contact = ContactFactory(created_by=agent, wa_id=None)
    response = agent_client.post(start_url(contact), {"account": account.pk, "body": FOLLOWUP})
    assert response.status_code == 400
    assert "This contact has no WhatsApp id." in response.content.decode()
    assert not Ticket.objects.exists()


def test_start_needs_login_post_csrf_and_a_contact(agent, agent_client, registry, account, ana):
    assert Client().post(start_url(ana), {"account": account.pk, "body": FOLLOWUP}).status_code == 302
    assert agent_client.get(start_url(ana)).status_code == 405
    missing = reverse("whatsapp:conversation-start", args=[987654])
    assert agent_client.post(missing, {"account": account.pk, "body": FOLLOWUP}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(start_url(ana), {"account": account.pk, "body": FOLLOWUP}).status_code == 403
    assert not Ticket.objects.exists()


def test_the_new_ticket_is_listed_on_the_contact_page(agent_client, registry, account, ana):
    agent_client.post(start_url(ana), {"account": account.pk, "body": FOLLOWUP})
    ticket = Ticket.objects.get()
    response = agent_client.get(contact_url(ana))
    assert [t.pk for t in response.context["page"]] == [ticket.pk]
    assert "WhatsApp: ticket_followup" in response.content.decode()
