"""Zendesk's `locale_id` condition on the requester's language: Zendesk's numeric ids or our codes, pure evaluation,
the automation sweep's query (they must agree), and a trigger that acts on German customers only."""

from datetime import UTC, datetime

import pytest

from automations import queries, selectors
from automations.conditions.evaluate import condition_holds
from automations.conditions.model import ConditionError, Facts
from automations.conditions.parse import parse_condition
from tests.factories import ContactFactory, TicketFactory
from tickets import services as ticket_services
from tickets.models import Ticket

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def parse(value, operator="is"):
    return parse_condition({"field": "locale_id", "operator": operator, "value": value}, kind="trigger")


@pytest.mark.parametrize(
    ("value", "code"), [(8, "de"), ("8", "de"), (1, "en"), ("de", "de"), ("de-DE", "de"), ("en_US", "en"), ("EN", "en")]
)
def test_zendesk_ids_and_codes_are_accepted_and_stored_as_our_code(value, code):
    assert parse(value).value == code


@pytest.mark.parametrize("value", [2, 16, "fr", "", None, True, [], "8.0", -8])
def test_languages_we_do_not_speak_are_refused_with_the_known_ids(value):
    with pytest.raises(ConditionError, match=r"1 \(en\), 8 \(de\)"):
        parse(value)


@pytest.mark.parametrize("operator", ["less_than", "changed", "includes"])
def test_only_is_and_is_not(operator):
    with pytest.raises(ConditionError):
        parse(8, operator)


@pytest.mark.parametrize(
    ("operator", "value", "locale", "expected"),
    [("is", 8, "de", True), ("is", 8, "en", False), ("is_not", 8, "de", False), ("is_not", 1, "de", True)],
)
def test_pure_evaluation(operator, value, locale, expected):
    facts = Facts(now=NOW, status="open", via="whatsapp", requester_locale=locale)
    assert condition_holds(parse(value, operator), facts) is expected


@pytest.fixture
def mixed_tickets(db):
    return {
        locale: TicketFactory(requester=ContactFactory(locale=locale), status="open") for locale in ("", "en", "de")
    }


@pytest.mark.parametrize("language_code", ["en", "de"])
@pytest.mark.parametrize(("operator", "value"), [("is", 1), ("is", 8), ("is_not", 1), ("is_not", 8)])
def test_the_query_agrees_with_pure_evaluation(settings, mixed_tickets, operator, value, language_code):
    settings.LANGUAGE_CODE = language_code  # a contact without a language reads the account's default
    condition = parse_condition({"field": "locale_id", "operator": operator, "value": value}, kind="automation")
    expected = {
        ticket.pk
        for ticket, facts in selectors.tickets_with_facts(Ticket.objects.all(), now=NOW)
        if condition_holds(condition, facts)
    }
    found = set(Ticket.objects.filter(queries.condition_q(condition, NOW)).values_list("pk", flat=True))
    assert found == expected
    assert expected and expected != {t.pk for t in mixed_tickets.values()}


def test_a_trigger_tags_tickets_of_german_customers_only(admin_api, agent, django_capture_on_commit_callbacks):
    response = admin_api.post(
        "/api/triggers/",
        {
            "title": "German customers",
            "conditions": {
                "all": [
                    {"field": "update_type", "operator": "is", "value": "Change"},
                    {"field": "locale_id", "operator": "is", "value": 8},
                ],
                "any": [],
            },
            "actions": [{"field": "current_tags", "value": "deutsch"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["conditions"]["all"][1] == {"field": "locale_id", "operator": "is", "value": "de"}
    german = TicketFactory(requester=ContactFactory(locale="de"))
    english = TicketFactory(requester=ContactFactory())
    with django_capture_on_commit_callbacks(execute=True):
        for ticket in (german, english):
            ticket_services.ticket_update(ticket=ticket, actor=agent, changes={"priority": "high"})
    assert list(german.tag_rows.values_list("name", flat=True)) == ["deutsch"]
    assert not english.tag_rows.exists()


def test_an_unknown_locale_id_is_a_400_naming_it(admin_api):
    response = admin_api.post(
        "/api/triggers/",
        {
            "title": "French",
            "conditions": {"all": [{"field": "locale_id", "operator": "is", "value": 16}], "any": []},
            "actions": [{"field": "current_tags", "value": "fr"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "locale_id 16" in str(response.json())
