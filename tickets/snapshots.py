"""The before/after picture of a ticket that macros and rules audit: what one of their updates changed.

`ticket_update` reports its own changes to listeners; a macro or rule needs more (the triggers its update ran, a
page's submit plus a subject), so it compares a snapshot taken before with one taken after.
"""

from collections.abc import Iterable
from typing import Any

SNAPSHOT_FIELDS = ("subject", "status", "priority", "type", "group_id", "assignee_id")


def ticket_snapshot(ticket, tags: Iterable[str] | None = None) -> dict[str, Any]:
    """The fields macros and rules change, and the tags (sorted); without `tags` they are read (one query)."""
    if tags is None:
        tags = ticket.tag_rows.values_list("name", flat=True)
    return {**{name: getattr(ticket, name) for name in SNAPSHOT_FIELDS}, "tags": sorted(tags)}


def snapshot_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for what differs, in the snapshot's order."""
    return {key: [value, after[key]] for key, value in before.items() if value != after[key]}
