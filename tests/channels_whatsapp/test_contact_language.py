"""The customer's language on WhatsApp: learnt from the template they answer (unless an agent chose it), and the
template picker offers templates in that language first."""

import pytest

from channels_whatsapp import message_templates
from tests.channels_whatsapp.binding_helpers import (
    ANA,
    customer_message,
    deliver_fixture,  # noqa: F401 - fixture
    our_reply,
)
from tests.factories import WhatsAppContactFactory
from tickets.contacts import contact_update
from tickets.models import Contact, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(deliver, agent, account) -> Ticket:
    deliver(customer_message("wamid.ANA-FIRST"))
    return Ticket.objects.get()


def template_reply(ticket, agent, account, *, wamid: str, language: str):
    comment = our_reply(ticket, agent, account=account, wamid=wamid, body="Hallo Ana, es gibt Neuigkeiten.")
    comment.template = {"name": "ticket_followup", "language": language}
    comment.save(update_fields=["template"])
    return comment


def ana() -> Contact:
    return Contact.objects.get(wa_id=ANA)


def test_a_customer_starts_without_a_language(ticket):
    assert (ana().locale, ana().locale_source) == ("", "")


def test_answering_a_german_template_makes_the_customer_german(deliver, ticket, agent, account):
    template_reply(ticket, agent, account, wamid="wamid.T-DE", language="de_DE")
    deliver(customer_message("wamid.ANA-ANSWER"))
    assert (ana().locale, ana().locale_source) == ("de", "template")


def test_a_swipe_reply_to_a_template_counts_even_when_a_later_message_was_not_one(deliver, ticket, agent, account):
    template_reply(ticket, agent, account, wamid="wamid.T-DE", language="de")
    our_reply(ticket, agent, account=account, wamid="wamid.PLAIN", body="Any news?")
    deliver(customer_message("wamid.ANA-QUOTE", context_id="wamid.T-DE"))
    assert ana().locale == "de"


def test_a_plain_reply_after_a_plain_message_teaches_nothing(deliver, ticket, agent, account):
    template_reply(ticket, agent, account, wamid="wamid.T-DE", language="de")
    our_reply(ticket, agent, account=account, wamid="wamid.PLAIN", body="Any news?")
    deliver(customer_message("wamid.ANA-ANSWER"))
    assert ana().locale == ""


def test_a_language_the_product_does_not_speak_is_ignored(deliver, ticket, agent, account):
    template_reply(ticket, agent, account, wamid="wamid.T-PT", language="pt_BR")
    deliver(customer_message("wamid.ANA-ANSWER"))
    assert ana().locale == ""


def test_an_agents_choice_is_never_overwritten_by_a_template(deliver, ticket, agent, account):
    contact_update(contact=ana(), actor=agent, locale="en")
    template_reply(ticket, agent, account, wamid="wamid.T-DE", language="de_DE")
    deliver(customer_message("wamid.ANA-ANSWER"))
    assert (ana().locale, ana().locale_source) == ("en", "agent")


# --- The template picker ---------------------------------------------------------------------------------------


@pytest.fixture
def templates(account):
    account.templates_enabled = True
    account.save()
    for name, language in [
        ("hello_world", "en_US"),
        ("order_update", "en_US"),
        ("ticket_followup", "en_US"),
        ("ticket_followup", "de"),
        ("zahlung_erinnerung", "de_DE"),
        ("ticket_followup", "pt_BR"),
    ]:
        message_templates.template_create(
            account=account, name=name, language=language, category="UTILITY", status="APPROVED", body="Hi {{1}}"
        )


def picked(response) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return [(t["name"], t["language"]) for t in response.json()["results"]]


GERMAN_FIRST = [
    ("ticket_followup", "de"),
    ("zahlung_erinnerung", "de_DE"),
    ("hello_world", "en_US"),
    ("order_update", "en_US"),
    ("ticket_followup", "en_US"),
    ("ticket_followup", "pt_BR"),
]
ENGLISH_FIRST = [
    ("hello_world", "en_US"),
    ("order_update", "en_US"),
    ("ticket_followup", "en_US"),
    ("ticket_followup", "de"),
    ("ticket_followup", "pt_BR"),
    ("zahlung_erinnerung", "de_DE"),
]


@pytest.mark.parametrize(("locale", "expected"), [("de", GERMAN_FIRST), ("", ENGLISH_FIRST), ("en", ENGLISH_FIRST)])
def test_composer_picker_offers_the_customers_language_first(templates, ticket, agent_client, locale, expected):
    Contact.objects.filter(wa_id=ANA).update(locale=locale)
    assert picked(agent_client.get(f"/whatsapp/tickets/{ticket.pk}/composer/templates/")) == expected


def test_contact_page_picker_orders_for_that_contact(templates, account, agent, agent_client):
    german = WhatsAppContactFactory(locale="de", created_by=agent)
    url = f"/whatsapp/accounts/{account.pk}/templates/"
    assert picked(agent_client.get(url, {"contact_id": german.pk})) == GERMAN_FIRST
    assert picked(agent_client.get(url)) == [
        ("hello_world", "en_US"),
        ("order_update", "en_US"),
        ("ticket_followup", "de"),
        ("ticket_followup", "en_US"),
        ("ticket_followup", "pt_BR"),
        ("zahlung_erinnerung", "de_DE"),
    ]


@pytest.mark.parametrize("contact_id", ["abc", "-1", "99999999999999999999999", "0"])
def test_contact_page_picker_ignores_a_bad_or_invisible_contact(templates, account, agent_client, contact_id):
    assert len(picked(agent_client.get(f"/whatsapp/accounts/{account.pk}/templates/", {"contact_id": contact_id}))) == 6


def test_contact_page_picker_does_not_order_by_a_contact_the_agent_cannot_see(templates, account, agent_client):
    hidden = WhatsAppContactFactory(locale="de")  # nobody's ticket, made by nobody: invisible to a plain agent
    url = f"/whatsapp/accounts/{account.pk}/templates/"
    assert picked(agent_client.get(url, {"contact_id": hidden.pk}))[0] == ("hello_world", "en_US")
