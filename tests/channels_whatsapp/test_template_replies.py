"""Template replies, the send rules, opt-in keywords, proactive outreach and the composer's checks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_whatsapp import message_templates
from channels_whatsapp.models import WhatsAppConversation
from tests.channels_whatsapp import graph_server
from tests.channels_whatsapp.conftest import load_payload
from tests.factories import TicketFactory, WhatsAppContactFactory
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Comment, Contact, Event, Ticket

pytestmark = pytest.mark.django_db

FOLLOWUP = "&((template=[[ticket_followup]] language=[[en_US]] body_text=[[Ana]] body_text=[[4521]]))&"


@pytest.fixture
def graph(settings):
    state = graph_server.GraphStandIn()
    server = graph_server.start(state)
    settings.WHATSAPP_GRAPH_URL = state.url
    settings.WHATSAPP_RETRY_BASE_SECONDS = 0
    yield state
    server.shutdown()


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
def closed_ticket(account):
    contact = WhatsAppContactFactory(wa_id="5511999990000", name="Ana Souza")
    ticket = TicketFactory(
        requester=contact, via="whatsapp", status="open", last_customer_message_at=timezone.now() - timedelta(hours=30)
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def send(ticket, agent, body, capture):
    with capture(execute=True):
        comment = ticket_services.comment_add(ticket=ticket, author=agent, body=body, public=True, via="whatsapp")
    comment.refresh_from_db()
    return comment


def test_template_reply_outside_the_window_is_sent_as_a_template(
    graph, registry, closed_ticket, agent, django_capture_on_commit_callbacks
):
    comment = send(closed_ticket, agent, FOLLOWUP, django_capture_on_commit_callbacks)
    assert comment.body == "Hello Ana, we have an update on your request #4521."
    assert comment.template["name"] == "ticket_followup" and comment.template["language"] == "en_US"
    (request,) = graph.posts("/messages")
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5511999990000",
        "biz_opaque_callback_data": f"comment:{comment.pk}",
        "type": "template",
        "template": {
            "name": "ticket_followup",
            "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "4521"}]}
            ],
        },
    }
    assert comment.delivery_status == "sent"


def test_the_api_shows_the_rendered_text_and_the_template(
    graph, registry, closed_ticket, agent_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(
            f"/api/tickets/{closed_ticket.pk}/comments/", {"body": FOLLOWUP, "public": True}, format="json"
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["body"] == "Hello Ana, we have an update on your request #4521."
    assert data["template"] == {"name": "ticket_followup", "language": "en_US"}
    assert "&((" not in data["body"]


@pytest.mark.parametrize(
    "body, code",
    [
        ("&((template=[[no_such]] language=[[en_US]]))&", "template_not_approved"),
        (
            "&((template=[[ticket_followup]] language=[[pt_BR]] body_text=[[a]] body_text=[[b]]))&",
            "template_not_approved",
        ),
        ("&((template=[[spring_sale]] language=[[en_US]] body_text=[[a]]))&", "template_not_approved"),
        ("&((template=[[ticket_followup]] language=[[en_US]] body_text=[[only one]]))&", "template_params"),
        ("&((template=[[hello_world]] language=[[en_US]] body_text=[[extra]]))&", "template_params"),
        ("&((template=[[welcome_offer]] language=[[en_US]] body_text=[[Ana]] body_text=[[X10]]))&", "not_opted_in"),
        ("Just a free-form reply", "window_closed"),
    ],
)
def test_refusals_keep_the_reply_and_fail_it_with_a_product_code(
    graph, registry, closed_ticket, agent, body, code, django_capture_on_commit_callbacks
):
    comment = send(closed_ticket, agent, body, django_capture_on_commit_callbacks)
    assert comment.delivery_status == "failed"
    assert comment.delivery_error_code == code
    assert graph.posts("/messages") == []
    assert Event.objects.filter(ticket=closed_ticket, type="delivery.failed", data__code=code).count() == 1


def test_templates_not_enabled(graph, registry, closed_ticket, account, agent, django_capture_on_commit_callbacks):
    account.templates_enabled = False
    account.save()
    comment = send(closed_ticket, agent, FOLLOWUP, django_capture_on_commit_callbacks)
    assert comment.delivery_error_code == "templates_not_enabled"


def test_marketing_template_reaches_an_opted_in_customer(
    graph, registry, closed_ticket, agent, django_capture_on_commit_callbacks
):
    Contact.objects.filter(pk=closed_ticket.requester_id).update(whatsapp_opt_in=True)
    body = "&((template=[[welcome_offer]] language=[[en_US]] body_text=[[Ana]] body_text=[[X10]]))&"
    comment = send(closed_ticket, agent, body, django_capture_on_commit_callbacks)
    assert comment.delivery_status == "sent"
    assert comment.body == "Hi Ana! Enjoy 10% off with code X10."


@pytest.mark.parametrize(
    "body",
    [
        "&((template_name=[[ticket_followup]] language=[[en_US]]))&",
        "&((template=[[ticket_followup]]))&",
        "&((template=[[ticket_followup]] language=[[en_US]]",
        "Hello &((template=[[ticket_followup]] language=[[en_US]]))&",
    ],
)
def test_malformed_shorthand_is_a_400_and_nothing_is_saved(registry, closed_ticket, agent_api, body):
    response = agent_api.post(
        f"/api/tickets/{closed_ticket.pk}/comments/", {"body": body, "public": True}, format="json"
    )
    assert response.status_code == 400
    assert "body" in response.json()
    assert not Comment.objects.filter(ticket=closed_ticket).exists()


def test_internal_notes_with_shorthand_are_kept_as_written(registry, closed_ticket, agent):
    note = ticket_services.comment_add(ticket=closed_ticket, author=agent, body=FOLLOWUP, public=False)
    assert note.body == FOLLOWUP and note.template is None


# --- opt-in keywords --------------------------------------------------------------------------------------------------


def inbound_text(post_webhook, text, wamid, capture):
    payload = load_payload("text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["text"]["body"] = text
    message["id"] = wamid
    with capture(execute=True):
        assert post_webhook(payload).status_code == 200
    return Contact.objects.get(wa_id=message["from"])


def test_stop_opts_out_and_start_opts_in(account, post_webhook, django_capture_on_commit_callbacks):
    contact = inbound_text(post_webhook, "Hello", "wamid.k1", django_capture_on_commit_callbacks)
    Contact.objects.filter(pk=contact.pk).update(whatsapp_opt_in=True)
    contact = inbound_text(post_webhook, "stop", "wamid.k2", django_capture_on_commit_callbacks)
    assert contact.whatsapp_opt_in is False
    assert contact.whatsapp_opt_in_source == "whatsapp keyword STOP"
    assert contact.whatsapp_opt_in_at is not None
    assert Comment.objects.filter(author_role="system", body__contains="opted out").exists()
    contact = inbound_text(post_webhook, " START ", "wamid.k3", django_capture_on_commit_callbacks)
    assert contact.whatsapp_opt_in is True
    contact = inbound_text(post_webhook, "please stop calling me", "wamid.k4", django_capture_on_commit_callbacks)
    assert contact.whatsapp_opt_in is True  # only the bare keyword counts


def test_keywords_are_configurable(settings, account, post_webhook, django_capture_on_commit_callbacks):
    settings.WHATSAPP_OPT_OUT_KEYWORDS = ["BASTA"]
    inbound_text(post_webhook, "Hello", "wamid.c1", django_capture_on_commit_callbacks)
    contact = inbound_text(post_webhook, "stop", "wamid.c2", django_capture_on_commit_callbacks)
    assert contact.whatsapp_opt_in_source == ""
    contact = inbound_text(post_webhook, "Basta!", "wamid.c3", django_capture_on_commit_callbacks)
    assert contact.whatsapp_opt_in_source == "whatsapp keyword BASTA"


# --- proactive outreach -------------------------------------------------------------------------------------------


def test_outreach_starts_a_whatsapp_ticket_with_a_template(
    graph, registry, account, agent, agent_api, django_capture_on_commit_callbacks
):
    contact = WhatsAppContactFactory(wa_id="5511977776666", name="Bia Lima", created_by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(
            "/api/whatsapp/conversations/",
            {"account_id": account.pk, "contact_id": contact.pk, "body": FOLLOWUP},
            format="json",
        )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.via == "whatsapp" and ticket.requester == contact and ticket.assignee == agent
    assert ticket.whatsapp.account == account
    (request,) = graph.posts("/messages")
    assert request.json()["type"] == "template" and request.json()["to"] == "+5511977776666"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("Hi there, long time no see!", "Only an approved message template"),
        ("&((template=[[welcome_offer]] language=[[en_US]] body_text=[[a]] body_text=[[b]]))&", "opted in"),
        ("&((template=[[spring_sale]] language=[[en_US]] body_text=[[a]]))&", "not approved"),
    ],
)
def test_outreach_refusals_are_400s_and_create_nothing(registry, account, agent_api, agent, body, fragment):
    contact = WhatsAppContactFactory(wa_id="5511977776667", created_by=agent)
    response = agent_api.post(
        "/api/whatsapp/conversations/",
        {"account_id": account.pk, "contact_id": contact.pk, "body": body},
        format="json",
    )
    assert response.status_code == 400
    assert fragment in str(response.json())
    assert not Ticket.objects.exists()


def test_outreach_needs_a_whatsapp_contact(registry, account, agent):
    from channels_whatsapp.template_replies import conversation_start

    contact = Contact.objects.create(name="Mail only", email="m@example.com")
    with pytest.raises(DomainError):
        conversation_start(account=account, contact=contact, actor=agent, body=FOLLOWUP)


# --- the composer's checks ----------------------------------------------------------------------------------------


def test_composer_check_says_why_a_reply_would_fail(registry, closed_ticket, agent_client):
    url = f"/whatsapp/tickets/{closed_ticket.pk}/composer/check/"
    free = agent_client.post(url, {"body": "hello"}, content_type="application/json").json()
    assert free["kind"] == "text" and free["deliverable"] is False
    assert free["problems"][0]["code"] == "window_closed"
    assert free["window"]["open"] is False

    good = agent_client.post(url, {"body": FOLLOWUP}, content_type="application/json").json()
    assert good["deliverable"] is True and good["rendered"].startswith("Hello Ana")

    bad = agent_client.post(
        url, {"body": "&((template=[[ticket_followup]] language=[[en_US]]))&"}, content_type="application/json"
    ).json()
    assert [p["code"] for p in bad["problems"]] == ["template_params"]

    broken = agent_client.post(url, {"body": "&((template=[[x]]"}, content_type="application/json").json()
    assert broken["problems"][0]["code"] == "shorthand"


def test_composer_builds_escaped_shorthand_from_a_picked_template(registry, closed_ticket, agent_client):
    response = agent_client.post(
        f"/whatsapp/tickets/{closed_ticket.pk}/composer/shorthand/",
        {"template_id": registry["ticket_followup"].pk, "parameters": ["Ana]] template=[[evil", "4521"]},
        content_type="application/json",
    )
    data = response.json()
    assert response.status_code == 200
    assert data["check"]["template"]["name"] == "ticket_followup"
    assert data["shorthand"].count("template=[[") == 1
    assert data["check"]["deliverable"] is True


def test_composer_endpoints_hide_invisible_tickets(registry, closed_ticket, other_agent, client):
    from tests.factories import GroupFactory

    closed_ticket.group = GroupFactory()
    closed_ticket.save()
    client.force_login(other_agent)
    assert client.get(f"/whatsapp/tickets/{closed_ticket.pk}/composer/").status_code == 404
    assert (
        client.post(
            f"/whatsapp/tickets/{closed_ticket.pk}/composer/check/", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_composer_templates_lists_only_approved(registry, closed_ticket, agent_client):
    names = {
        t["name"]
        for t in agent_client.get(f"/whatsapp/tickets/{closed_ticket.pk}/composer/templates/").json()["results"]
    }
    assert names == {"ticket_followup", "welcome_offer", "hello_world"}
