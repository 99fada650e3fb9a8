"""Languages and time zones as plain values: which languages the product speaks, which one a contact reads, and
how other systems spell them (WhatsApp's `de_DE`, Zendesk's numeric `locale_id`). No models, no database.

A contact's language is their own `locale` when one is known (set by an agent, or learnt from the language of a
WhatsApp template they answered), else the account's default: `settings.LANGUAGE_CODE`.
"""

import zoneinfo
from functools import cache

from django.conf import settings

# Zendesk's numeric locale ids (`locale_id` in conditions and on users) of the languages SupportDesk ships.
# Zendesk: 1 = English (en-US), 8 = Deutsch (de). Other ids name languages we do not ship and are refused.
ZENDESK_LOCALE_IDS = {1: "en", 8: "de"}


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_choices() -> list[tuple[str, str]]:
    """The shipped languages, each in its own name (as language menus show them)."""
    return list(settings.LANGUAGES)


def supported_language(code: str | None) -> str | None:
    """Our code for a language tag in any usual spelling ("de", "de-DE", "de_AT", "EN_us"), or None when the
    product does not speak it."""
    if not code:
        return None
    base = str(code).strip().replace("_", "-").split("-")[0].lower()
    return base if base in language_codes() else None


def contact_language(contact) -> str:
    """The language texts to this contact are written in: their own, else the account's default."""
    return supported_language(getattr(contact, "locale", "")) or settings.LANGUAGE_CODE


def zendesk_locale(value) -> str | None:
    """Our language code for a Zendesk `locale_id` (1, "8") or a language code ("de", "en-US"); None if unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        return ZENDESK_LOCALE_IDS.get(value)
    return supported_language(value) if isinstance(value, str) else None


@cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_time_zone(name: str) -> bool:
    """An IANA time zone name this system knows ("Europe/Berlin")."""
    return bool(name) and name in _time_zone_names()


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(_time_zone_names())]
