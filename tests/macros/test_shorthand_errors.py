"""Template shorthand (pure): refused forms, each error naming the problem."""

import pytest

from macros.shorthand import ShorthandError
from tests.macros.shorthand_helpers import MINIMAL, block, error_of

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
