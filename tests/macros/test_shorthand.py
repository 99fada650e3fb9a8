"""Template shorthand (pure): the Zendesk syntax, its errors, injection, and the Cloud API template object."""

import itertools
import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from macros import shorthand
from macros.shorthand import Shorthand, ShorthandError

ZENDESK = (
    "&((namespace=[[c8ae5f90_307a_ca4c_b8f6_d1e2a2573574]] template=[[order_update]] "
    "fallback=[[Your order has shipped]] language=[[en_US]] body_text=[[Ana]] body_text=[[#4521]]))&"
)
ZENDESK_PARSED = Shorthand(
    namespace="c8ae5f90_307a_ca4c_b8f6_d1e2a2573574",
    template="order_update",
    fallback="Your order has shipped",
    language="en_US",
    body_text=("Ana", "#4521"),
)
MINIMAL = "&((template=[[hello_world]] language=[[en_US]]))&"


def block(*fields: str, sep: str = " ") -> str:
    return "&((" + sep.join(fields) + "))&"


def error_of(text: str) -> ShorthandError:
    with pytest.raises(ShorthandError) as info:
        shorthand.parse(text)
    return info.value


# --------------------------------------------------------------------------------------------------------------------
# Accepted forms
# --------------------------------------------------------------------------------------------------------------------


def test_the_zendesk_example_parses():
    assert shorthand.parse(ZENDESK) == ZENDESK_PARSED


def test_the_contract_form_parses_with_real_values():
    text = (
        "&((namespace=[[N]] template=[[ticket_update]] fallback=[[TEXT]] language=[[en_US]] "
        "body_text=[[p1]] body_text=[[p2]]))&"
    )
    parsed = shorthand.parse(text)
    assert parsed.namespace == "N"
    assert parsed.template == "ticket_update"
    assert parsed.fallback == "TEXT"
    assert parsed.body_text == ("p1", "p2")


def test_the_reference_form_with_angle_bracket_placeholders_is_refused_for_its_template_name():
    text = (
        "&((namespace=[[<waba_namespace>]] template=[[<template_name>]] fallback=[[<fallback text>]] "
        "language=[[<code>]] body_text=[[<param 1>]] body_text=[[<param 2>]]))&"
    )
    error = error_of(text)
    assert "template name '<template_name>'" in error.message
    assert error.key == "template"


def test_one_field_per_line_like_the_zendesk_article():
    text = """&((
namespace=[[c8ae5f90_307a_ca4c_b8f6_d1e2a2573574]]
template=[[order_update]]
fallback=[[Your order has shipped]]
language=[[en_US]]
body_text=[[Ana]]
body_text=[[#4521]]
))&"""
    assert shorthand.parse(text) == ZENDESK_PARSED


def test_one_field_per_line_with_indentation_and_crlf():
    text = "&((\r\n    template=[[order_update]]\r\n    language=[[en_US]]\r\n\tbody_text=[[Ana]]\r\n))&"
    assert shorthand.parse(text) == Shorthand(template="order_update", language="en_US", body_text=("Ana",))


def test_no_separator_at_all_between_fields():
    text = (
        "&((namespace=[[c8ae5f90_307a_ca4c_b8f6_d1e2a2573574]]template=[[order_update]]"
        "fallback=[[Your order has shipped]]language=[[en_US]]body_text=[[Ana]]body_text=[[#4521]]))&"
    )
    assert shorthand.parse(text) == ZENDESK_PARSED


@pytest.mark.parametrize("sep", [" ", "  ", "\t", "\n", "\r\n", " \n\t ", "\u00a0", ""])
def test_any_whitespace_or_nothing_between_fields(sep):
    text = block("template=[[order_update]]", "language=[[en_US]]", "body_text=[[Ana]]", sep=sep)
    assert shorthand.parse(text) == Shorthand(template="order_update", language="en_US", body_text=("Ana",))


def test_whitespace_around_the_block_and_inside_its_delimiters():
    text = "\n\t  &((  \n template=[[order_update]] language=[[en_US]] \n\t ))&  \r\n"
    assert shorthand.parse(text) == Shorthand(template="order_update", language="en_US")


def test_every_documented_key():
    text = block(
        "namespace=[[ns_1]]",
        "template=[[order_update]]",
        "fallback=[[Shipped]]",
        "language=[[pt_BR]]",
        "body_text=[[Ana]]",
        "body_text=[[#4521]]",
        "header_image=[[https://cdn.example.com/logo.png]]",
        "button_index=[[0]]",
        "button_url=[[4521]]",
    )
    assert shorthand.parse(text) == Shorthand(
        namespace="ns_1",
        template="order_update",
        fallback="Shipped",
        language="pt_BR",
        body_text=("Ana", "#4521"),
        header_image="https://cdn.example.com/logo.png",
        button_index=0,
        button_url="4521",
    )


