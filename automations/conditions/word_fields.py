"""Zendesk's word conditions on the update's comment and the subject: whole words, any case."""

import re
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.model import TRIGGER, ConditionError, FieldSpec, Kind, text_value

_WORD_RE = re.compile(r"\w+")
WORDS_VALUES = gettext_lazy("words separated by spaces (includes/not_includes) or a phrase (is/is_not)")


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _phrase_in(haystack: Sequence[str], phrase: Sequence[str]) -> bool:
    if not phrase:
        return False
    size = len(phrase)
    return any(list(haystack[i : i + size]) == list(phrase) for i in range(len(haystack) - size + 1))


def _words_parser(operator: str, value: Any, kind: Kind) -> str:
    text = " ".join(text_value(value).split())
    if not words(text):
        raise ConditionError(_("give at least one word."))
    return text


def text_matches(operator: str, value: str, text: str) -> bool:
    """Zendesk's word conditions: whole words, any case.

    includes: at least one of the space-separated words; not_includes: none of them; is: the whole text as a phrase
    (consecutive words); is_not: not that phrase.
    """
    haystack = words(text)
    if operator in ("includes", "not_includes"):
        found = any(_phrase_in(haystack, words(word)) for word in value.split())
        return found if operator == "includes" else not found
    found = _phrase_in(haystack, words(value))
    return found if operator == "is" else not found


WORD_SPECS = (
    FieldSpec(
        "comment_includes_word",
        ("includes", "not_includes", "is", "is_not"),
        _words_parser,
        lambda c, f: text_matches(c.operator, c.value, f.comment_body if f.comment_public is not None else ""),
        kinds=(TRIGGER,),
        values=WORDS_VALUES,
    ),
    FieldSpec(
        "subject_includes_word",
        ("includes", "not_includes", "is", "is_not"),
        _words_parser,
        lambda c, f: text_matches(c.operator, c.value, f.subject),
        kinds=(TRIGGER,),
        values=WORDS_VALUES,
    ),
)
