"""Rule sentences and the refusals of rules and macros in German, with the rules catalogue
in the shipped catalogue."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from automations import sentences
from macros.actions.validate import validate_actions
from tests.automations.conftest import act, cond
from tickets.errors import DomainError


@pytest.fixture
def german():
    with translation.override("de"):
        yield


def rule(conditions, actions):
    return SimpleNamespace(conditions=conditions, actions=actions)


def test_a_trigger_reads_as_german_sentences(german):
    trigger = rule(
        {
            "all": [cond("update_type", "is", "Create"), cond("via", "is", "whatsapp"), cond("role", "is", "end_user")],
            "any": [cond("priority", "greater_than", "normal"), cond("assignee_id", "is", 7)],
        },
        [
            act("status", "pending"),
            act("notification_user", ["requester_id", "", "Danke für Ihre Nachricht!"]),
            act("current_tags", "vip gold"),
        ],
    )
    said = sentences.rule_sentences(trigger, kind="trigger", names={"users": {7: "Alice Agent"}})
    assert said["when"] == (
        "Wenn gilt: das Ticket wird erstellt, und Kanal ist WhatsApp, und die Aktualisierung stammt von einem "
        "Kunden, und mindestens eine dieser Bedingungen: Priorität liegt nach normal "
        "(niedrig < normal < hoch < dringend); oder Bearbeiter ist Alice Agent"
    )
    assert said["then"] == [
        "Status auf Wartend setzen",
        "Benachrichtigung an den Anfragenden (per WhatsApp bei WhatsApp-Tickets, sonst per E-Mail): "
        "“Danke für Ihre Nachricht!”",
        "Tags hinzufügen: vip, gold",
    ]


def test_an_automation_reads_as_german_sentences(german):
    automation = rule(
        {"all": [cond("status", "is", "solved"), cond("hours_since_solved", "greater_than", 96)], "any": []},
        [act("status", "closed")],
    )
    said = sentences.rule_sentences(automation, kind="automation", names={})
    assert said == {
        "when": "Stündlich, für Tickets, bei denen gilt: Status ist Gelöst, und Stunden seit Gelöst: mehr als 96",
        "then": ["Status auf Geschlossen setzen"],
    }


def test_english_stays_as_it_was(german):
    with translation.override("en"):
        said = sentences.rule_sentences(
            rule({"all": [cond("status", "is", "hold")], "any": []}, [act("assignee_id", "")]), kind="trigger", names={}
        )
    assert said == {"when": "When status is on-hold", "then": ["unassign"]}


def test_the_api_refuses_a_bad_trigger_in_german(german, admin_api):
    response = admin_api.post(
        "/api/triggers/",
        {
            "title": "Falsch",
            "conditions": {"all": [cond("status", "greater", "open")], "any": []},
            "actions": [act("priority", "sehr hoch")],
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["conditions"] == [
        "conditions.all[0]: unbekannter Operator 'greater' für das Feld 'status' "
        "(is, is_not, less_than, greater_than, changed, not_changed, value, value_previous, not_value, "
        "not_value_previous)."
    ]
    assert body["actions"] == [
        "Aktion 1 (priority): 'sehr hoch' ist kein gültiger Wert für priority (low, normal, high, urgent "
        "oder leer zum Entfernen)."
    ]


def test_a_macro_refusal_names_the_action_in_german(german):
    with pytest.raises(DomainError) as caught:
        validate_actions([act("status", "solved"), {"field": "status"}, act("comment_value", "Hi {{ticket.titel}}")])
    assert caught.value.errors["actions"] == [
        'Aktion 2 (status): "value" fehlt.',
        "Aktion 3 (comment_value): unbekannter Platzhalter {{ticket.titel}}.",
    ]


def test_the_api_documentation_of_rules_speaks_german(german, admin_api):
    schema = admin_api.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="de").json()
    create = schema["paths"]["/api/triggers/"]["post"]
    assert create["summary"] == "Auslöser erstellen"
    assert create["description"] == (
        "JSON im Zendesk-Format; ohne position kommt der Auslöser an das Ende. Nur für Administratoren "
        "(403 für Agenten); 400 nennt die fehlerhafte Bedingung oder Aktion."
    )
