"""Zendesk's `locale_id` condition: the requester's language. Zendesk writes it as a number (1 English, 8 German;
`tickets.languages.ZENDESK_LOCALE_IDS`); a language code ("de", "en-US") is accepted too. Stored as our code."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.conditions.model import Condition, ConditionError, Facts, FieldSpec, Kind
from tickets import languages


def _parse(operator: str, value: Any, kind: Kind) -> str:
    code = languages.zendesk_locale(value)
    if code is None:
        known = ", ".join(f"{number} ({name})" for number, name in languages.ZENDESK_LOCALE_IDS.items())
        raise ConditionError(
            _("locale_id %(value)s is not a language SupportDesk speaks (%(known)s, or a code).")
            % {"value": repr(value), "known": known}
        )
    return code


def _evaluate(condition: Condition, facts: Facts) -> bool:
    same = facts.requester_locale == condition.value
    return same if condition.operator == "is" else not same


LOCALE_SPEC = FieldSpec(
    "locale_id",
    ("is", "is_not"),
    _parse,
    _evaluate,
    values=gettext_lazy("the requester's language: 1 or en (English), 8 or de (German)"),
)
