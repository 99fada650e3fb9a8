"""Template shorthand (pure): the constructor, format and contains."""

import pytest

from macros import shorthand
from macros.shorthand import Shorthand, ShorthandError
from tests.macros.shorthand_helpers import MINIMAL, ZENDESK

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
