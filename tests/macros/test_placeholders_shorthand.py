"""Placeholders (pure): rendering inside template shorthand."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from macros import shorthand
from macros.placeholders import render, render_in_shorthand
from tests.macros.placeholder_helpers import VALUES

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