def test_header_document_key():
    text = block("template=[[invoice]]", "language=[[en]]", "header_document=[[https://x.example/files/inv.pdf]]")
    parsed = shorthand.parse(text)
    assert parsed.header_document == "https://x.example/files/inv.pdf"
    assert parsed.header_image == ""


@pytest.mark.parametrize("index", range(10))
def test_button_index_digits(index):
    text = block("template=[[t]]", "language=[[en]]", f"button_index=[[{index}]]", "button_url=[[abc]]")
    assert shorthand.parse(text).button_index == index


def test_only_template_and_language_are_required():
    assert shorthand.parse(MINIMAL) == Shorthand(template="hello_world", language="en_US")


def test_order_of_keys_is_irrelevant_except_body_text_order():
    others = [
        "namespace=[[ns]]",
        "template=[[order_update]]",
        "fallback=[[fb]]",
        "language=[[en]]",
        "header_image=[[https://a.example/i.png]]",
        "button_index=[[2]]",
        "button_url=[[u]]",
    ]
    bodies = ["body_text=[[one]]", "body_text=[[two]]", "body_text=[[three]]"]
    expected = shorthand.parse(block(*others, *bodies))
    assert expected.body_text == ("one", "two", "three")
    for permutation in itertools.islice(itertools.permutations(others), 0, None, 97):
        fields = list(permutation)
        # Interleave the body_text fields at various places, keeping their relative order.
        for at in (0, 2, 5):
            mixed = [*fields[:at], bodies[0], *fields[at : at + 1], bodies[1], *fields[at + 1 :], bodies[2]]
            assert shorthand.parse(block(*mixed)) == expected


def test_body_text_order_is_the_parameter_order():
    first = shorthand.parse(block("template=[[t]]", "language=[[en]]", "body_text=[[a]]", "body_text=[[b]]"))
    second = shorthand.parse(block("template=[[t]]", "language=[[en]]", "body_text=[[b]]", "body_text=[[a]]"))
    assert first.body_text == ("a", "b")
    assert second.body_text == ("b", "a")
    assert first != second


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("en-US", "en_US"),
        ("pt-BR", "pt_BR"),
        ("en_US", "en_US"),
        ("en", "en"),
        ("zh_CN", "zh_CN"),
        ("zh-HK", "zh_HK"),
        ("fil", "fil"),
        ("es_419", "es_419"),
        ("  en_GB  ", "en_GB"),
    ],
)
def test_language_codes(typed, stored):
    assert shorthand.parse(block("template=[[t]]", f"language=[[{typed}]]")).language == stored


def test_language_is_normalised_by_the_constructor_too():
    assert Shorthand(template="t", language="en-US") == Shorthand(template="t", language="en_US")
    assert Shorthand(template="t", language="en-US").language == "en_US"


def test_identifier_like_values_are_stripped_but_body_text_and_fallback_are_kept_as_typed():
    text = block(
        "namespace=[[ ns ]]",
        "template=[[ order_update\n]]",
        "language=[[\ten_US ]]",
        "fallback=[[  Hello\nthere  ]]",
        "body_text=[[  Ana\n Silva ]]",
        "body_text=[[]]",
        "header_document=[[ https://a.example/x.pdf ]]",
        "button_index=[[ 1 ]]",
        "button_url=[[ abc ]]",
    )
    parsed = shorthand.parse(text)
    assert parsed.namespace == "ns"
    assert parsed.template == "order_update"
    assert parsed.language == "en_US"
    assert parsed.fallback == "  Hello\nthere  "
    assert parsed.body_text == ("  Ana\n Silva ", "")
    assert parsed.header_document == "https://a.example/x.pdf"
    assert parsed.button_index == 1
    assert parsed.button_url == "abc"


def test_values_may_hold_single_brackets_braces_and_ampersands():
    text = block(
        "template=[[t]]",
        "language=[[en]]",
        "body_text=[[[a] (b) & {c} ]x[ &( )& ]]",
        "body_text=[[[leading bracket]]",
        "fallback=[[50% off & more (today)]]",
    )
    parsed = shorthand.parse(text)
    assert parsed.body_text == ("[a] (b) & {c} ]x[ &( )& ", "[leading bracket")
    assert parsed.fallback == "50% off & more (today)"


def test_empty_namespace_and_fallback_are_the_same_as_absent():
    assert shorthand.parse(block("namespace=[[]]", "template=[[t]]", "fallback=[[]]", "language=[[en]]")) == (
        Shorthand(template="t", language="en")
    )


def test_unicode_values_are_kept():
    parsed = shorthand.parse(block("template=[[t]]", "language=[[pt_BR]]", "body_text=[[João 🎉 Ñandú]]"))
    assert parsed.body_text == ("João 🎉 Ñandú",)


# --------------------------------------------------------------------------------------------------------------------
# Refused forms: each error names the problem
# --------------------------------------------------------------------------------------------------------------------

