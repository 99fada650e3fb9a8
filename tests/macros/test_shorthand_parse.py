"""Template shorthand (pure): the accepted forms of the Zendesk syntax."""

import itertools

import pytest

from macros import shorthand
from macros.shorthand import Shorthand
from tests.macros.shorthand_helpers import MINIMAL, ZENDESK, block, error_of

ZENDESK_PARSED = Shorthand(
    namespace="c8ae5f90_307a_ca4c_b8f6_d1e2a2573574",
    template="order_update",
    fallback="Your order has shipped",
    language="en_US",
    body_text=("Ana", "#4521"),
)


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
