"""Template shorthand (pure): properties (hypothesis)."""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from macros import shorthand
from macros.shorthand import Shorthand, ShorthandError

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