ERRORS = [
    # (id, text, words the message must hold, key)
    (
        "template_name",
        block("template_name=[[t]]", "language=[[en]]"),
        ["template_name", "use template="],
        "template_name",
    ),
    (
        "upper_case_key",
        block("Template=[[t]]", "language=[[en]]"),
        ["'Template'", "lower-case", "template="],
        "Template",
    ),
    ("upper_case_alias", block("TEMPLATE_NAME=[[t]]", "language=[[en]]"), ["TEMPLATE_NAME", "use template="], None),
    ("unknown_key", block("template=[[t]]", "language=[[en]]", "colour=[[red]]"), ["'colour'", "known keys"], "colour"),
    (
        "header_text",
        block("template=[[t]]", "language=[[en]]", "header_text=[[x]]"),
        ["header_text", "header_image"],
        None,
    ),
    ("lang_alias", block("template=[[t]]", "lang=[[en]]"), ["'lang'", "language="], "lang"),
    ("missing_template", block("language=[[en]]", "body_text=[[a]]"), ["template=", "missing"], "template"),
    ("missing_language", block("template=[[t]]"), ["language=", "missing"], "language"),
    ("empty_block", "&(())&", ["template=", "missing"], "template"),
    ("empty_template", block("template=[[]]", "language=[[en]]"), ["template name is empty"], "template"),
    ("blank_template", block("template=[[  ]]", "language=[[en]]"), ["template name is empty"], "template"),
    ("empty_language", block("template=[[t]]", "language=[[]]"), ["language is empty"], "language"),
    (
        "duplicate_template",
        block("template=[[a]]", "language=[[en]]", "template=[[b]]"),
        ["template is given twice"],
        "template",
    ),
    (
        "duplicate_language",
        block("template=[[a]]", "language=[[en]]", "language=[[pt]]"),
        ["language is given twice"],
        "language",
    ),
    (
        "duplicate_fallback",
        block("template=[[a]]", "language=[[en]]", "fallback=[[x]]", "fallback=[[y]]"),
        ["fallback is given twice"],
        None,
    ),
    (
        "duplicate_namespace",
        block("namespace=[[a]]", "namespace=[[a]]", "template=[[a]]", "language=[[en]]"),
        ["namespace is given twice"],
        None,
    ),
    (
        "duplicate_button_url",
        block("template=[[a]]", "language=[[en]]", "button_index=[[0]]", "button_url=[[x]]", "button_url=[[y]]"),
        ["button_url is given twice"],
        None,
    ),
    ("text_before", "Hello! " + MINIMAL, ["whole message", "before &(("], None),
    ("text_after", MINIMAL + " thanks", ["whole message", "after ))&"], None),
    ("two_blocks", MINIMAL + "\n" + MINIMAL, ["Only one shorthand block"], None),
    ("no_block", "just a reply", ["not template shorthand", "&((", "))&"], None),
    ("only_close", "template=[[t]]))&", ["not template shorthand"], None),
    ("empty_text", "", ["not template shorthand"], None),
    ("unterminated_block", "&((template=[[t]] language=[[en]]", ["not closed", "))&"], None),
    ("unterminated_block_after_space", "&((template=[[t]] language=[[en]]   ", ["not closed", "))&"], None),
    (
        "unterminated_value_at_end",
        "&((template=[[t]] language=[[en",
        ["value of language is not closed", "]]"],
        "language",
    ),
    (
        "unterminated_value_before_close",
        "&((template=[[t]] language=[[en))&",
        ["value of language is not closed"],
        "language",
    ),
    ("value_runs_into_next_field", "&((template=[[t language=[[en]]))&", ["value of template contains [["], "template"),
    (
        "value_runs_into_close",
        "&((template=[[t]] body_text=[[a))& language=[[en]]))&",
        ["body_text 1 contains ))&"],
        "body_text",
    ),
    (
        "value_contains_open",
        block("template=[[t]]", "language=[[en]]", "fallback=[[a &(( b]]"),
        ["fallback contains &(("],
        "fallback",
    ),
    (
        "value_ends_with_bracket",
        block("template=[[t]]", "language=[[en]]", "body_text=[[a]]]"),
        ["body_text is followed by a stray ]"],
        "body_text",
    ),
    (
        "space_before_equals",
        block("template =[[t]]", "language=[[en]]"),
        ["template must be followed directly by =[["],
        "template",
    ),
    (
        "single_bracket",
        block("template=[t]", "language=[[en]]"),
        ["template must be followed directly by =[["],
        "template",
    ),
    (
        "junk_between_fields",
        block("template=[[t]]", "-", "language=[[en]]"),
        ["Unexpected text", "key=[[value]]"],
        None,
    ),
    ("stray_bracket", block("template=[[t]]]", "language=[[en]]"), ["template is followed by a stray ]"], "template"),
    ("bare_word", block("template=[[t]]", "language=[[en]]", "please"), ["'please'"], "please"),
    (
        "template_with_capitals",
        block("template=[[Order_Update]]", "language=[[en]]"),
        ["'Order_Update'", "lower-case letters"],
        "template",
    ),
    ("template_with_hyphen", block("template=[[order-update]]", "language=[[en]]"), ["'order-update'"], "template"),
    ("template_with_space", block("template=[[order update]]", "language=[[en]]"), ["'order update'"], "template"),
    ("template_too_long", block("template=[[" + "a" * 513 + "]]", "language=[[en]]"), ["at most 512"], "template"),
    ("language_with_digits_only", block("template=[[t]]", "language=[[123]]"), ["'123'", "language code"], "language"),
    ("language_with_space", block("template=[[t]]", "language=[[en US]]"), ["'en US'", "language code"], "language"),
    ("language_english", block("template=[[t]]", "language=[[English]]"), ["'English'", "language code"], "language"),
    (
        "button_index_without_url",
        block("template=[[t]]", "language=[[en]]", "button_index=[[1]]"),
        ["button_index needs button_url"],
        "button_url",
    ),
    (
        "button_url_without_index",
        block("template=[[t]]", "language=[[en]]", "button_url=[[x]]"),
        ["button_url needs button_index"],
        "button_index",
    ),
    (
        "button_index_10",
        block("template=[[t]]", "language=[[en]]", "button_index=[[10]]", "button_url=[[x]]"),
        ["0 to 9", "'10'"],
        "button_index",
    ),
    (
        "button_index_negative",
        block("template=[[t]]", "language=[[en]]", "button_index=[[-1]]", "button_url=[[x]]"),
        ["0 to 9"],
        "button_index",
    ),
    (
        "button_index_word",
        block("template=[[t]]", "language=[[en]]", "button_index=[[first]]", "button_url=[[x]]"),
        ["0 to 9"],
        "button_index",
    ),
    (
        "button_index_empty",
        block("template=[[t]]", "language=[[en]]", "button_index=[[]]", "button_url=[[x]]"),
        ["button_index is empty"],
        "button_index",
    ),
    (
        "button_url_empty",
        block("template=[[t]]", "language=[[en]]", "button_index=[[0]]", "button_url=[[ ]]"),
        ["button_url is empty"],
        "button_url",
    ),
    (
        "button_url_with_space",
        block("template=[[t]]", "language=[[en]]", "button_index=[[0]]", "button_url=[[a b]]"),
        ["button_url must not contain spaces"],
        "button_url",
    ),
    (
        "both_headers",
        block(
            "template=[[t]]",
            "language=[[en]]",
            "header_image=[[https://a.example/i.png]]",
            "header_document=[[https://a.example/d.pdf]]",
        ),
        ["header_image and header_document cannot both"],
        "header_image",
    ),
    (
        "header_image_empty",
        block("template=[[t]]", "language=[[en]]", "header_image=[[]]"),
        ["header_image is empty"],
        "header_image",
    ),
    (
        "header_document_empty",
        block("template=[[t]]", "language=[[en]]", "header_document=[[ ]]"),
        ["header_document is empty"],
        "header_document",
    ),
    (
        "header_image_ftp",
        block("template=[[t]]", "language=[[en]]", "header_image=[[ftp://a.example/i.png]]"),
        ["header_image must be an http(s) URL"],
        "header_image",
    ),
    (
        "header_image_relative",
        block("template=[[t]]", "language=[[en]]", "header_image=[[/static/i.png]]"),
        ["header_image must be an http(s) URL"],
        "header_image",
    ),
    (
        "header_image_no_host",
        block("template=[[t]]", "language=[[en]]", "header_image=[[https://]]"),
        ["http(s) URL"],
        "header_image",
    ),
    (
        "header_image_javascript",
        block("template=[[t]]", "language=[[en]]", "header_image=[[javascript:alert(1)]]"),
        ["http(s) URL"],
        "header_image",
    ),
    (
        "header_document_with_space",
        block("template=[[t]]", "language=[[en]]", "header_document=[[https://a.example/my file.pdf]]"),
        ["header_document must be an http(s) URL"],
        "header_document",
    ),
    (
        "header_image_bad_ipv6",
        block("template=[[t]]", "language=[[en]]", "header_image=[[http://[::1/x.png]]"),
        ["http(s) URL"],
        "header_image",
    ),
    (
        "namespace_with_space",
        block("namespace=[[a b]]", "template=[[t]]", "language=[[en]]"),
        ["namespace", "spaces"],
        "namespace",
    ),
]


