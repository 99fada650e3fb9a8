"""Zendesk-style placeholders (``{{ticket.id}}``, ``{{ticket.requester.first_name}}`` ...), by explicit substitution.

Texts written by agents and admins (macro replies, trigger notifications) are never run through Django's template
engine: a placeholder is ``{{`` + a dotted name + ``}}``, with optional whitespace inside the braces, and it is
replaced by looking the name up in a plain dict. Everything else stays exactly as written: unknown names,
template-engine syntax (``{% if %}``, filters like ``{{ ticket.title|upper }}``), stray braces. Substitution is one
pass over the original text, so a value that itself looks like ``{{ticket.id}}`` is inserted literally.

`found` reports every ``{{ ... }}`` in a text (a filter expression is reported as written, e.g.
``ticket.title|upper``), and `unknown` those that are not in `KNOWN`, so saving a macro or trigger can refuse a typo
or an unsupported feature with a 400 instead of sending ``{{ticket.titel}}`` to a customer.

`render_in_shorthand` is for texts that may hold template shorthand (see `macros.shorthand`): values filled into a
shorthand value or block cannot add, end or open fields or blocks, whatever a customer calls themself.

`values_for` reads the values from a ticket and the acting agent by attribute access only (no queries beyond what
attribute access on already-loaded objects does), so it works with models and with simple stand-in objects alike.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy

from macros import shorthand
from macros.comment_placeholders import COMMENT_NAMES

# Filled by loaders only when a text asks for them (`comment_placeholders.LazyValues`): they need queries.
LOADED_NAMES = frozenset({"ticket.tags", "ticket.cc_names"})

__all__ = ["KNOWN", "PLACEHOLDER_RE", "found", "render", "render_in_shorthand", "unknown", "values_for"]

KNOWN: frozenset[str] = frozenset(
    {
        "ticket.id",
        "ticket.title",  # Zendesk's name for the subject
        "ticket.status",
        "ticket.priority",
        "ticket.type",
        "ticket.via",
        "ticket.url",
        "ticket.requester.name",
        "ticket.requester.first_name",
        "ticket.requester.email",
        "ticket.requester.phone",
        "ticket.assignee.name",
        "ticket.assignee.first_name",
        "ticket.assignee.email",
        "ticket.group.name",
        "current_user.name",
        "current_user.first_name",
        "current_user.email",
        # More of Zendesk's placeholder reference
        "ticket.account",
        "ticket.link",
        "ticket.ticket_type",
        "ticket.created_at",
        "ticket.updated_at",
        "ticket.requester.id",
        "ticket.requester.last_name",
        "ticket.requester.language",
        "ticket.assignee.id",
        "ticket.assignee.last_name",
        "ticket.group.id",
        "current_user.id",
        "current_user.last_name",
    }
    | COMMENT_NAMES
    | LOADED_NAMES
)
# Zendesk placeholders of products SupportDesk does not have, by prefix: refused naming the feature.
UNSUPPORTED_PREFIXES = {
    "ticket.organization": gettext_lazy("organizations"),
    "ticket.requester.organization": gettext_lazy("organizations"),
    "current_user.organization": gettext_lazy("organizations"),
    "satisfaction.": gettext_lazy("satisfaction ratings"),
    "ticket.satisfaction": gettext_lazy("satisfaction ratings"),
    "ticket.brand": gettext_lazy("brands"),
    "ticket.ticket_form": gettext_lazy("ticket forms"),
    "ticket.in_business_hours": gettext_lazy("business hours"),
    "ticket.due_date": gettext_lazy("due dates"),
}


def unsupported_feature(name: str) -> str | None:
    """The feature a Zendesk placeholder belongs to when SupportDesk does not have it (e.g. "organizations")."""
    return next((str(feature) for prefix, feature in UNSUPPORTED_PREFIXES.items() if name.startswith(prefix)), None)


_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
# A placeholder that can be filled: a dotted name between double braces, whitespace allowed inside the braces.
PLACEHOLDER_RE = re.compile(r"\{\{\s*(?P<name>" + _NAME + r")\s*\}\}")
# Anything between double braces, so `found` also reports what cannot be filled (filters, numbers, typos).
_ANY_BRACES_RE = re.compile(r"\{\{([^{}]*)\}\}")


def found(text: str) -> list[str]:
    """Every ``{{ ... }}`` in the text, by its inner text stripped of whitespace, unique, in order of appearance.

    Empty braces (``{{ }}``) are not placeholders and are left out.
    """
    names: dict[str, None] = {}
    for match in _ANY_BRACES_RE.finditer(text):
        if inner := match.group(1).strip():
            names.setdefault(inner, None)
    return list(names)


# Zendesk's placeholders of admin-defined ticket fields: the value, and a drop-down option's title.
TICKET_FIELD_RE = re.compile(r"ticket\.ticket_field_(?:option_title_)?[0-9]{1,18}")


def unknown(text: str) -> list[str]:
    """The placeholders of `found` that are not in `KNOWN` (nor a ticket field's), in order of appearance."""
    return [name for name in found(text) if name not in KNOWN and not TICKET_FIELD_RE.fullmatch(name)]


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace each placeholder whose name is in `values` by its value, verbatim; leave everything else as written.

    For texts that are never read as template shorthand. Use `render_in_shorthand` for macro and reply texts.
    """

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        return _as_text(values[name]) if name in values else match.group(0)

    return PLACEHOLDER_RE.sub(fill, text)


# --------------------------------------------------------------------------------------------------------------------
# Rendering inside shorthand
# --------------------------------------------------------------------------------------------------------------------

_PLAIN, _BLOCK, _VALUE = "plain", "block", "value"


def _regions(text: str) -> tuple[list[int], list[str]]:
    """Where the text is plain, inside a shorthand block, or inside a [[value]], read the way the parser reads it.

    Returns region start offsets and their kinds; a region lasts until the next start. A value runs from ``[[`` to
    the first ``]]``; a block from ``&((`` to the first ``))&`` outside a value. Unclosed regions run to the end.
    """
    starts, kinds = [0], [_PLAIN]
    pos = 0
    while (opening := text.find(shorthand.OPEN, pos)) >= 0:
        starts.append(opening)
        kinds.append(_BLOCK)
        pos = opening + len(shorthand.OPEN)
        while True:
            close = text.find(shorthand.CLOSE, pos)
            value = text.find("[[", pos)
            if value >= 0 and (close < 0 or value < close):
                starts.append(value + 2)
                kinds.append(_VALUE)
                end = text.find("]]", value + 2)
                if end < 0:
                    return starts, kinds
                starts.append(end)
                kinds.append(_BLOCK)
                pos = end + 2
            elif close >= 0:
                pos = close + len(shorthand.CLOSE)
                starts.append(pos)
                kinds.append(_PLAIN)
                break
            else:
                return starts, kinds
    return starts, kinds


def _neutralise_delimiters(value: str) -> str:
    value = re.sub(r"&(?=\(\()", "& ", value)
    return re.sub(r"\)\)(?=&)", ")) ", value)


def _joins_forbidden(tail: str, head: str) -> bool:
    """Would writing `head` right after `tail` create one of the shorthand's forbidden sequences across the seam?"""
    return any(
        tail.endswith(seq[:cut]) and head.startswith(seq[cut:])
        for seq in shorthand.FORBIDDEN
        for cut in range(1, len(seq))
    )


def render_in_shorthand(text: str, values: Mapping[str, str]) -> str:
    """`render` for texts that may hold template shorthand, so filled-in values cannot change its structure.

    A value filled in inside a ``[[value]]`` (or elsewhere inside a block) is normalised like a template parameter
    (newlines/tabs and long space runs collapsed, ends stripped) and has ``]]``, ``[[``, ``&((`` and ``))&`` broken
    up by a space, like `shorthand.escape_value` does; an empty value stays empty here, so ``[[Hi {{name}}]]`` gives
    ``Hi`` and a whole-value parameter still becomes ``-`` when sent. A value filled in outside any block is inserted
    verbatim except that ``&((`` and ``))&`` are broken up, so no value can turn a plain reply into a template.
    Wherever a value meets the surrounding text (``a]{{x}}`` with x = ``]``), one space is inserted if the two
    would form one of those sequences. So a customer named ``]] template=[[x`` stays inside its body_text.
    """
    starts, kinds = _regions(text)
    pieces: list[tuple[str, bool]] = []  # (text, is a filled-in value)
    pos = 0
    for match in PLACEHOLDER_RE.finditer(text):
        name = match.group("name")
        if name not in values:
            continue
        value = _as_text(values[name])
        if kinds[bisect.bisect_right(starts, match.start()) - 1] == _PLAIN:
            value = _neutralise_delimiters(value)
        else:
            value = shorthand.neutralise(shorthand.collapse_whitespace(value))
        pieces.append((text[pos : match.start()], False))
        pieces.append((value, True))
        pos = match.end()
    pieces.append((text[pos:], False))

    out: list[str] = []
    tail = ""  # the last two characters written
    after_value = False  # the next seam touches a filled-in value (possibly an empty one)
    for piece, is_value in pieces:
        if not piece:
            after_value = after_value or is_value
            continue
        if (is_value or after_value) and _joins_forbidden(tail, piece):
            out.append(" ")
            tail = " "
        out.append(piece)
        tail = (tail + piece)[-2:]
        after_value = is_value
    return "".join(out)


# --------------------------------------------------------------------------------------------------------------------
# Values from a ticket
# --------------------------------------------------------------------------------------------------------------------


def _display(obj: Any, field: str) -> str:
    """The human label of a choices field (``Open``), through Django's get_FOO_display when the object has one."""
    getter = getattr(obj, f"get_{field}_display", None)
    return _as_text(getter() if callable(getter) else getattr(obj, field, None))


def _name(person: Any) -> str:
    """A user's full name (falling back to the username), or a contact's name; "" when there is nobody."""
    if person is None:
        return ""
    get_full_name = getattr(person, "get_full_name", None)
    if callable(get_full_name) and (full := _as_text(get_full_name()).strip()):
        return full
    return (_as_text(getattr(person, "name", None)) or _as_text(getattr(person, "username", None))).strip()


def _first_name(person: Any) -> str:
    """The object's own first_name when it has a non-empty one, else the first word of its name."""
    if person is None:
        return ""
    if first := _as_text(getattr(person, "first_name", None)).strip():
        return first
    words = _name(person).split()
    return words[0] if words else ""


def _attr(obj: Any, name: str) -> str:
    return "" if obj is None else _as_text(getattr(obj, name, None))


def _last_name(person: Any) -> str:
    if person is None:
        return ""
    if last := _as_text(getattr(person, "last_name", None)).strip():
        return last
    words = _name(person).split()
    return " ".join(words[1:])


def people_names(people: Any) -> str:
    return ", ".join(_name(person) for person in people)


def values_for(*, ticket: Any, current_user: Any = None, site_url: str = "") -> dict[str, str]:
    """The value of every name in `KNOWN` for this ticket and acting user; missing parts give "".

    Reads attributes only: ticket.pk, subject, status/priority/type/via (their display labels when the object has
    get_FOO_display), requester (name, first_name, email, phone), assignee and current_user (get_full_name() or
    username, first_name, email), group.name. ``ticket.url`` is ``{site_url}/tickets/{pk}/``.
    """
    pk = getattr(ticket, "pk", None)
    requester = getattr(ticket, "requester", None)
    assignee = getattr(ticket, "assignee", None)
    group = getattr(ticket, "group", None)
    return {
        "ticket.id": _as_text(pk),
        "ticket.title": _attr(ticket, "subject"),
        "ticket.status": _display(ticket, "status"),
        "ticket.priority": _display(ticket, "priority"),
        "ticket.type": _display(ticket, "type"),
        "ticket.via": _display(ticket, "via"),
        "ticket.url": f"{site_url.rstrip('/')}/tickets/{pk}/" if pk is not None else "",
        "ticket.requester.name": _name(requester),
        "ticket.requester.first_name": _first_name(requester),
        "ticket.requester.email": _attr(requester, "email"),
        "ticket.requester.phone": _attr(requester, "phone"),
        "ticket.assignee.name": _name(assignee),
        "ticket.assignee.first_name": _first_name(assignee),
        "ticket.assignee.email": _attr(assignee, "email"),
        "ticket.group.name": _attr(group, "name"),
        "current_user.name": _name(current_user),
        "current_user.first_name": _first_name(current_user),
        "current_user.email": _attr(current_user, "email"),
        "ticket.account": urlsplit(site_url).hostname or "",
        "ticket.link": f"{site_url.rstrip('/')}/tickets/{pk}/" if pk is not None else "",
        "ticket.ticket_type": _display(ticket, "type"),
        "ticket.created_at": _as_text(getattr(ticket, "created_at", None)),
        "ticket.updated_at": _as_text(getattr(ticket, "updated_at", None)),
        "ticket.requester.id": _attr(requester, "pk"),
        "ticket.requester.last_name": _last_name(requester),
        "ticket.requester.language": _attr(requester, "locale"),
        "ticket.assignee.id": _attr(assignee, "pk"),
        "ticket.assignee.last_name": _last_name(assignee),
        "ticket.group.id": _attr(group, "pk"),
        "current_user.id": _attr(current_user, "pk"),
        "current_user.last_name": _last_name(current_user),
    }
