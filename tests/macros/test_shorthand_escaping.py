"""Template shorthand (pure): injection, escaping and parameter normalisation."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from macros import shorthand
from macros.shorthand import Shorthand
from tests.macros.shorthand_helpers import block, error_of

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