@pytest.mark.parametrize(("text", "words", "key"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_refused_with_a_message_naming_the_problem(text, words, key):
    error = error_of(text)
    for word in words:
        assert word in error.message
    if key is not None:
        assert error.key == key
    assert str(error) == error.message
    assert error.message.endswith(".")
    assert "\n" not in error.message


def test_shorthand_error_is_a_value_error():
    assert issubclass(ShorthandError, ValueError)
    error = ShorthandError("Something is wrong.", key="template")
    assert (error.message, error.key, str(error)) == ("Something is wrong.", "template", "Something is wrong.")
    assert ShorthandError("x").key is None


def test_the_first_problem_is_reported():
    # An unknown key comes before the missing language.
    assert "template_name" in error_of("&((template_name=[[t]]))&").message
    # A duplicate comes before a bad value in a later field.
    assert "given twice" in error_of(block("template=[[a]]", "template=[[b]]", "language=[[English]]")).message


def test_a_long_value_is_shortened_in_the_message():
    error = error_of(block("template=[[" + "X" * 300 + "]]", "language=[[en]]"))
    assert len(error.message) < 200
    assert "…" in error.message


# --------------------------------------------------------------------------------------------------------------------
# Injection
# --------------------------------------------------------------------------------------------------------------------


def test_a_second_template_cannot_hide_in_a_value():
    # What someone types into a body_text hoping to swap the template: the value ends at the first ]].
    hostile = "]] template=[[evil"
    text = block("template=[[good]]", "language=[[en]]", f"body_text=[[{hostile}]]")
    error = error_of(text)
    assert "body_text 1" in error.message or "given twice" in error.message


def test_the_documented_duplicate_case():
    text = block("template=[[good]]", "language=[[en]]", "body_text=[[a]] template=[[x]]")
    error = error_of(text)
    assert error.message == "template is given twice (field 4); only body_text may repeat."


@pytest.mark.parametrize(
    "hostile",
    [
        "]] template=[[evil",
        "x]] language=[[pt_BR",
        "]]))& &((template=[[evil]] language=[[en",
        "]]))&",
        "&((",
        "[[",
        "]]",
        "a]",
        "]",
        "]]]]]]",
        "[[[[",
        "))&))&",
        "&((&((",
        ")))&&(((",
        "\n]]\t[[\n",
    ],
)
def test_escaped_hostile_values_stay_one_parameter(hostile):
    escaped = shorthand.escape_value(hostile)
    text = block("template=[[good]]", "language=[[en]]", f"body_text=[[{escaped}]]", "body_text=[[second]]")
    parsed = shorthand.parse(text)
    assert parsed.template == "good"
    assert parsed.language == "en"
    assert parsed.body_text == (escaped, "second")
    for seq in shorthand.FORBIDDEN:
        assert seq not in escaped


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("Ana", "Ana"),
        ("", "-"),
        ("   ", "-"),
        ("a]]b", "a] ]b"),
        ("a[[b", "a[ [b"),
        ("a&((b", "a& ((b"),
        ("a))&b", "a)) &b"),
        ("]]]", "] ] ] "),
        ("[[[", "[ [ ["),
        (")))&", "))) &"),
        ("&(((", "& ((("),
        ("ends]", "ends] "),
        ("]] template=[[x", "] ] template=[ [x"),
        ("line\none\ttab", "line one tab"),
        ("a      b", "a b"),
        ("  padded  ", "padded"),
        ("[single] (pair) & {braces}", "[single] (pair) & {braces}"),
    ],
)
def test_escape_value(value, escaped):
    assert shorthand.escape_value(value) == escaped


