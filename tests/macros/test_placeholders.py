"""Placeholders (pure): finding, rendering by explicit substitution, shorthand-safe rendering, values from a ticket."""

from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from macros import placeholders, shorthand
from macros.placeholders import KNOWN, PLACEHOLDER_RE, found, render, render_in_shorthand, unknown, values_for

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

VALUES = {
    "ticket.id": "4521",
    "ticket.title": "Card blocked",
    "ticket.requester.first_name": "Ana",
    "ticket.requester.name": "Ana Silva",
    "current_user.first_name": "Alice",
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


# --------------------------------------------------------------------------------------------------------------------
# render_in_shorthand
# --------------------------------------------------------------------------------------------------------------------

MACRO = (
    "&((template=[[ticket_update]] language=[[pt_BR]] fallback=[[Hi {{ticket.requester.first_name}}]] "
    "body_text=[[{{ticket.requester.first_name}}]] body_text=[[#{{ticket.id}}]]))&"
)

HOSTILE_NAMES = [
    "]] template=[[x",
    "]] template=[[evil]] language=[[en",
    "Ana]]))& &((template=[[evil]] language=[[en]]))&",
    "]]",
    "[[",
    "]",
    "[",
    "&((",
    "))&",
    "&",
    "((",
    ")&",
    "]]]]]",
    "Ana\nSilva",
    "Ana\t\t     Silva",
    "",
    "   ",
    "{{ticket.id}}",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_render_in_shorthand_keeps_a_hostile_customer_name_inside_its_value(name):
    values = {"ticket.requester.first_name": name, "ticket.id": "4521"}
    rendered = render_in_shorthand(MACRO, values)
    parsed = shorthand.parse(rendered)
    assert parsed.template == "ticket_update"
    assert parsed.language == "pt_BR"
    assert len(parsed.body_text) == 2
    assert parsed.body_text[1] == "#4521"
    assert parsed.fallback.startswith("Hi")
    for seq in shorthand.FORBIDDEN:
        assert seq not in parsed.body_text[0]


def test_render_in_shorthand_the_documented_injection():
    rendered = render_in_shorthand(MACRO, {"ticket.requester.first_name": "]] template=[[x", "ticket.id": "1"})
    assert rendered.count("template=[[") == 1
    parsed = shorthand.parse(rendered)
    assert parsed.body_text == ("] ] template=[ [x", "#1")
    assert parsed.fallback == "Hi ] ] template=[ [x"


def test_render_in_shorthand_with_ordinary_values():
    rendered = render_in_shorthand(MACRO, {"ticket.requester.first_name": "Ana", "ticket.id": "4521"})
    assert rendered == (
        "&((template=[[ticket_update]] language=[[pt_BR]] fallback=[[Hi Ana]] body_text=[[Ana]] body_text=[[#4521]]))&"
    )


def test_render_in_shorthand_normalises_values_inside_values():
    rendered = render_in_shorthand(MACRO, {"ticket.requester.first_name": "  Ana\n\tSilva  ", "ticket.id": "1"})
    assert shorthand.parse(rendered).body_text == ("Ana Silva", "#1")


def test_render_in_shorthand_empty_value_becomes_dash_when_sent():
    rendered = render_in_shorthand(MACRO, {"ticket.requester.first_name": "", "ticket.id": "1"})
    parsed = shorthand.parse(rendered)
    assert parsed.body_text == ("", "#1")
    assert parsed.fallback == "Hi "
    assert shorthand.to_template_object(parsed)["components"][0]["parameters"][0] == {"type": "text", "text": "-"}


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("body_text=[[a]{{x}}]]", "]"),  # a] + ] + ]] would close early
        ("body_text=[[a]{{x}}]]", ""),  # a] + nothing + ]] ends with ]
        ("body_text=[[{{x}}]]", "]"),  # a value ending with ] before ]]
        ("body_text=[[{{x}}{{x}}]]", "]"),  # two values meeting
        ("body_text=[[[{{x}}b]]", "["),  # [ + [ would open
        ("body_text=[[&{{x}}]]", "(("),
        ("body_text=[[&({{x}}]]", "("),
        ("body_text=[[){{x}}]]", ")&"),
        ("body_text=[[{{x}}&]]", "))"),
    ],
)
def test_render_in_shorthand_guards_the_seams_between_text_and_values(template, value):
    text = "&((template=[[t]] language=[[en]] " + template + " body_text=[[end]]))&"
    parsed = shorthand.parse(render_in_shorthand(text, {"x": value}))
    assert len(parsed.body_text) == 2
    assert parsed.body_text[1] == "end"


