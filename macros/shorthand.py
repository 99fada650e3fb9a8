"""Zendesk / Sunshine Conversations WhatsApp template shorthand, as pure functions (no database, no models).

An agent reply or a macro whose text is exactly one shorthand block is sent as a WhatsApp template message::

    &((namespace=[[abc_123]] template=[[ticket_update]] fallback=[[Hi Ana]] language=[[pt_BR]]
      body_text=[[Ana]] body_text=[[#4521]]))&

Syntax (what `parse` accepts)
-----------------------------
* The block opens with ``&((`` and closes with ``))&``. Only whitespace may surround it: any other text before or
  after it (a greeting, a second block) is refused, because the whole message becomes the template.
* Inside, fields are ``key=[[value]]``, separated by any whitespace (spaces, tabs, newlines) or by nothing at all
  (``]]template=[[``). The key is followed directly by ``=[[`` (no spaces).
* Keys are case-sensitive and lower-case. Known keys: ``namespace``, ``template``, ``fallback``, ``language``,
  ``body_text``, ``header_image``, ``header_document``, ``button_index``, ``button_url``. Any other key is refused by
  name, with a hint for the usual mistakes (``template_name`` -> use ``template=``, ``Template`` -> lower case).
* ``body_text`` is the only key that may repeat; the n-th ``body_text`` fills ``{{n}}`` of the template, so their
  order is everything. The order of the other keys does not matter. Any other key given twice is refused.
* ``template`` and ``language`` are required (WhatsApp identifies a template by name *and* language).
  Template names are lower-case letters, digits and underscores (at most 512). Language codes are WhatsApp locale
  codes (``en``, ``en_US``, ``pt_BR``, ``zh_CN``, ``es_419``); ``en-US`` is accepted and normalised to ``en_US``.
* ``header_image`` and ``header_document`` are http(s) URLs and exclude each other.
  ``button_index`` is one digit 0-9 (Meta counts buttons from 0) and comes with ``button_url`` (the dynamic
  suffix of a URL button), and vice versa.
* ``namespace`` is kept for Zendesk compatibility but ignored when sending: the Cloud API has no namespace.

Values and the missing escape
-----------------------------
A value ends at the **first** ``]]``. There is no escaping, so a value can never hold ``]]``, and we also refuse
``[[``, ``&((`` and ``))&`` in values (they are what a missing ``]]`` looks like, and they would confuse other
parsers of the same syntax). A value may not end with ``]`` either: ``[[a]]]`` reads as ``a`` followed by a stray
``]``. Because a value stops at the first ``]]``, text such as ``body_text=[[x]] template=[[evil]]`` can never hide
inside a value: it *is* two fields, and a second ``template`` is refused as a duplicate key.

Text that comes from people (a customer's name filled in by a placeholder, a parameter typed into a template
picker) must go through `escape_value` before it is put between ``[[`` and ``]]``. It normalises the value like
`normalize_param` (an empty value becomes ``-``), then breaks up the forbidden sequences by inserting one space:
``]]`` -> ``] ]``, ``[[`` -> ``[ [``, ``&((`` -> ``& ((``, ``))&`` -> ``)) &`` (runs like ``]]]`` become
``] ] ]``), and adds a space after a final ``]``.

Raw values, normalised parameters
---------------------------------
`parse` keeps ``body_text`` and ``fallback`` exactly as typed (newlines included; an empty ``body_text`` is
accepted), and strips surrounding whitespace from the other, identifier-like values. `to_template_object` then
turns each parameter into something Meta accepts with `normalize_param`: newlines and tabs become a space, runs of
more than 4 spaces become one space, the ends are stripped, and an empty parameter becomes ``-`` (Meta refuses empty
parameters; check-api substitutes ``-`` too).

Every `Shorthand` is valid: the constructor checks the same rules (and normalises the language), so shorthand built
in code cannot produce text that `parse` would refuse, and ``parse(format(s)) == s`` for every `Shorthand` ``s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = [
    "CLOSE",
    "FORBIDDEN",
    "KEYS",
    "OPEN",
    "Shorthand",
    "ShorthandError",
    "collapse_whitespace",
    "contains",
    "escape_value",
    "format",
    "neutralise",
    "normalize_param",
    "parse",
    "to_template_object",
]

OPEN = "&(("
CLOSE = "))&"
# Sequences no value may contain: there is no escaping in the shorthand syntax.
FORBIDDEN = ("]]", "[[", OPEN, CLOSE)

# In canonical order, which is also the order `format` writes them in (Zendesk's documented order).
KEYS = (
    "namespace",
    "template",
    "fallback",
    "language",
    "body_text",
    "header_image",
    "header_document",
    "button_index",
    "button_url",
)
REPEATABLE = frozenset({"body_text"})
# Values kept exactly as typed; the others are stripped of surrounding whitespace by `parse`.
RAW_KEYS = frozenset({"body_text", "fallback"})

# Common mistakes, so the error can say what to write instead.
KEY_HINTS = {
    "template_name": gettext_lazy("use template= (the shorthand key is template, not template_name)"),
    "name": gettext_lazy("use template= for the template name"),
    "lang": gettext_lazy("use language="),
    "locale": gettext_lazy("use language="),
    "language_code": gettext_lazy("use language="),
    "body": gettext_lazy("use body_text= once per template parameter"),
    "param": gettext_lazy("use body_text= once per template parameter"),
    "params": gettext_lazy("use body_text= once per template parameter"),
    "parameter": gettext_lazy("use body_text= once per template parameter"),
    "body_params": gettext_lazy("use body_text= once per template parameter"),
    "header_text": gettext_lazy("only header_image and header_document are supported"),
    "header_video": gettext_lazy("only header_image and header_document are supported"),
    "button_payload": gettext_lazy("only URL buttons (button_index with button_url) are supported"),
}

TEMPLATE_NAME_RE = re.compile(r"[a-z0-9_]+")
TEMPLATE_NAME_MAX = 512
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,4}){0,2}")
KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OTHER_WHITESPACE_RE = re.compile(r"[^\S ]+")  # any whitespace but the plain space: newlines, tabs, ...
_LONG_SPACES_RE = re.compile(r" {5,}")
_WHITESPACE_RE = re.compile(r"\s")


class ShorthandError(ValueError):
    """Malformed or invalid shorthand. `message` is one sentence for agents and API 400s; `key` names the field."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