@pytest.mark.parametrize(
    ("value", "neutralised"),
    [("a]]b", "a] ]b"), ("a[[b", "a[ [b"), ("&((", "& (("), ("))&", ")) &"), ("ok\n", "ok\n"), ("", "")],
)
def test_neutralise_changes_only_the_forbidden_sequences(value, neutralised):
    assert shorthand.neutralise(value) == neutralised


# --------------------------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("Ana", "Ana"),
        ("", "-"),
        (" ", "-"),
        ("\n\t", "-"),
        ("a\nb", "a b"),
        ("a\r\nb", "a b"),
        ("a\n\n\nb", "a b"),
        ("a\tb", "a b"),
        ("a\t\tb", "a b"),
        ("a \n b", "a   b"),
        ("a    b", "a    b"),
        ("a     b", "a b"),
        ("a          b", "a b"),
        ("a\n     b", "a b"),
        ("  Ana  ", "Ana"),
        ("a\u00a0b", "a b"),
        ("a\u2028b", "a b"),
        ("-", "-"),
    ],
)
def test_normalize_param(value, normalized):
    assert shorthand.normalize_param(value) == normalized


@given(st.text())
@example("a \n b")
@example("\t\t     \n")
def test_normalize_param_always_gives_what_meta_accepts(value):
    normalized = shorthand.normalize_param(value)
    assert normalized
    assert normalized == normalized.strip()
    assert not re.search(r"[^\S ]", normalized)
    assert "     " not in normalized
    assert shorthand.normalize_param(normalized) == normalized


