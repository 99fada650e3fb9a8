"""Typed writers of the audit trail. Every row the ticket's event log shows is written here."""

from typing import Any

from tickets.models import Comment, Event, Ticket

TICKET_CREATED = "ticket.created"
COMMENT_ADDED = "comment.added"
FIELD_CHANGED = "field.changed"
DELIVERY_STATUS = "delivery.status"
DELIVERY_FAILED = "delivery.failed"
DELIVERY_RETRIED = "delivery.retried"
MACRO_APPLIED = "macro.applied"
TRIGGER_FIRED = "trigger.fired"
AUTOMATION_FIRED = "automation.fired"
REDACTION_APPLIED = "redaction.applied"
NOTIFICATION_SENT = "notification.sent"
MESSAGE_REACTION = "message.reaction"
MESSAGE_EDITED = "message.edited"
MESSAGE_REVOKED = "message.revoked"
CONTACT_REPAIRED = "contact.repaired"
CONTACT_MERGED = "contact.merged"

DELIVERY_TYPES = (DELIVERY_STATUS, DELIVERY_FAILED, DELIVERY_RETRIED)


def record(*, ticket: Ticket, type: str, actor=None, data: dict[str, Any] | None = None) -> Event:
    return Event.objects.create(ticket=ticket, type=type, actor=actor, data=data or {})


def record_all(rows: list[Event]) -> list[Event]:
    """Rows built by the `*_row` writers below, written in one INSERT (a sweep over many tickets)."""
    return Event.objects.bulk_create(rows)


def ticket_created(*, ticket: Ticket, actor=None) -> Event:
    return record(
        ticket=ticket,
        type=TICKET_CREATED,
        actor=actor,
        data={
            "subject": ticket.subject,
            "via": ticket.via,
            "status": ticket.status,
            "requester_id": ticket.requester_id,
            "follow_up_of": ticket.follow_up_of_id,
        },
    )


def comment_added(*, comment: Comment, actor=None, attachments: int | None = None) -> Event:
    """`attachments`: how many the comment has, when the caller knows (a comment just made has none yet)."""
    if attachments is None:
        attachments = comment.attachments.count() if comment.pk else 0
    return record(
        ticket=comment.ticket,
        type=COMMENT_ADDED,
        actor=actor,
        data={
            "comment_id": comment.pk,
            "public": comment.public,
            "author_role": comment.author_role,
            "via": comment.via,
            "attachments": attachments,
        },
    )


def field_changed(*, ticket: Ticket, field: str, old: Any, new: Any, actor=None) -> Event:
    row = field_changed_row(ticket=ticket, field=field, old=old, new=new, actor=actor)
    row.save(force_insert=True)
    return row


def field_changed_row(*, ticket: Ticket, field: str, old: Any, new: Any, actor=None) -> Event:
    """`field.changed`, not yet written (`record_all`)."""
    return Event(ticket=ticket, type=FIELD_CHANGED, actor=actor, data={"field": field, "from": old, "to": new})


def delivery_status(*, comment: Comment, status: str, previous: str | None) -> Event:
    return record(
        ticket=comment.ticket,
        type=DELIVERY_STATUS,
        data={"comment_id": comment.pk, "status": status, "previous": previous},
    )


def delivery_failed(*, comment: Comment, code: str, title: str, detail: str) -> Event:
    return record(
        ticket=comment.ticket,
        type=DELIVERY_FAILED,
        data={"comment_id": comment.pk, "code": code, "title": title, "detail": detail},
    )


def delivery_retried(*, comment: Comment, actor, code: str) -> Event:
    """An agent sent a failed message again (the same comment, queued anew); `code` is the failure it had."""
    return record(
        ticket=comment.ticket, type=DELIVERY_RETRIED, actor=actor, data={"comment_id": comment.pk, "code": code}
    )


def redaction_applied(*, comment: Comment, count: int) -> Event:
    """Where and how many card numbers were masked, never the numbers."""
    return record(
        ticket=comment.ticket,
        type=REDACTION_APPLIED,
        data={"comment_id": comment.pk, "where": "comment", "count": count},
    )


def message_reaction(*, comment: Comment, emoji: str) -> Event:
    return record(
        ticket=comment.ticket,
        type=MESSAGE_REACTION,
        data={"comment_id": comment.pk, "emoji": emoji, "removed": not emoji},
    )


def message_edited(*, comment: Comment) -> Event:
    return record(ticket=comment.ticket, type=MESSAGE_EDITED, data={"comment_id": comment.pk})


def message_revoked(*, comment: Comment) -> Event:
    return record(ticket=comment.ticket, type=MESSAGE_REVOKED, data={"comment_id": comment.pk})


def macro_applied(
    *, ticket: Ticket, actor, macro_id: int, title: str, changes: dict, comment_id: int | None, source: str
):
    data = {"macro_id": macro_id, "title": title, "changes": changes, "comment_id": comment_id, "source": source}
    return record(ticket=ticket, type=MACRO_APPLIED, actor=actor, data=data)


def rule_fired(*, ticket: Ticket, kind: str, rule_id: int, title: str, changes: dict) -> Event:
    """`trigger.fired` or `automation.fired`: which rule changed what."""
    row = rule_fired_row(ticket=ticket, kind=kind, rule_id=rule_id, title=title, changes=changes)
    row.save(force_insert=True)
    return row


def rule_fired_row(*, ticket: Ticket, kind: str, rule_id: int, title: str, changes: dict) -> Event:
    """`trigger.fired` or `automation.fired`, not yet written (`record_all`)."""
    event_type = TRIGGER_FIRED if kind == "trigger" else AUTOMATION_FIRED
    return Event(ticket=ticket, type=event_type, data={f"{kind}_id": rule_id, "title": title, "changes": changes})


def notification_sent(*, ticket: Ticket, data: dict[str, Any]) -> Event:
    return record(ticket=ticket, type=NOTIFICATION_SENT, data=data)


def contact_changed(*, ticket: Ticket, type: str, actor, data: dict[str, Any]) -> Event:
    """`contact.repaired` or `contact.merged`, written on every ticket of the contact."""
    if type not in (CONTACT_REPAIRED, CONTACT_MERGED):
        raise ValueError(f"not a contact event: {type}")
    return record(ticket=ticket, type=type, actor=actor, data=data)