def test_render_in_shorthand_value_between_fields_cannot_add_a_field():
    text = "&((template=[[t]] language=[[en]] {{x}} body_text=[[a]]))&"
    rendered = render_in_shorthand(text, {"x": "template=[[evil]]"})
    with pytest.raises(shorthand.ShorthandError):
        shorthand.parse(rendered)
    assert "template=[[evil" not in rendered


def test_render_in_shorthand_plain_text_is_like_render():
    text = "Hi {{ticket.requester.first_name}},\nyour ticket {{ ticket.id }} [{{ticket.title}}] is solved. {{nope}}"
    values = {**VALUES, "ticket.requester.first_name": "Ana\nMaria", "ticket.title": "a]]b [[c"}
    assert render_in_shorthand(text, values) == render(text, values)


def test_render_in_shorthand_a_value_cannot_turn_plain_text_into_shorthand():
    for name in ("&((template=[[evil]] language=[[en]]))&", "&((", "))&"):
        rendered = render_in_shorthand("{{ticket.requester.name}}", {"ticket.requester.name": name})
        assert not shorthand.contains(rendered)
        assert "))&" not in rendered
    assert not shorthand.contains(render_in_shorthand("Hi &{{x}}", {"x": "((template=[[e]]))&"}))
    assert not shorthand.contains(render_in_shorthand("Hi &({{x}}", {"x": "(x"}))
    assert not shorthand.contains(render_in_shorthand("Hi &{{x}}((", {"x": ""}))


def test_render_in_shorthand_text_after_the_block_is_plain():
    text = "&((template=[[t]] language=[[en]]))& {{x}}"
    assert render_in_shorthand(text, {"x": "a\nb"}) == "&((template=[[t]] language=[[en]]))& a\nb"


def test_render_in_shorthand_unknown_names_and_unclosed_values_are_left_alone():
    text = "&((template=[[t]] language=[[en]] body_text=[[{{nope}} {{x}}"
    assert render_in_shorthand(text, {"x": "]]"}) == "&((template=[[t]] language=[[en]] body_text=[[{{nope}} ] ]"


def test_render_in_shorthand_no_recursion():
    rendered = render_in_shorthand(MACRO, {"ticket.requester.first_name": "{{ticket.id}}", "ticket.id": "9"})
    assert shorthand.parse(rendered).body_text == ("{{ticket.id}}", "#9")


def test_render_in_shorthand_fills_urls_and_button_values():
    text = (
        "&((template=[[t]] language=[[en]] header_document=[[https://files.example.com/{{ticket.id}}.pdf]] "
        "body_text=[[x]]))&"
    )
    parsed = shorthand.parse(render_in_shorthand(text, {"ticket.id": "4521"}))
    assert parsed.header_document == "https://files.example.com/4521.pdf"
    text = "&((template=[[t]] language=[[en]] button_index=[[0]] button_url=[[{{ticket.id}}]]))&"
    assert shorthand.parse(render_in_shorthand(text, {"ticket.id": "4521"})).button_url == "4521"


hostile_text = st.text(
    alphabet=st.one_of(st.sampled_from(list("[]()&= \n\t{}")), st.characters(codec="utf-8")), max_size=30
)


@given(hostile_text, hostile_text)
@example("]", "]")
@example("((", ")&")
@example("", "]")
def test_no_value_can_change_the_shorthand_structure(first, second):
    text = (
        "&((namespace=[[ns]] template=[[t]] fallback=[[Dear {{a}}, about {{b}}]] language=[[en]] "
        "body_text=[[{{a}}]] body_text=[[x{{b}}y]] body_text=[[{{a}}{{b}}]] body_text=[[end]]))&"
    )
    parsed = shorthand.parse(render_in_shorthand(text, {"a": first, "b": second}))
    assert parsed.namespace == "ns"
    assert parsed.template == "t"
    assert parsed.language == "en"
    assert len(parsed.body_text) == 4
    assert parsed.body_text[3] == "end"
    assert parsed.fallback.startswith("Dear ")