@given(st.text())
@example("]]]")
@example("a]")
@example(")))&&(((")
def test_escape_value_output_is_always_a_safe_value(value):
    escaped = shorthand.escape_value(value)
    for seq in shorthand.FORBIDDEN:
        assert seq not in escaped
    assert not escaped.endswith("]")
    assert escaped.strip()
    assert not re.search(r"[^\S ]", escaped)
    assert "     " not in escaped
    s = Shorthand(template="t", language="en", fallback=escaped, body_text=(escaped, "x"))
    assert shorthand.parse(shorthand.format(s)) == s


# --------------------------------------------------------------------------------------------------------------------
# The constructor keeps every Shorthand valid
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"template": "", "language": "en"}, "template name is empty"),
        ({"template": "Bad Name", "language": "en"}, "'Bad Name'"),
        ({"template": "t", "language": ""}, "language is empty"),
        ({"template": "t", "language": "english"}, "language code"),
        ({"template": "t", "language": "en", "body_text": ("a]]b",)}, "body_text 1 contains ]]"),
        ({"template": "t", "language": "en", "body_text": ("ok", "x]")}, "body_text 2 ends with ]"),
        ({"template": "t", "language": "en", "fallback": "a&((b"}, "fallback contains &(("),
        ({"template": "t", "language": "en", "namespace": "a b"}, "namespace"),
        ({"template": "t", "language": "en", "button_index": 1}, "button_index needs button_url"),
        ({"template": "t", "language": "en", "button_url": "x"}, "button_url needs button_index"),
        ({"template": "t", "language": "en", "button_index": 10, "button_url": "x"}, "0 to 9"),
        ({"template": "t", "language": "en", "button_index": -1, "button_url": "x"}, "0 to 9"),
        ({"template": "t", "language": "en", "button_index": True, "button_url": "x"}, "0 to 9"),
        ({"template": "t", "language": "en", "button_index": "1", "button_url": "x"}, "0 to 9"),
        ({"template": "t", "language": "en", "header_image": "not a url"}, "http(s) URL"),
        ({"template": "t", "language": "en", "header_image": "https://a/x", "header_document": "https://a/y"}, "both"),
        ({"template": None, "language": "en"}, "template must be text"),
        ({"template": "t", "language": "en", "body_text": ("a", 2)}, "body_text must be a sequence of texts"),
        ({"template": "t", "language": "en", "body_text": "abc"}, "body_text must be a sequence of texts"),
    ],
)
def test_the_constructor_refuses_what_parse_would_refuse(kwargs, words):
    with pytest.raises(ShorthandError) as info:
        Shorthand(**kwargs)
    assert words in info.value.message


def test_the_constructor_accepts_a_list_of_body_texts():
    s = Shorthand(template="t", language="en", body_text=["a", "b"])
    assert s.body_text == ("a", "b")
    assert s == Shorthand(template="t", language="en", body_text=("a", "b"))
    hash(s)


def test_shorthand_is_frozen():
    s = Shorthand(template="t", language="en")
    with pytest.raises(AttributeError):
        s.template = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------------------------
# format
# --------------------------------------------------------------------------------------------------------------------


def test_format_is_canonical_and_in_zendesk_order():
    s = Shorthand(
        template="order_update",
        language="pt-BR",
        namespace="ns",
        fallback="Shipped",
        body_text=("Ana", "", "#4521"),
        header_image="https://cdn.example.com/logo.png",
        button_index=0,
        button_url="4521",
    )
    assert shorthand.format(s) == (
        "&((namespace=[[ns]] template=[[order_update]] fallback=[[Shipped]] language=[[pt_BR]] "
        "body_text=[[Ana]] body_text=[[]] body_text=[[#4521]] header_image=[[https://cdn.example.com/logo.png]] "
        "button_index=[[0]] button_url=[[4521]]))&"
    )


def test_format_leaves_out_empty_optional_keys():
    assert shorthand.format(Shorthand(template="hello_world", language="en_US")) == MINIMAL


def test_format_of_the_zendesk_example_gives_the_example_back():
    assert shorthand.format(shorthand.parse(ZENDESK)) == ZENDESK


def test_format_writes_raw_values_verbatim():
    s = Shorthand(template="t", language="en", fallback="Hi\nthere", body_text=("  a  ",))
    text = shorthand.format(s)
    assert "fallback=[[Hi\nthere]]" in text
    assert "body_text=[[  a  ]]" in text
    assert shorthand.parse(text) == s


# --------------------------------------------------------------------------------------------------------------------
# to_template_object
# --------------------------------------------------------------------------------------------------------------------


def test_template_object_body_only():
    s = shorthand.parse(
        block(
            "namespace=[[ns]]",
            "template=[[ticket_update]]",
            "language=[[pt_BR]]",
            "body_text=[[Ana]]",
            "body_text=[[#4521]]",
        )
    )
    assert shorthand.to_template_object(s) == {
        "name": "ticket_update",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#4521"}]},
        ],
    }