@dataclass(frozen=True)
class Shorthand:
    template: str
    language: str
    namespace: str = ""
    fallback: str = ""
    body_text: tuple[str, ...] = ()
    header_image: str = ""
    header_document: str = ""
    button_index: int | None = None
    button_url: str = ""

    def __post_init__(self) -> None:
        # Accept a list for body_text and "en-US" for language; store the canonical forms.
        if isinstance(self.body_text, list):
            object.__setattr__(self, "body_text", tuple(self.body_text))
        if isinstance(self.language, str):
            object.__setattr__(self, "language", self.language.replace("-", "_"))
        _validate(self)


def _show(value: str, limit: int = 40) -> str:
    """A value quoted for an error message, shortened so a pasted essay does not become the message."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _field_label(key: str, position: int | None = None) -> str:
    return f"{key} {position}" if position is not None else key


def _check_value(key: str, value: str, position: int | None = None) -> None:
    label = _field_label(key, position)
    hits = [(value.find(seq), seq) for seq in FORBIDDEN if seq in value]
    if hits:
        seq = min(hits)[1]  # the first one in the value: usually where a ]] is missing
        raise ShorthandError(
            _(
                "The value of %(field)s contains %(sequence)s, which shorthand values cannot hold "
                "(there is no escaping; a missing ]] looks like this too)."
            )
            % {"field": label, "sequence": seq},
            key=key,
        )
    if value.endswith("]"):
        raise ShorthandError(
            _("The value of %(field)s ends with ], which would merge with the closing ]]; add a space or remove it.")
            % {"field": label},
            key=key,
        )


def _check_url(key: str, value: str) -> None:
    message = _("%(field)s must be an http(s) URL, not %(value)s.") % {"field": key, "value": _show(value)}
    if _WHITESPACE_RE.search(value):
        raise ShorthandError(message, key=key)
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        raise ShorthandError(message, key=key) from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ShorthandError(message, key=key)


def _validate(s: Shorthand) -> None:
    for f in fields(s):
        value = getattr(s, f.name)
        if f.name == "body_text":
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise ShorthandError(_("body_text must be a sequence of texts."), key="body_text")
        elif f.name == "button_index":
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ShorthandError(_("button_index must be a whole number from 0 to 9."), key="button_index")
        elif not isinstance(value, str):
            raise ShorthandError(_("%(field)s must be text.") % {"field": f.name}, key=f.name)

    for key in KEYS:
        if key == "body_text":
            for position, value in enumerate(s.body_text, start=1):
                _check_value(key, value, position)
        elif key != "button_index":
            _check_value(key, getattr(s, key))

    if not s.template:
        raise ShorthandError(_("The template name is empty; write template=[[your_template_name]]."), key="template")
    if len(s.template) > TEMPLATE_NAME_MAX or not TEMPLATE_NAME_RE.fullmatch(s.template):
        raise ShorthandError(
            _(
                "The template name %(name)s is not valid: use lower-case letters, digits and underscores "
                "(at most %(max)s)."
            )
            % {"name": _show(s.template), "max": TEMPLATE_NAME_MAX},
            key="template",
        )
    if not s.language:
        raise ShorthandError(
            _("The language is empty; write language=[[en_US]] or the template's language."), key="language"
        )
    if not LANGUAGE_RE.fullmatch(s.language):
        raise ShorthandError(
            _("The language %(language)s is not a WhatsApp language code such as en, en_US or pt_BR.")
            % {"language": _show(s.language)},
            key="language",
        )
    if _WHITESPACE_RE.search(s.namespace):
        raise ShorthandError(
            _("The namespace %(namespace)s must not contain spaces.") % {"namespace": _show(s.namespace)},
            key="namespace",
        )

    if s.header_image and s.header_document:
        raise ShorthandError(
            _("header_image and header_document cannot both be given: a template has one header."), key="header_image"
        )
    if s.header_image:
        _check_url("header_image", s.header_image)
    if s.header_document:
        _check_url("header_document", s.header_document)

    if s.button_index is not None and not 0 <= s.button_index <= 9:
        raise ShorthandError(_("button_index must be a whole number from 0 to 9."), key="button_index")
    if s.button_index is not None and not s.button_url:
        raise ShorthandError(_("button_index needs button_url=[[...]] with the button's URL value."), key="button_url")
    if s.button_url and s.button_index is None:
        raise ShorthandError(
            _("button_url needs button_index=[[n]] naming the button (0 is the first)."), key="button_index"
        )
    if _WHITESPACE_RE.search(s.button_url):
        raise ShorthandError(_("button_url must not contain spaces or line breaks."), key="button_url")


# --------------------------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------------------------


def collapse_whitespace(value: str) -> str:
    """Newlines/tabs -> one space, runs of more than 4 spaces -> one space, ends stripped (no "-" for empty)."""
    value = _OTHER_WHITESPACE_RE.sub(" ", value)
    value = _LONG_SPACES_RE.sub(" ", value)
    return value.strip()


def normalize_param(value: str) -> str:
    """What a template parameter becomes before it is sent (Meta's parameter rules).

    Any whitespace other than a plain space (newline, carriage return, tab, ...) becomes one space per run, runs of
    more than 4 spaces become one space, both ends are stripped, and an empty result becomes "-".
    """
    return collapse_whitespace(value) or "-"


def neutralise(value: str) -> str:
    """Break up ]], [[, &(( and ))& by inserting one space, so the value cannot end or open a field or block.

    The space goes between the two brackets, after the ``&`` of ``&((``, and before the ``&`` of ``))&``; runs like
    ``]]]`` become ``] ] ]``. Nothing else changes.
    """
    value = re.sub(r"\](?=\])", "] ", value)
    value = re.sub(r"\[(?=\[)", "[ ", value)
    value = re.sub(r"&(?=\(\()", "& ", value)
    return re.sub(r"\)\)(?=&)", ")) ", value)


def escape_value(value: str) -> str:
    """Make any text safe to place between ``[[`` and ``]]`` as a whole value.

    `normalize_param` first (so an empty value becomes "-"), then `neutralise`, then a space after a final ``]``.
    The result never contains ]], [[, &(( or ))& and never ends with ``]``.
    """
    value = neutralise(normalize_param(value))
    return value + " " if value.endswith("]") else value


# --------------------------------------------------------------------------------------------------------------------
# Parsing and formatting
# --------------------------------------------------------------------------------------------------------------------


def contains(text: str) -> bool:
    """Does the text hold (the start of) a shorthand block?

    True as soon as ``&((`` appears, even without its ``))&``: a half-typed block must reach `parse` and be refused
    with a reason, rather than go out as plain text.
    """
    return OPEN in text


def _unknown_key(key: str) -> ShorthandError:
    lowered = key.lower()
    if key in KEY_HINTS:
        hint = str(KEY_HINTS[key])
    elif lowered in KEYS:
        hint = _("keys are lower-case, write %(key)s=") % {"key": lowered}
    elif lowered in KEY_HINTS:
        hint = str(KEY_HINTS[lowered])
    else:
        hint = _("known keys are %(keys)s") % {"keys": ", ".join(KEYS)}
    return ShorthandError(_("Unknown shorthand key %(key)s: %(hint)s.") % {"key": _show(key), "hint": hint}, key=key)


def _scan(text: str) -> list[tuple[str, str]]:
    """Split one block into (key, raw value) pairs, refusing anything that is not the documented syntax."""
    s = text.strip()
    if not s.startswith(OPEN):
        if OPEN in s:
            raise ShorthandError(
                _("The shorthand must be the whole message: remove the text before &((, or send it separately.")
            )
        raise ShorthandError(_("This is not template shorthand: it must start with &(( and end with ))&."))
    pos = len(OPEN)
    pairs: list[tuple[str, str]] = []
    while True:
        while pos < len(s) and s[pos].isspace():
            pos += 1
        if s.startswith(CLOSE, pos):
            pos += len(CLOSE)
            break
        if pos >= len(s):
            raise ShorthandError(_("The shorthand block is not closed: end it with ))&."))
        match = KEY_RE.match(s, pos)
        if match is None:
            raise ShorthandError(
                _("Unexpected text %(text)s in the shorthand: expected key=[[value]] or the closing ))&.")
                % {"text": _show(s[pos:], 20)}
            )
        key = match.group()
        if key not in KEYS:
            raise _unknown_key(key)
        pos = match.end()
        if not s.startswith("=[[", pos):
            raise ShorthandError(_("The key %(key)s must be followed directly by =[[value]].") % {"key": key}, key=key)
        pos += 3
        end = s.find("]]", pos)
        if end < 0:
            raise ShorthandError(_("The value of %(key)s is not closed: end it with ]].") % {"key": key}, key=key)
        pairs.append((key, s[pos:end]))
        pos = end + 2
        if s.startswith("]", pos):
            raise ShorthandError(
                _("The value of %(key)s is followed by a stray ]: a value ends at the first ]] and cannot end with ].")
                % {"key": key},
                key=key,
            )
    rest = s[pos:]
    if rest:
        if OPEN in rest:
            raise ShorthandError(_("Only one shorthand block is allowed per message."))
        raise ShorthandError(
            _("The shorthand must be the whole message: remove the text after ))&, or send it separately.")
        )
    return pairs


def parse(text: str) -> Shorthand:
    """Parse a message that is exactly one shorthand block (surrounding whitespace allowed).

    Raises ShorthandError naming the first problem found: syntax first, then keys, then values.
    """
    pairs = _scan(text)
    seen: dict[str, str] = {}
    body_text: list[str] = []
    for position, (key, raw) in enumerate(pairs, start=1):
        if key in REPEATABLE:
            body_text.append(raw)
            _check_value(key, raw, len(body_text))
            continue
        if key in seen:
            raise ShorthandError(
                _("%(key)s is given twice (field %(position)s); only body_text may repeat.")
                % {"key": key, "position": position},
                key=key,
            )
        value = raw if key in RAW_KEYS else raw.strip()
        _check_value(key, value)
        seen[key] = value

    if "template" not in seen:
        raise ShorthandError(_("template=[[name]] is missing: the shorthand must name the template."), key="template")
    if "language" not in seen:
        raise ShorthandError(
            _("language=[[code]] is missing: WhatsApp needs the template's language, e.g. en_US."), key="language"
        )
    for key in ("header_image", "header_document", "button_url", "button_index"):
        if key in seen and not seen[key]:
            raise ShorthandError(_("%(key)s is empty.") % {"key": key}, key=key)

    button_index: int | None = None
    if "button_index" in seen:
        if not re.fullmatch(r"[0-9]", seen["button_index"]):
            raise ShorthandError(
                _("button_index must be a whole number from 0 to 9, not %(value)s.")
                % {"value": _show(seen["button_index"])},
                key="button_index",
            )
        button_index = int(seen["button_index"])

    return Shorthand(
        template=seen["template"],
        language=seen["language"],
        namespace=seen.get("namespace", ""),
        fallback=seen.get("fallback", ""),
        body_text=tuple(body_text),
        header_image=seen.get("header_image", ""),
        header_document=seen.get("header_document", ""),
        button_index=button_index,
        button_url=seen.get("button_url", ""),
    )


# Named like the builtin on purpose: callers write `shorthand.format(s)`.
def format(shorthand: Shorthand) -> str:
    """The canonical one-line text: keys in Zendesk's order, one space between fields, empty optional keys left out.

    Values are written verbatim (a Shorthand cannot hold a value that needs escaping), so parse(format(s)) == s.
    Every body_text is written, empty ones too, because their position is their meaning.
    """
    parts: list[str] = []
    for key in KEYS:
        if key == "body_text":
            parts.extend(f"body_text=[[{value}]]" for value in shorthand.body_text)
        elif key == "button_index":
            if shorthand.button_index is not None:
                parts.append(f"button_index=[[{shorthand.button_index}]]")
        elif value := getattr(shorthand, key):
            parts.append(f"{key}=[[{value}]]")
    return OPEN + " ".join(parts) + CLOSE


def _document_filename(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def to_template_object(shorthand: Shorthand) -> dict:
    """The Cloud API ``template`` object: name, language code, and the components that have parameters.

    Components, in this order and only when given: header (image, or document with the URL's last path segment as
    its filename, left out when the URL has none), body (one text parameter per body_text, normalised with
    `normalize_param`), URL button. No namespace (the Cloud API has none); ``"components": []`` when nothing is filled.
    """
    components: list[dict] = []
    if shorthand.header_image:
        components.append(
            {"type": "header", "parameters": [{"type": "image", "image": {"link": shorthand.header_image}}]}
        )
    elif shorthand.header_document:
        document = {"link": shorthand.header_document}
        if filename := _document_filename(shorthand.header_document):
            document["filename"] = filename
        components.append({"type": "header", "parameters": [{"type": "document", "document": document}]})
    if shorthand.body_text:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": normalize_param(value)} for value in shorthand.body_text],
            }
        )
    if shorthand.button_index is not None:
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": str(shorthand.button_index),
                "parameters": [{"type": "text", "text": normalize_param(shorthand.button_url)}],
            }
        )
    return {"name": shorthand.template, "language": {"code": shorthand.language}, "components": components}
