"""Placeholders (pure): finding, and rendering by explicit substitution."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from macros.placeholders import KNOWN, PLACEHOLDER_RE, found, render, unknown
from tests.macros.placeholder_helpers import VALUES

REQUIRED = {
    "ticket.id",
    "ticket.title",
    "ticket.status",
    "ticket.priority",
    "ticket.url",
    "ticket.requester.name",
    "ticket.requester.first_name",
    "ticket.requester.email",
    "ticket.requester.phone",
    "ticket.assignee.name",
    "ticket.assignee.first_name",
    "ticket.group.name",
    "current_user.name",
    "current_user.first_name",
    "current_user.email",
}


def test_known_holds_the_contract_names():
    assert REQUIRED <= KNOWN
    assert isinstance(KNOWN, frozenset)


# --------------------------------------------------------------------------------------------------------------------
# PLACEHOLDER_RE / found / unknown
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("{{ticket.id}}", "ticket.id"),
        ("{{ ticket.id }}", "ticket.id"),
        ("{{   ticket.id}}", "ticket.id"),
        ("{{ticket.id   }}", "ticket.id"),
        ("{{\tticket.id\n}}", "ticket.id"),
        ("{{ticket.requester.first_name}}", "ticket.requester.first_name"),
        ("{{current_user}}", "current_user"),
        ("{{_x.y_2}}", "_x.y_2"),
    ],
)
def test_placeholder_re_matches_dotted_names_with_optional_spaces(text, name):
    match = PLACEHOLDER_RE.fullmatch(text)
    assert match is not None
    assert match.group("name") == name


@pytest.mark.parametrize(
    "text",
    [
        "{{ticket. id}}",
        "{{ticket..id}}",
        "{{.ticket}}",
        "{{ticket.}}",
        "{{1}}",
        "{{ticket.1st}}",
        "{{ ticket.title|upper }}",
        "{{ticket.title | upper}}",
        "{{ticket-id}}",
        "{ticket.id}",
        "{{ticket.id}",
        "{% if ticket.id %}",
        "{{}}",
    ],
)
def test_placeholder_re_refuses_anything_else(text):
    assert PLACEHOLDER_RE.fullmatch(text) is None


def test_found_lists_unique_names_in_order_of_appearance():
    text = (
        "Hi {{ticket.requester.first_name}}, ticket {{ ticket.id }} ({{ticket.title}}) - {{ticket.id}} {{ticket.id }}"
    )
    assert found(text) == ["ticket.requester.first_name", "ticket.id", "ticket.title"]


def test_found_reports_filters_numbers_and_typos_as_written():
    text = "{{ ticket.title|upper }} {{1}} {{ticket.titel}} {{ ticket.title | upcase }} {{ticket.id}}"
    assert found(text) == ["ticket.title|upper", "1", "ticket.titel", "ticket.title | upcase", "ticket.id"]


def test_found_ignores_empty_braces_single_braces_and_tags():
    assert found("{{}} {{  }} {ticket.id} {% if x %}{% endif %} {{ticket.id} plain") == []


def test_found_in_text_without_placeholders():
    assert found("") == []
    assert found("Hello, how can I help?") == []


def test_unknown_keeps_only_names_outside_known():
    text = "{{ticket.id}} {{ticket.titel}} {{ ticket.title|upper }} {{current_user.name}} {{ticket.custom_field_12}}"
    assert unknown(text) == ["ticket.titel", "ticket.title|upper", "ticket.custom_field_12"]


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_every_known_name_is_not_unknown(name):
    assert unknown("{{" + name + "}}") == []
    assert unknown("{{ " + name + " }}") == []


def test_unknown_is_case_sensitive():
    assert unknown("{{Ticket.ID}}") == ["Ticket.ID"]


def test_unknown_sees_placeholders_inside_shorthand():
    text = "&((template=[[t]] language=[[en]] body_text=[[{{ticket.requester.frist_name}}]]))&"
    assert unknown(text) == ["ticket.requester.frist_name"]


# --------------------------------------------------------------------------------------------------------------------
# render
# --------------------------------------------------------------------------------------------------------------------


def test_render_fills_known_names_with_or_without_spaces():
    text = "Hi {{ticket.requester.first_name}}, ticket #{{ ticket.id }} ({{  ticket.title  }}) - {{current_user.first_name}}"
    assert render(text, VALUES) == "Hi Ana, ticket #4521 (Card blocked) - Alice"


def test_render_keeps_unknown_names_exactly_as_written():
    text = "{{ticket.titel}} {{  ticket.nope   }} {{ticket.group.name}}"
    assert render(text, VALUES) == text


def test_render_does_not_expand_recursively():
    values = {"ticket.title": "{{ticket.id}}", "ticket.id": "4521", "ticket.requester.name": "{{ ticket.title }}"}
    assert render("{{ticket.title}} / {{ticket.requester.name}} / {{ticket.id}}", values) == (
        "{{ticket.id}} / {{ ticket.title }} / 4521"
    )


@pytest.mark.parametrize(
    "text",
    [
        "{% if ticket.id %}yes{% endif %}",
        "{% load static %}{% static 'x' %}",
        "{{ ticket.title|upper }}",
        "{{ticket.title|default:'x'}}",
        "{{ ticket.title.upper }}",  # no attribute or method lookup: just a name that is not in the values
        "{{ ticket.title.0 }}",
        "{# comment #}",
        "{{ticket.id}",
        "{ticket.id}}",
        "{{{{",
        "}}",
    ],
)
def test_render_never_runs_template_engine_features(text):
    assert render(text, VALUES) == text


def test_render_inserts_values_verbatim():
    values = {"ticket.title": "<b>bold</b> & 'quotes' \n {% csrf_token %} \\1 $1"}
    assert render("Subject: {{ticket.title}}", values) == "Subject: " + values["ticket.title"]


def test_render_treats_missing_and_none_values():
    assert render("[{{ticket.id}}]", {"ticket.id": None}) == "[]"
    assert render("[{{ticket.id}}]", {"ticket.id": 42}) == "[42]"
    assert render("[{{ticket.id}}]", {}) == "[{{ticket.id}}]"


def test_render_fills_names_present_in_values_even_if_not_known():
    # KNOWN is for validation at save; rendering is a plain dict lookup.
    assert render("{{custom.thing}}", {"custom.thing": "ok"}) == "ok"


def test_render_adjacent_and_repeated():
    assert render("{{ticket.id}}{{ticket.id}}-{{ticket.id}}", {"ticket.id": "7"}) == "77-7"


@given(st.text(), st.dictionaries(st.sampled_from(sorted(KNOWN)), st.text()))
def test_render_without_placeholders_is_identity(text, values):
    if "{{" not in text:
        assert render(text, values) == text
