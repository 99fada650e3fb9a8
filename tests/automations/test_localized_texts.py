"""The shipped rules' texts in the recipient's language: the auto-reply in the customer's, the assignment e-mail in
the agent's. Texts an administrator edited are sent as written."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from tests.channels_whatsapp.conftest import load_payload, meta_json, sign
from tests.factories import ContactFactory, TicketFactory, UserFactory, WhatsAppContactFactory
from tickets import services as ticket_services
from tickets import shipped_texts
from tickets.models import AgentProfile, AuthorRole, Comment, Ticket

pytestmark = pytest.mark.django_db

GERMAN_AUTO_REPLY = (
    "Vielen Dank für Ihre Nachricht! Wir haben sie als Ticket #{id} erhalten, "
    "und ein Agent antwortet Ihnen hier so bald wie möglich."
)
ENGLISH_AUTO_REPLY = (
    "Thanks for your message! We have received it as ticket #{id}, and an agent will reply here as soon as possible."
)


@pytest.fixture(autouse=True)
def _no_rules():
    """Keep the shipped rules: their texts are what these tests are about."""


def customer_writes(client, text="Hallo, ich brauche Hilfe"):
    body = load_payload("text.json")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id="wamid.LANG1", timestamp=str(int(timezone.now().timestamp())), text={"body": text})
    raw = meta_json(body)
    return client.post(
        "/whatsapp/webhook/", data=raw, content_type="application/json", headers={"X-Hub-Signature-256": sign(raw)}
    )


def auto_reply(graph) -> tuple[Comment, str]:
    ticket = Ticket.objects.get(via="whatsapp")
    reply = Comment.objects.get(ticket=ticket, author_role=AuthorRole.SYSTEM)
    (request,) = graph.posts("/messages")
    return reply, request.json()["text"]["body"]


def test_auto_reply_in_the_customers_language(client, account, graph, django_capture_on_commit_callbacks):
    WhatsAppContactFactory(wa_id="5511999990000", locale="de")
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_writes(client).status_code == 200
    reply, sent = auto_reply(graph)
    assert reply.body == GERMAN_AUTO_REPLY.format(id=reply.ticket_id)
    assert sent == reply.body


def test_auto_reply_in_english_for_a_customer_of_unknown_language(
    client, account, graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        customer_writes(client)
    reply, sent = auto_reply(graph)
    assert reply.body == sent == ENGLISH_AUTO_REPLY.format(id=reply.ticket_id)


def test_auto_reply_follows_the_accounts_default_language(
    settings, client, account, graph, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "de"
    with django_capture_on_commit_callbacks(execute=True):
        customer_writes(client)
    reply, _ = auto_reply(graph)
    assert reply.body == GERMAN_AUTO_REPLY.format(id=reply.ticket_id)


def test_an_edited_auto_reply_is_sent_as_written(client, account, graph, django_capture_on_commit_callbacks):
    from automations.models import Trigger

    trigger = Trigger.objects.get(title="Auto-reply to new WhatsApp requests")
    trigger.actions = [{"field": "notification_user", "value": ["requester_id", "", "Moin! Ticket {{ticket.id}}."]}]
    trigger.save()
    WhatsAppContactFactory(wa_id="5511999990000", locale="de")
    with django_capture_on_commit_callbacks(execute=True):
        customer_writes(client)
    reply, _ = auto_reply(graph)
    assert reply.body == f"Moin! Ticket {reply.ticket_id}."


def test_assignment_e_mail_in_the_assignees_language(agent, django_capture_on_commit_callbacks):
    german = UserFactory(username="greta")
    AgentProfile.objects.create(user=german, language="de")
    ticket = TicketFactory(subject="Reißverschluss kaputt", requester=ContactFactory(name="Ana Souza"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": german})
    (message,) = mail.outbox
    assert message.subject == f"[#{ticket.pk}] Ihnen zugewiesen: Reißverschluss kaputt"
    assert f"Das Ticket #{ticket.pk} \u201eReißverschluss kaputt\u201c von Ana Souza ist jetzt Ihnen zugewiesen." in (
        message.body
    )


def test_assignment_e_mail_in_english_for_an_agent_without_a_choice(
    agent, other_agent, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(subject="Broken zipper")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"assignee": other_agent})
    (message,) = mail.outbox
    assert message.subject == f"[#{ticket.pk}] Assigned to you: Broken zipper"


def test_every_shipped_text_is_in_the_shipped_rules_and_keeps_its_placeholders():
    from importlib import import_module

    defaults = import_module("automations.migrations.0003_default_rules")
    rule_texts = {
        text
        for rule in defaults.TRIGGERS + defaults.AUTOMATIONS
        for action in rule["actions"]
        if action["field"] == "notification_user"
        for text in action["value"][1:]
    }
    assert set(shipped_texts.TRANSLATIONS) == rule_texts
    for english, translations in shipped_texts.TRANSLATIONS.items():
        assert set(translations) == {"de"}
        for text in translations.values():
            assert sorted(re.findall(r"\{\{[^}]+\}\}", text)) == sorted(re.findall(r"\{\{[^}]+\}\}", english))


def test_localized_leaves_other_texts_and_languages_alone():
    assert shipped_texts.localized("Hello", "de") == "Hello"
    assert shipped_texts.localized(shipped_texts.AUTO_REPLY_SUBJECT, "en") == shipped_texts.AUTO_REPLY_SUBJECT
    assert shipped_texts.localized(shipped_texts.AUTO_REPLY_SUBJECT, "fr") == shipped_texts.AUTO_REPLY_SUBJECT
    assert shipped_texts.localized(shipped_texts.AUTO_REPLY_SUBJECT, "de").startswith("Wir haben Ihre Anfrage")
