"""The contact's language: read and set through the API (an agent's choice is final), the language helpers."""

import pytest

from tests.factories import ContactFactory, TicketFactory
from tickets import languages
from tickets.contacts import LOCALE_FROM_TEMPLATE, contact_locale_set
from tickets.models import Contact


@pytest.mark.parametrize(
    ("tag", "code"),
    [("de", "de"), ("de_DE", "de"), ("de-AT", "de"), ("EN_us", "en"), ("pt_BR", None), ("", None), (None, None)],
)
def test_supported_language(tag, code):
    assert languages.supported_language(tag) == code


def test_contact_language_falls_back_to_the_accounts_default(settings):
    assert languages.contact_language(Contact(locale="de")) == "de"
    assert languages.contact_language(Contact(locale="")) == "en"
    settings.LANGUAGE_CODE = "de"
    assert languages.contact_language(Contact(locale="")) == "de"
    assert languages.contact_language(Contact(locale="en")) == "en"


def test_time_zone_names_are_checked_against_the_iana_database():
    assert languages.valid_time_zone("Europe/Berlin")
    assert not languages.valid_time_zone("Europe/Gotham")
    assert not languages.valid_time_zone("")


@pytest.mark.django_db
def test_api_shows_and_sets_the_contacts_language(agent_api, agent):
    contact = TicketFactory(assignee=agent).requester
    url = f"/api/contacts/{contact.pk}/"
    assert agent_api.get(url).json()["locale"] == ""
    response = agent_api.patch(url, {"locale": "de"}, format="json")
    assert response.status_code == 200 and response.json()["locale"] == "de"
    contact.refresh_from_db()
    assert (contact.locale, contact.locale_source) == ("de", "agent")
    contact_locale_set(contact=contact, locale="en", source=LOCALE_FROM_TEMPLATE)  # the channel's guess loses
    contact.refresh_from_db()
    assert contact.locale == "de"
    assert agent_api.patch(url, {"locale": ""}, format="json").json()["locale"] == ""
    contact.refresh_from_db()
    assert (contact.locale, contact.locale_source) == ("", "")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["fr", "deutsch", 8, None])
def test_api_refuses_a_language_the_product_does_not_speak(agent_api, agent, value):
    contact = TicketFactory(assignee=agent).requester
    response = agent_api.patch(f"/api/contacts/{contact.pk}/", {"locale": value}, format="json")
    assert response.status_code == 400
    assert "locale" in response.json()
    contact.refresh_from_db()
    assert contact.locale == ""


@pytest.mark.django_db
def test_api_creates_a_contact_with_a_language(agent_api):
    response = agent_api.post("/api/contacts/", {"name": "Greta", "locale": "de"}, format="json")
    assert response.status_code == 201 and response.json()["locale"] == "de"
    assert Contact.objects.get(name="Greta").locale_source == "agent"


@pytest.mark.django_db
def test_the_locale_source_is_read_only(agent_api, agent):
    contact = TicketFactory(assignee=agent, requester=ContactFactory(locale="de")).requester
    agent_api.patch(f"/api/contacts/{contact.pk}/", {"locale_source": "template", "name": "N"}, format="json")
    contact.refresh_from_db()
    assert contact.locale_source == ""


# --- The contact page's language panel ---------------------------------------------------------------------------


@pytest.fixture
def visible_contact(agent):
    return TicketFactory(assignee=agent).requester


@pytest.mark.django_db
def test_contact_page_shows_the_language_panel(agent_client, visible_contact):
    text = agent_client.get(f"/contacts/{visible_contact.pk}/").content.decode()
    assert 'id="contact-language-title"' in text
    assert '<option value="" selected>Account default (English)</option>' in text
    assert "Learnt from the WhatsApp template" not in text


@pytest.mark.django_db
def test_contact_page_says_when_the_language_was_learnt(agent_client, visible_contact):
    contact_locale_set(contact=visible_contact, locale="de", source=LOCALE_FROM_TEMPLATE)
    text = agent_client.get(f"/contacts/{visible_contact.pk}/").content.decode()
    assert '<option value="de" selected>Deutsch</option>' in text
    assert "Learnt from the WhatsApp template the customer answered." in text


@pytest.mark.django_db
def test_an_agent_sets_the_language_on_the_contact_page(agent_client, visible_contact):
    url = f"/contacts/{visible_contact.pk}/language/"
    response = agent_client.post(url, {"locale": "de"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{visible_contact.pk}/"
    visible_contact.refresh_from_db()
    assert (visible_contact.locale, visible_contact.locale_source) == ("de", "agent")
    assert agent_client.post(url, {"locale": ""}).status_code == 302
    visible_contact.refresh_from_db()
    assert (visible_contact.locale, visible_contact.locale_source) == ("", "")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["fr", "deutsch", "de\x00"])
def test_a_bad_language_on_the_contact_page_is_a_form_error(agent_client, visible_contact, value):
    response = agent_client.post(f"/contacts/{visible_contact.pk}/language/", {"locale": value})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    visible_contact.refresh_from_db()
    assert visible_contact.locale == ""
