"""Reading one export file: a single list response, a JSON array of pages, or pages one after another."""

import json
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

KINDS = ("groups", "users", "ticket_fields", "webhooks", "macros", "triggers", "automations")


class ExportError(Exception):
    """A file of the export cannot be read; the message names the file and the line."""


def _pages(text: str, name: str) -> list[Any]:
    """Every JSON value in `text`, in order: one value, or several separated by white space (newlines)."""
    decoder = json.JSONDecoder()
    values, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return values
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ExportError(
                _("%(file)s, line %(line)s: not valid JSON (%(error)s).")
                % {"file": name, "line": error.lineno, "error": error.msg}
            ) from None
        values.append(value)


def records(directory: Path, kind: str) -> list[dict[str, Any]] | None:
    """The records of `kind` in `<kind>.json`, all pages joined; None when the file is missing."""
    path = directory / f"{kind}.json"
    if not path.is_file():
        return None
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ExportError(_("%(file)s cannot be read: %(error)s.") % {"file": name, "error": error}) from None
    pages = []
    for value in _pages(text, name):
        pages.extend(value if isinstance(value, list) else [value])
    found: list[dict[str, Any]] = []
    for page in pages:
        items = page.get(kind) if isinstance(page, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ExportError(
                _('%(file)s: every page must be an object with a list "%(key)s" of objects.')
                % {"file": name, "key": kind}
            )
        found.extend(items)
    return found
