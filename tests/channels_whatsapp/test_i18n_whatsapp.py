"""The WhatsApp channel in German: plain words for failures, the composer's window notice, and a failure reported
live in the language of the agent it is reported to, from the shipped catalogue."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from channels_whatsapp import failure_reasons, languages, template_replies
from channels_whatsapp.models import WhatsAppConversation
from tests.factories import TicketFactory, WhatsAppContactFactory
from tickets import services as ticket_services
from tickets.models import Comment

pytestmark = pytest.mark.django_db

WINDOW_REASON_DE = (
    "Die letzte Nachricht des Kunden liegt mehr als 24 Stunden zurück: Jetzt erreicht ihn nur noch eine Vorlage."
)
WINDOW_NOTICE_DE = (
    "Die letzte Nachricht des Kunden liegt mehr als 24 Stunden zurück: Diese Antwort wird im Ticket gespeichert, "
    "aber nicht zugestellt. Jetzt erreicht ihn nur noch eine Vorlage."
)
WINDOW_NOTICE_EN = (
    "More than 24 hours since the customer's last message: this reply will be kept on the ticket but not "
    "delivered. Only a template can reach them now."
)


@pytest.fixture
def german():
    """German is shipped compiled; the tests switch to it where they need it."""
    yield


@pytest.fixture
def closed_window_ticket(account):
    contact = WhatsAppContactFactory(wa_id="5511999990000")
    ticket = TicketFactory(
        requester=contact, via="whatsapp", status="open", last_customer_message_at=timezone.now() - timedelta(hours=25)
    )
    WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)
    return ticket


def test_failure_reasons_read_german_with_german_active(german):
    with translation.override("de"):
        assert failure_reasons.reason_for("131047") == WINDOW_REASON_DE
        assert failure_reasons.reason_for("132999", title="Bad header") == (
            "WhatsApp hat die Vorlage abgelehnt (Bad header). Prüfen Sie sie im WhatsApp Manager."
        )
        assert failure_reasons.reason_for("999", "") == "WhatsApp hat einen Fehler gemeldet (999)."
        assert failure_reasons.for_browser()["reasons"]["window_closed"].startswith("Die Antwort wurde im Ticket")
    with translation.override("en"):
        assert failure_reasons.reason_for("131047") == (
            "More than 24 hours since the customer's last message: only a template can reach them now."
        )


def test_the_composer_window_notice_is_german_with_german_active(german, closed_window_ticket):
    with translation.override("de"):
        check = template_replies.composer_check(ticket=closed_window_ticket, body="Hallo", now=timezone.now())
    assert check["deliverable"] is False
    assert check["problems"] == [{"code": "window_closed", "message": WINDOW_NOTICE_DE}]
    with translation.override("en"):
        check = template_replies.composer_check(ticket=closed_window_ticket, body="Hello", now=timezone.now())
    assert check["problems"] == [{"code": "window_closed", "message": WINDOW_NOTICE_EN}]


def test_a_template_refusal_in_the_composer_is_german(german, closed_window_ticket):
    shorthand = "&((template=[[order_update]] language=[[en_US]] body_text=[[Ana]]))&"
    with translation.override("de"):
        check = template_replies.composer_check(ticket=closed_window_ticket, body=shorthand, now=timezone.now())
    (problem,) = check["problems"]
    assert problem["code"] == "templates_not_enabled"
    assert problem["message"] == (
        "Vorlagen sind nicht aktiviert: Die WhatsApp-Nummer 15550001111 darf keine Nachrichtenvorlagen senden; "
        "ein Administrator kann sie aktivieren."
    )


def test_a_failure_is_reported_in_the_language_of_its_agent(
    german, closed_window_ticket, agent, capture_frames, monkeypatch
):
    monkeypatch.setattr(languages, "agent_language", lambda user: "de" if user == agent else "en")
    with capture_frames() as sent:
        comment = ticket_services.comment_add(ticket=closed_window_ticket, author=agent, body="Hallo", public=True)
    (failed,) = [s.frame for s in sent if s.frame["type"] == "delivery.failed"]
    assert failed["error"] == {
        "code": "window_closed",
        "title": "Außerhalb des 24-Stunden-Fensters",
        "detail": (
            "Seit der letzten WhatsApp-Nachricht des Kunden sind mehr als 24 Stunden vergangen. Die Antwort wurde im "
            "Ticket gespeichert, aber nicht gesendet; jetzt erreicht den Kunden nur noch eine genehmigte "
            "Nachrichtenvorlage."
        ),
    }
    assert Comment.objects.get(pk=comment.pk).delivery_error_title == "Außerhalb des 24-Stunden-Fensters"
    assert translation.get_language() == "en"  # the agent's language did not leak into the rest of the request


def test_an_agent_without_a_language_reads_the_site_default(german, closed_window_ticket, agent, capture_frames):
    with capture_frames() as sent:
        ticket_services.comment_add(ticket=closed_window_ticket, author=agent, body="Hello", public=True)
    (failed,) = [s.frame for s in sent if s.frame["type"] == "delivery.failed"]
    assert failed["error"]["title"] == "Outside the 24-hour customer service window"


def test_agent_language_is_the_profile_choice_else_the_site_default(settings):
    settings.LANGUAGE_CODE = "en"
    assert languages.agent_language(None) == "en"
    assert languages.agent_language(SimpleNamespace()) == "en"
    assert languages.agent_language(SimpleNamespace(profile=SimpleNamespace(language=""))) == "en"
    assert languages.agent_language(SimpleNamespace(profile=SimpleNamespace(language="de"))) == "de"
