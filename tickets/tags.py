"""Ticket tags, the one copy of their rules: what a tag may be, and how set, add and remove combine.

Zendesk's tags are lower case words without spaces. A list of changes is applied as `ticket_update` does it: the
set replaces, then the additions join, then the removals leave. Macros (preview), triggers (what a rule changed)
and conditions (what an automation's actions may leave) use the same functions, so they agree with the core.

Pure apart from `ticket_tags_set`, which writes a ticket's tag rows through its related manager; no model is
imported, so the pure rules (`automations.conditions`) may use this module.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from tickets.errors import DomainError

TAG_RE = re.compile(r"^[\w\-:./]{1,80}$")
TAG_RULE = gettext_lazy("letters, digits, - _ : . / only")


def split_tags(words: Iterable[str]) -> tuple[list[str], str | None]:
    """The tags in `words` (lower case, split on spaces, no duplicates, in order) and the first bad word as written,
    or None when every word is a valid tag. The tags before the bad word are returned."""
    result: list[str] = []
    for raw in words:
        for word in str(raw).split():
            tag = word.lower()
            if not TAG_RE.match(tag):
                return result, word
            if tag not in result:
                result.append(tag)
    return result, None


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Zendesk tags: lower case, no spaces. Bad tags are refused rather than silently changed."""
    result, bad = split_tags(tags)
    if bad is not None:
        raise DomainError(
            gettext("'%(tag)s' is not a valid tag (%(rule)s).") % {"tag": bad.lower(), "rule": TAG_RULE}, field="tags"
        )
    return result


def combine(
    current: Iterable[str], *, replace: Iterable[str] | None = None, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> list[str]:
    """The tag arithmetic of an update: `replace` (when given) instead of `current`, then `add`, then `remove`.
    The order of the tags is kept."""
    tags = list(replace) if replace is not None else list(current)
    tags += [t for t in add if t not in tags]
    removed = set(remove)
    return [t for t in tags if t not in removed]


def tags_after(current: Iterable[str], changes: Mapping[str, Any]) -> list[str]:
    """The tags a ticket has after `ticket_update(changes=...)` (keys tags, add_tags, remove_tags; normalised),
    sorted."""
    return sorted(
        combine(
            current,
            replace=changes.get("tags"),
            add=changes.get("add_tags", ()),
            remove=changes.get("remove_tags", ()),
        )
    )


@dataclass
class TagOps:
    """Tag actions in order (set, add, remove), folded into at most one set, one add and one remove list; later
    actions win, as when Zendesk applies them one by one."""

    set: list[str] | None = None
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def set_to(self, tags: Iterable[str]) -> None:
        self.set, self.add, self.remove = list(tags), [], []

    def add_tags(self, tags: Iterable[str]) -> None:
        for tag in tags:
            if self.set is not None:
                if tag not in self.set:
                    self.set.append(tag)
            elif tag not in self.add:
                self.add.append(tag)
            if tag in self.remove:
                self.remove.remove(tag)

    def remove_tags(self, tags: Iterable[str]) -> None:
        for tag in tags:
            if self.set is not None:
                if tag in self.set:
                    self.set.remove(tag)
            else:
                if tag in self.add:
                    self.add.remove(tag)
                if tag not in self.remove:
                    self.remove.append(tag)

    def as_changes(self) -> dict[str, list[str]]:
        """The keys of `ticket_update(changes=...)` these operations amount to."""
        if self.set is not None:
            return {"tags": list(self.set)}
        changes = {}
        if self.add:
            changes["add_tags"] = list(self.add)
        if self.remove:
            changes["remove_tags"] = list(self.remove)
        return changes

    def may_have(self, tag: str) -> bool:
        """Could the tag be on the ticket afterwards, whatever tags it had before?"""
        if tag in self.remove:
            return False
        return self.set is None or tag in self.set

    def surely_has(self, tag: str) -> bool:
        """Is the tag on the ticket afterwards, whatever tags it had before?"""
        return tag in self.add or (self.set is not None and tag in self.set)


def ticket_tags_set(ticket, new_tags: list[str]) -> tuple[list[str], list[str]]:
    """Make the ticket's tag rows `new_tags`; returns (old, new), both sorted. No event: the caller audits."""
    current = list(ticket.tag_rows.values_list("name", flat=True))
    added = [t for t in new_tags if t not in current]
    removed = [t for t in current if t not in new_tags]
    if removed:
        ticket.tag_rows.filter(name__in=removed).delete()
    if added:
        rows = ticket.tag_rows.model
        rows.objects.bulk_create([rows(ticket=ticket, name=t) for t in added])
    return sorted(current), sorted(set(current) - set(removed) | set(added))