@given(hostile_text, st.text(alphabet=st.sampled_from(list("ab&()[] {}\n")), max_size=20))
def test_no_value_can_open_a_block_in_plain_text(value, plain):
    text = plain.replace("&((", "") + "{{a}}" + plain.replace("&((", "")
    if shorthand.contains(text):
        return
    assert not shorthand.contains(render_in_shorthand(text, {"a": value}))


@given(st.text(alphabet=st.sampled_from(list("abc .,!\n")), max_size=30), st.text(alphabet="abc .,!\n", max_size=20))
def test_render_in_shorthand_equals_render_for_ordinary_plain_text(text, value):
    template = text + "{{a}}" + text
    assert render_in_shorthand(template, {"a": value}) == render(template, {"a": value})


# --------------------------------------------------------------------------------------------------------------------
# values_for
# --------------------------------------------------------------------------------------------------------------------


class StandInUser(SimpleNamespace):
    """What values_for reads from a Django user: get_full_name(), first_name, email, username."""

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def full_ticket(**overrides):
    ticket = SimpleNamespace(
        pk=4521,
        subject="Card blocked",
        status="open",
        priority="high",
        type="incident",
        via="whatsapp",
        requester=SimpleNamespace(name="Ana Maria Silva", email="ana@example.com", phone="+5511999990000"),
        assignee=StandInUser(first_name="Alice", last_name="Agent", email="alice@example.com", username="alice"),
        group=SimpleNamespace(name="Billing"),
    )
    for key, value in overrides.items():
        setattr(ticket, key, value)
    return ticket


def test_values_for_a_full_ticket():
    me = StandInUser(first_name="Bob", last_name="Boss", email="bob@example.com", username="bob")
    values = values_for(ticket=full_ticket(), current_user=me, site_url="https://desk.example.com")
    assert values == {
        "ticket.id": "4521",
        "ticket.title": "Card blocked",
        "ticket.status": "open",
        "ticket.priority": "high",
        "ticket.type": "incident",
        "ticket.via": "whatsapp",
        "ticket.url": "https://desk.example.com/tickets/4521/",
        "ticket.requester.name": "Ana Maria Silva",
        "ticket.requester.first_name": "Ana",
        "ticket.requester.email": "ana@example.com",
        "ticket.requester.phone": "+5511999990000",
        "ticket.assignee.name": "Alice Agent",
        "ticket.assignee.first_name": "Alice",
        "ticket.assignee.email": "alice@example.com",
        "ticket.group.name": "Billing",
        "current_user.name": "Bob Boss",
        "current_user.first_name": "Bob",
        "current_user.email": "bob@example.com",
    }


def test_values_for_covers_exactly_known():
    assert set(values_for(ticket=full_ticket())) == KNOWN
    assert set(values_for(ticket=SimpleNamespace())) == KNOWN


def test_values_for_missing_parts_are_empty():
    ticket = full_ticket(assignee=None, group=None, priority=None)
    values = values_for(ticket=ticket)
    for name in (
        "ticket.priority",
        "ticket.assignee.name",
        "ticket.assignee.first_name",
        "ticket.assignee.email",
        "ticket.group.name",
        "current_user.name",
        "current_user.first_name",
        "current_user.email",
    ):
        assert values[name] == "", name
    assert values["ticket.url"] == "/tickets/4521/"


def test_values_for_a_bare_object():
    values = values_for(ticket=SimpleNamespace())
    assert all(value == "" for value in values.values())


def test_values_for_first_name_is_the_first_word_when_the_object_has_none():
    requester = SimpleNamespace(name="  Ana   Maria ", email="", phone="")
    assert values_for(ticket=full_ticket(requester=requester))["ticket.requester.first_name"] == "Ana"
    requester = SimpleNamespace(name="", email="", phone="")
    assert values_for(ticket=full_ticket(requester=requester))["ticket.requester.first_name"] == ""