def test_template_object_header_image_and_body():
    s = shorthand.parse(
        block(
            "template=[[ticket_update]]",
            "language=[[en-US]]",
            "header_image=[[https://cdn.example.com/logo.png]]",
            "body_text=[[Ana]]",
        )
    )
    assert shorthand.to_template_object(s) == {
        "name": "ticket_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/logo.png"}}],
            },
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
        ],
    }


def test_template_object_header_document():
    s = Shorthand(template="invoice", language="en", header_document="https://files.example.com/a/b/inv%2042.pdf?v=2#p")
    assert shorthand.to_template_object(s) == {
        "name": "invoice",
        "language": {"code": "en"},
        "components": [
            {
                "type": "header",
                "parameters": [
                    {
                        "type": "document",
                        "document": {
                            "link": "https://files.example.com/a/b/inv%2042.pdf?v=2#p",
                            "filename": "inv 42.pdf",
                        },
                    }
                ],
            }
        ],
    }


def test_template_object_header_document_without_a_file_name_has_no_filename():
    s = Shorthand(template="invoice", language="en", header_document="https://files.example.com/")
    header = shorthand.to_template_object(s)["components"][0]
    assert header["parameters"][0]["document"] == {"link": "https://files.example.com/"}


def test_template_object_url_button():
    s = Shorthand(template="track", language="en", body_text=("Ana",), button_index=1, button_url="4521")
    assert shorthand.to_template_object(s) == {
        "name": "track",
        "language": {"code": "en"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "4521"}]},
        ],
    }


def test_template_object_everything_in_order():
    s = shorthand.parse(
        block(
            "button_url=[[abc]]",
            "button_index=[[0]]",
            "body_text=[[x]]",
            "header_document=[[https://a.example/d.pdf]]",
            "language=[[en]]",
            "template=[[t]]",
        )
    )
    assert [c["type"] for c in shorthand.to_template_object(s)["components"]] == ["header", "body", "button"]


def test_template_object_with_nothing_to_fill_has_empty_components():
    s = shorthand.parse("&((namespace=[[ns]] template=[[hello_world]] fallback=[[Hello]] language=[[en_US]]))&")
    assert shorthand.to_template_object(s) == {"name": "hello_world", "language": {"code": "en_US"}, "components": []}


def test_template_object_has_no_namespace_nor_fallback():
    obj = shorthand.to_template_object(shorthand.parse(ZENDESK))
    dumped = json.dumps(obj)
    assert "namespace" not in dumped
    assert "c8ae5f90" not in dumped
    assert "Your order has shipped" not in dumped


def test_template_object_normalises_body_parameters():
    s = shorthand.parse(
        block(
            "template=[[t]]",
            "language=[[en]]",
            "body_text=[[line one\nline two]]",
            "body_text=[[col\tcol]]",
            "body_text=[[a      b]]",
            "body_text=[[]]",
            "body_text=[[   ]]",
            "body_text=[[  Ana  ]]",
            "body_text=[[a    b]]",
        )
    )
    assert s.body_text[0] == "line one\nline two"  # parse keeps what was typed
    texts = [p["text"] for p in shorthand.to_template_object(s)["components"][0]["parameters"]]
    assert texts == ["line one line two", "col col", "a b", "-", "-", "Ana", "a    b"]


def test_template_object_is_json_serialisable_and_fresh():
    s = shorthand.parse(ZENDESK)
    first = shorthand.to_template_object(s)
    first["components"].clear()
    assert shorthand.to_template_object(s)["components"]
    assert json.loads(json.dumps(shorthand.to_template_object(s))) == shorthand.to_template_object(s)


# --------------------------------------------------------------------------------------------------------------------
# contains
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ZENDESK, True),
        ("Hello " + MINIMAL, True),
        ("&((template=[[t]]", True),  # half-typed: parse must explain it, not send it as text
        ("&(())&", True),
        ("Hello, your order is on its way", False),
        ("template=[[t]] language=[[en]]", False),
        ("))&", False),
        ("& ((", False),
        ("", False),
    ],
)
def test_contains(text, expected):
    assert shorthand.contains(text) is expected


# --------------------------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------------------------


def safe(value: str) -> bool:
    return not any(seq in value for seq in shorthand.FORBIDDEN) and not value.endswith("]")


raw_values = st.text(max_size=40).filter(safe)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=30)
languages = st.from_regex(shorthand.LANGUAGE_RE, fullmatch=True).flatmap(
    lambda code: st.sampled_from([code, code.replace("_", "-")])
)
namespaces = st.one_of(st.just(""), st.text(max_size=30).filter(lambda v: safe(v) and not re.search(r"\s", v)))
urls = st.from_regex(r"https?://[a-z0-9.-]{1,20}(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,15}){0,3}", fullmatch=True).filter(
    safe
)
headers = st.one_of(
    st.just({}),
    urls.map(lambda u: {"header_image": u}),
    urls.map(lambda u: {"header_document": u}),
)
buttons = st.one_of(
    st.just({}),
    st.builds(
        lambda index, url: {"button_index": index, "button_url": url},
        st.integers(0, 9),
        st.text(min_size=1, max_size=30).filter(lambda v: safe(v) and not re.search(r"\s", v)),
    ),
)


