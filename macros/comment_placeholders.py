"""Zendesk's comment placeholders (``{{ticket.comments_formatted}}``, ``{{ticket.latest_public_comment_html}}``...)
from a ticket's comments, by attribute access only (pure: the caller loads the comments).

Like Zendesk, ``comments_formatted`` and ``latest_comment`` include internal notes, so they are filled with public
comments only in texts that reach customers (replies, and notifications to the requester and CCs); agents'
notifications see every comment. Formatted forms list the newest first with the author and time; HTML forms escape
the text.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any

from django.utils.html import escape, linebreaks

COMMENT_NAMES = frozenset(
    {
        "ticket.description",
        "ticket.comments_formatted",
        "ticket.public_comments_formatted",
        "ticket.latest_comment",
        "ticket.latest_comment_formatted",
        "ticket.latest_comment_html",
        "ticket.latest_public_comment",
        "ticket.latest_public_comment_formatted",
        "ticket.latest_public_comment_html",
    }
)
SEPARATOR = "-" * 46


def _author(comment: Any) -> str:
    for person in (getattr(comment, "author_user", None), getattr(comment, "author_contact", None)):
        if person is None:
            continue
        full = getattr(person, "get_full_name", None)
        name = (full() if callable(full) else "") or getattr(person, "name", "") or getattr(person, "username", "")
        if name:
            return str(name)
    return "SupportDesk"


def _when(comment: Any) -> str:
    created = getattr(comment, "created_at", None)
    return created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if created is not None else ""


def _text(comment: Any) -> str:
    return "" if comment is None else str(getattr(comment, "body", "") or "")


def _formatted(comment: Any) -> str:
    return f"{_author(comment)}, {_when(comment)}\n\n{_text(comment)}"


def _html(comment: Any) -> str:
    if comment is None:
        return ""
    return (
        f'<div class="zd-comment"><p><strong>{escape(_author(comment))}</strong>, {escape(_when(comment))}</p>'
        f"{linebreaks(_text(comment), autoescape=True)}</div>"
    )


def _all_formatted(comments: Sequence[Any]) -> str:
    return f"\n\n{SEPARATOR}\n\n".join(_formatted(c) for c in reversed(comments))


def comment_values(comments: Sequence[Any], *, public_only: bool) -> dict[str, str]:
    """The values of `COMMENT_NAMES` from `comments` (oldest first); `public_only` leaves internal notes out."""
    public = [c for c in comments if getattr(c, "public", False)]
    shown = public if public_only else list(comments)
    latest = shown[-1] if shown else None
    latest_public = public[-1] if public else None
    return {
        "ticket.description": _text(comments[0] if comments else None),
        "ticket.comments_formatted": _all_formatted(shown),
        "ticket.public_comments_formatted": _all_formatted(public),
        "ticket.latest_comment": _text(latest),
        "ticket.latest_comment_formatted": _formatted(latest) if latest is not None else "",
        "ticket.latest_comment_html": _html(latest),
        "ticket.latest_public_comment": _text(latest_public),
        "ticket.latest_public_comment_formatted": _formatted(latest_public) if latest_public is not None else "",
        "ticket.latest_public_comment_html": _html(latest_public),
    }


class LazyValues(Mapping):
    """Placeholder values, some of them loaded only when a text asks for them: `loaders` pairs the names a loader
    fills with the loader (called once, its values kept), so a text without them costs no query."""

    def __init__(self, values: Mapping[str, str], loaders: Sequence[tuple[frozenset[str], Callable[[], Mapping]]]):
        self._values = dict(values)
        self._loaders = list(loaders)

    def _load(self, name: str) -> bool:
        for index, (names, loader) in enumerate(self._loaders):
            if name in names:
                self._values.update(loader())
                del self._loaders[index]
                return True
        return False

    def __getitem__(self, name: str) -> str:
        if name not in self._values:
            self._load(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values or any(name in names for names, _ in self._loaders)

    def __iter__(self):
        yield from self._values
        for names, _ in self._loaders:
            yield from names

    def __len__(self) -> int:
        return len(self._values) + sum(len(names) for names, _ in self._loaders)