def test_values_for_uses_the_objects_own_first_name():
    requester = SimpleNamespace(name="Dr. Ana Silva", first_name="Ana", email="", phone="")
    assert values_for(ticket=full_ticket(requester=requester))["ticket.requester.first_name"] == "Ana"


def test_values_for_a_user_without_a_full_name_falls_back_to_the_username():
    me = StandInUser(first_name="", last_name="", email="", username="root")
    values = values_for(ticket=full_ticket(), current_user=me)
    assert values["current_user.name"] == "root"
    assert values["current_user.first_name"] == "root"


def test_values_for_uses_choice_labels_when_the_object_has_them():
    class Ticket(SimpleNamespace):
        def get_status_display(self):
            return {"open": "Open", "hold": "On-hold"}[self.status]

        def get_priority_display(self):
            return None if self.priority is None else self.priority.title()

    values = values_for(ticket=Ticket(pk=1, subject="s", status="hold", priority=None))
    assert values["ticket.status"] == "On-hold"
    assert values["ticket.priority"] == ""
    values = values_for(ticket=Ticket(pk=1, subject="s", status="open", priority="urgent"))
    assert (values["ticket.status"], values["ticket.priority"]) == ("Open", "Urgent")


@pytest.mark.parametrize(
    ("site_url", "url"),
    [
        ("", "/tickets/7/"),
        ("https://desk.example.com", "https://desk.example.com/tickets/7/"),
        ("https://desk.example.com/", "https://desk.example.com/tickets/7/"),
        ("https://example.com/desk", "https://example.com/desk/tickets/7/"),
    ],
)
def test_values_for_ticket_url(site_url, url):
    assert values_for(ticket=full_ticket(pk=7), site_url=site_url)["ticket.url"] == url


def test_values_for_an_unsaved_ticket_has_no_id_nor_url():
    values = values_for(ticket=full_ticket(pk=None), site_url="https://desk.example.com")
    assert values["ticket.id"] == ""
    assert values["ticket.url"] == ""


def test_values_for_then_render_end_to_end():
    me = StandInUser(first_name="Bob", last_name="Boss", email="bob@example.com", username="bob")
    values = values_for(ticket=full_ticket(), current_user=me, site_url="https://desk.example.com")
    text = "Hi {{ticket.requester.first_name}}, {{current_user.first_name}} here about {{ticket.title}}: {{ticket.url}}"
    assert render(text, values) == ("Hi Ana, Bob here about Card blocked: https://desk.example.com/tickets/4521/")


def test_values_for_reads_real_model_instances_without_the_database():
    # No `db` fixture: pytest-django refuses any query, so this also proves values_for only reads attributes.
    from django.contrib.auth import get_user_model

    from tickets.models import Contact, Group, Ticket

    user_model = get_user_model()
    ticket = Ticket(
        pk=12,
        subject="Where is my order?",
        status="pending",
        priority="urgent",
        type="question",
        via="whatsapp",
        requester=Contact(name="Ana Silva", email="ana@example.com", phone="+5511999990000"),
        assignee=user_model(username="alice", first_name="Alice", last_name="Agent", email="alice@example.com"),
        group=Group(name="Support"),
    )
    me = user_model(username="root")
    values = values_for(ticket=ticket, current_user=me, site_url="https://desk.example.com/")
    assert values["ticket.status"] == "Pending"
    assert values["ticket.priority"] == "Urgent"
    assert values["ticket.type"] == "Question"
    assert values["ticket.via"] == "WhatsApp"
    assert values["ticket.requester.first_name"] == "Ana"
    assert values["ticket.assignee.name"] == "Alice Agent"
    assert values["ticket.group.name"] == "Support"
    assert values["current_user.name"] == "root"
    assert values["ticket.url"] == "https://desk.example.com/tickets/12/"

    bare = Ticket(pk=13, subject="x", requester=Contact(name="Bo"))
    values = values_for(ticket=bare)
    assert (values["ticket.assignee.name"], values["ticket.group.name"], values["ticket.priority"]) == ("", "", "")


def test_the_module_imports_no_models():
    import ast
    import inspect

    for module in (placeholders, shorthand):
        tree = ast.parse(inspect.getsource(module))
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not any(name and (name.startswith("django") or name.endswith("models")) for name in imported), imported
