"""The tickets app in German: the shipped catalogue turns statuses, event log lines, refusals and form errors German;
English stays as it was. (tests/i18n checks the catalogue itself.)"""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import ContactFactory, TicketFactory, UserFactory
from tickets import hooks, services
from tickets.contact_views import OptInForm
from tickets.errors import DomainError
from tickets.event_log import describe_event
from tickets.management.commands.seed_demo import Command as SeedDemo
from tickets.models import Event, TicketStatus
from tickets.templatetags.ticket_tags import comment_text, status_label


@pytest.fixture
def german():
    with translation.override("de"):
        yield


def test_status_priority_and_type_labels_are_german(german):
    assert status_label("hold") == "Angehalten"
    assert status_label("pending") == "Wartend"
    assert [str(s.label) for s in TicketStatus] == ["Neu", "Offen", "Wartend", "Angehalten", "Gelöst", "Geschlossen"]


def test_an_event_log_line_is_worded_in_german_when_shown(german):
    user = UserFactory.build(first_name="Ann", last_name="Lee")
    changed = Event(type="field.changed", data={"field": "status", "from": "open", "to": "solved"}, actor=user)
    assert describe_event(changed) == "Ann Lee hat Status von Offen auf Gelöst geändert"
    created = Event(type="ticket.created", data={"via": "whatsapp", "follow_up_of": 7})
    assert describe_event(created) == "Ticket über WhatsApp erstellt, als Folgeticket von #7"
    comment = Event(type="comment.added", data={"public": False, "author_role": "agent", "attachments": 2})
    assert describe_event(comment) == "Kommentar hinzugefügt (interne Notiz, 2 Anhänge)"
    assert describe_event(Event(type="delivery.status", data={"status": "read", "previous": "delivered"})) == (
        "Zustellstatus von zugestellt auf gelesen geändert"
    )


@pytest.mark.django_db
def test_a_stored_event_reads_in_the_readers_language(settings):
    """The row stores a type and data, no sentence: the same row reads English, then German."""
    ticket = TicketFactory()
    services.ticket_update(ticket=ticket, changes={"priority": "urgent"})
    event = Event.objects.filter(ticket=ticket, type="field.changed").get()
    with translation.override("en"):
        assert describe_event(event) == "Priority changed from (none) to Urgent"
    with translation.override("de"):
        assert describe_event(event) == "Priorität von (leer) auf Dringend geändert"


@pytest.mark.django_db
def test_a_refusal_of_the_services_is_german(german):
    with pytest.raises(DomainError) as refused:
        services.ticket_create(requester=ContactFactory(), subject="  ")
    assert refused.value.errors == {"subject": ["Ein Ticket braucht einen Betreff."]}


def test_a_form_error_is_german(german):
    form = OptInForm(data={})
    assert not form.is_valid()
    assert form.errors["whatsapp_opt_in"] == ["Wählen Sie, ob der Kunde eingewilligt hat oder nicht."]


@pytest.mark.django_db
def test_the_ticket_list_title_follows_the_browser_language(agent_client, settings):
    html = agent_client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ihre ungelösten Tickets" in html
    assert "Your unsolved tickets" in agent_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_english_is_unchanged_without_german():
    with translation.override("en"):
        assert status_label("hold") == "On-hold"
        event = Event(type="comment.added", data={"public": True, "author_role": "agent", "attachments": 1})
        assert describe_event(event) == "Comment added (public reply, 1 attachment)"


@pytest.mark.django_db
def test_a_system_note_written_from_data_is_worded_in_the_readers_language(monkeypatch, settings):
    monkeypatch.setattr(hooks, "_system_note_wordings", {})
    hooks.register_system_note_wording(
        "number_changed", lambda data: gettext("WhatsApp id changed from %(old)s to %(new)s.") % data
    )
    ticket = TicketFactory()
    body = "WhatsApp id changed from 491511 to 491522."
    note = services.system_note_add(
        ticket=ticket, body=body, data={"old": "491511", "new": "491522"}, note="number_changed"
    )
    plain = services.system_note_add(ticket=ticket, body="Written as it is.")
    unknown = services.system_note_add(ticket=ticket, body="No wording for this one.", note="nobody_registered")
    assert note.body == body and note.channel_data["note"] == "number_changed"
    with translation.override("en"):
        assert comment_text(note) == body
    with translation.override("de"):
        assert comment_text(note) == "WhatsApp-ID von 491511 auf 491522 geändert."
        assert comment_text(plain) == "Written as it is."
        assert comment_text(unknown) == "No wording for this one."


@pytest.mark.django_db
def test_an_api_refusal_follows_the_callers_language(agent_api, agent, settings):
    ticket = TicketFactory(assignee=agent)
    response = agent_api.post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": " ", "public": True}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    assert response.json()["body"] == ["Schreiben Sie eine Nachricht oder hängen Sie eine Datei an."]


@pytest.mark.django_db
def test_the_api_documentation_of_tickets_is_german(agent_api, settings):
    schema = agent_api.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Tickets auflisten" in schema and "List tickets" not in schema


def test_seed_demo_help_is_a_real_string_in_the_active_language(settings):
    """argparse cannot format a lazy description: `--help` must keep working, in English and in German."""
    parser = SeedDemo().create_parser("manage.py", "seed_demo")
    assert "Seed demo data: the logins admin/admin" in parser.format_help()
    with translation.override("de"):
        text = SeedDemo().create_parser("manage.py", "seed_demo").format_help()
    assert "Legt Demodaten an" in text and "Wie viele Tickets angelegt werden" in text