@st.composite
def shorthands(draw) -> Shorthand:
    return Shorthand(
        template=draw(names),
        language=draw(languages),
        namespace=draw(namespaces),
        fallback=draw(raw_values),
        body_text=tuple(draw(st.lists(raw_values, max_size=6))),
        **draw(headers),
        **draw(buttons),
    )


@given(shorthands())
def test_parse_of_format_is_identity(s):
    assert shorthand.parse(shorthand.format(s)) == s


@given(shorthands())
def test_format_is_a_fixed_point(s):
    text = shorthand.format(s)
    assert shorthand.format(shorthand.parse(text)) == text
    assert shorthand.contains(text)


def fields_of(s: Shorthand) -> tuple[list[str], list[str]]:
    """(the non-body fields, the body_text fields) as key=[[value]] texts."""
    others = [f"template=[[{s.template}]]", f"language=[[{s.language}]]"]
    for key in ("namespace", "fallback", "header_image", "header_document", "button_url"):
        if getattr(s, key):
            others.append(f"{key}=[[{getattr(s, key)}]]")
    if s.button_index is not None:
        others.append(f"button_index=[[{s.button_index}]]")
    return others, [f"body_text=[[{v}]]" for v in s.body_text]


@given(shorthands(), st.data())
def test_any_layout_of_the_same_fields_parses_to_the_same_shorthand(s, data):
    others, bodies = fields_of(s)
    others = data.draw(st.permutations(others))
    # Insert the body_text fields at random places, keeping their order.
    layout = list(others)
    for body in bodies:
        at = data.draw(st.integers(min_value=0, max_value=len(layout)))
        at = max(at, max((i + 1 for i, f in enumerate(layout) if f.startswith("body_text=")), default=0))
        layout.insert(at, body)
    seps = data.draw(
        st.lists(
            st.sampled_from(["", " ", "\n", "\t", "\r\n  ", "   "]), min_size=len(layout) + 1, max_size=len(layout) + 1
        )
    )
    text = "&((" + seps[0] + "".join(f + sep for f, sep in zip(layout, seps[1:], strict=True)) + "))&"
    outer = data.draw(st.sampled_from(["", " ", "\n", "\t\n "]))
    assert shorthand.parse(outer + text + outer) == s


fragments = st.sampled_from(
    [
        "&((",
        "))&",
        "[[",
        "]]",
        "]",
        "[",
        "=",
        "=[[",
        " ",
        "\n",
        "\t",
        "template",
        "template_name",
        "language",
        "body_text",
        "fallback",
        "namespace",
        "header_image",
        "header_document",
        "button_index",
        "button_url",
        "Template",
        "t",
        "en",
        "en-US",
        "0",
        "12",
        "https://a.example/x.pdf",
        "http://[::1",
        "x",
        "&",
        "(",
        ")",
    ]
)


@settings(max_examples=500)
@given(st.lists(fragments, max_size=30).map("".join))
@example("&((template=[[t]] language=[[en]]))&")
@example("&((template=[[t]]language=[[en]]button_index=[[0]]button_url=[[x]]))&")
def test_structured_noise_either_parses_or_raises_shorthand_error(text):
    try:
        parsed = shorthand.parse(text)
    except ShorthandError as error:
        assert error.message
        return
    assert isinstance(parsed, Shorthand)
    assert shorthand.parse(shorthand.format(parsed)) == parsed


@given(st.text())
def test_arbitrary_text_either_parses_or_raises_shorthand_error(text):
    try:
        shorthand.parse(text)
    except ShorthandError as error:
        assert error.message


@given(st.text(), st.text())
def test_arbitrary_text_inside_a_block_either_parses_or_raises_shorthand_error(inner, tail):
    for text in (f"&(({inner}))&", f"&((template=[[t]] language=[[en]] {inner}))&", f"&(({inner}{tail}"):
        try:
            shorthand.parse(text)
        except ShorthandError as error:
            assert error.message


@given(shorthands(), st.text(max_size=30))
def test_no_value_can_add_a_field_once_escaped(s, hostile):
    escaped = shorthand.escape_value(hostile)
    with_hostile = Shorthand(
        template=s.template,
        language=s.language,
        namespace=s.namespace,
        fallback=escaped,
        body_text=(*s.body_text, escaped),
        header_image=s.header_image,
        header_document=s.header_document,
        button_index=s.button_index,
        button_url=s.button_url,
    )
    parsed = shorthand.parse(shorthand.format(with_hostile))
    assert parsed == with_hostile
    assert len(parsed.body_text) == len(s.body_text) + 1
