"""Every write to the helpdesk core. Keyword-only, atomic; outside effects leave on commit."""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import collaborators, custom_fields, events, realtime, redaction
from tickets.errors import DomainError
from tickets.hooks import TicketChange, notify_change, outbound_handler_for, prepare_reply
from tickets.models import (
    Attachment,
    AuthorRole,
    Comment,
    Contact,
    Group,
    Ticket,
    TicketPriority,
    TicketStatus,
    TicketType,
    Via,
)
from tickets.tags import combine, normalize_tags, ticket_tags_set

logger = logging.getLogger(__name__)
User = get_user_model()

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
REDACTION_TAG = "credit_card_redacted"
ASSIGNABLE_FIELDS = ("subject", "status", "priority", "type", "assignee", "group")
# How a refused value names its field ("'x' is not a valid priority").
FIELD_NAMES = {
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "type": gettext_lazy("type"),
    "via": gettext_lazy("via"),
}


# --- Tickets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewComment:
    body: str
    public: bool = True
    attachments: Sequence[UploadedFile] = ()
    template: dict | None = None


def _validate_assignment(*, assignee, group) -> None:
    if assignee is not None and not assignee.is_active:
        raise DomainError(_("The assignee must be an active agent."), field="assignee_id")
    if assignee is not None and group is not None and not group.members.filter(pk=assignee.pk).exists():
        raise DomainError(
            _("%(assignee)s is not a member of the group %(group)s.") % {"assignee": assignee, "group": group},
            field="assignee_id",
        )


def _check_choice(field: str, value: Any, choices) -> None:
    if value is not None and value not in choices.values:
        raise DomainError(
            _("'%(value)s' is not a valid %(field)s.") % {"value": value, "field": FIELD_NAMES.get(field, field)},
            field=field,
        )


@transaction.atomic
def ticket_create(
    *,
    requester: Contact,
    subject: str,
    via: str = Via.WEB,
    actor=None,
    comment: NewComment | None = None,
    priority: str | None = None,
    type: str | None = None,
    tags: Iterable[str] = (),
    assignee=None,
    group: Group | None = None,
    follow_up_of: Ticket | None = None,
    source: str | None = None,
    on_ticket_created: Callable[[Ticket], None] | None = None,
    custom_field_values: dict[int, Any] | None = None,
) -> Ticket:
    """A ticket opened by an agent or API client (the first comment is theirs).

    `on_ticket_created(ticket)` lets a channel link its conversation before the first comment and the listeners.
    """
    subject = (subject or "").strip()
    if not subject:
        raise DomainError(_("A ticket needs a subject."), field="subject")
    _check_choice("priority", priority, TicketPriority)
    _check_choice("type", type, TicketType)
    _check_choice("via", via, Via)
    _validate_assignment(assignee=assignee, group=group)
    tag_list = normalize_tags(tags)
    now = timezone.now()
    ticket = Ticket.objects.create(
        subject=subject[:255],
        via=via,
        requester=requester,
        priority=priority,
        type=type,
        assignee=assignee,
        group=group,
        follow_up_of=follow_up_of,
        status=TicketStatus.OPEN if assignee else TicketStatus.NEW,
        status_changed_at=now,
    )
    events.ticket_created(ticket=ticket, actor=actor)
    if custom_field_values:
        __, add, remove = custom_fields.values_set(ticket=ticket, actor=actor, values=custom_field_values)
        tag_list = combine(tag_list, add=add, remove=remove)
    if tag_list:
        ticket_tags_set(ticket, tag_list)
    if on_ticket_created is not None:
        on_ticket_created(ticket)
    added = None
    if comment is not None and comment.body.strip():
        added = _add_agent_comment(ticket=ticket, author=actor, new=comment, via=via)
    realtime.ticket_changed_on_commit(ticket)
    notify_change(TicketChange(ticket=ticket, actor=actor, update_type="create", comment=added, source=source or via))
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor=None,
    changes: dict[str, Any] | None = None,
    comment: NewComment | None = None,
    source: str = "web",
    via: str = Via.WEB,
    run_listeners: bool = True,
) -> Ticket:
    """One submit, as in Zendesk: field changes and an optional comment, audited, then the change listeners.

    `changes` keys: subject, status, priority, type, assignee (User|None), group (Group|None), tags (replace),
    add_tags, remove_tags, custom_fields ({field id: value}, see `tickets.custom_fields`).
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError(_("This ticket is closed and can no longer be changed; create a follow-up instead."))
    changes = dict(changes or {})
    applied = _apply_changes(ticket=ticket, actor=actor, changes=changes)
    added = None
    if comment is not None and (comment.body.strip() or comment.attachments or comment.template):
        if comment.public and ticket.status == TicketStatus.NEW and "status" not in changes:
            applied.update(_change_status(ticket=ticket, actor=actor, status=TicketStatus.OPEN))
        added = _add_agent_comment(ticket=ticket, author=actor, new=comment, via=via)
    ticket.added_comment = added  # the caller's own comment, whatever listeners add after it
    if applied or added:
        ticket.save()
        realtime.ticket_changed_on_commit(
            ticket,
            former_group_ids=[applied["group_id"][0]] if "group_id" in applied else [],
            former_assignee_ids=[applied["assignee_id"][0]] if "assignee_id" in applied else [],
        )
        if run_listeners:
            notify_change(
                TicketChange(
                    ticket=ticket, actor=actor, update_type="change", changes=applied, comment=added, source=source
                )
            )
    return ticket


def _change_status(*, ticket: Ticket, actor, status: str) -> dict[str, tuple[Any, Any]]:
    old = ticket.status
    if old == status:
        return {}
    _check_choice("status", status, TicketStatus)
    if status == TicketStatus.NEW:
        raise DomainError(_("A ticket cannot be set back to new."), field="status")
    now = timezone.now()
    ticket.status = status
    ticket.status_changed_at = now
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
    events.field_changed(ticket=ticket, field="status", old=old, new=status, actor=actor)
    return {"status": (old, status)}


def _apply_changes(*, ticket: Ticket, actor, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    applied: dict[str, tuple[Any, Any]] = {}
    unknown = set(changes) - {
        *ASSIGNABLE_FIELDS,
        "tags",
        "add_tags",
        "remove_tags",
        "custom_fields",
        *collaborators.CHANGE_KEYS,
    }
    if unknown:
        raise DomainError(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if "status" in changes:
        applied.update(_change_status(ticket=ticket, actor=actor, status=changes["status"]))
    if "subject" in changes:
        subject = (changes["subject"] or "").strip()
        if not subject:
            raise DomainError(_("A ticket needs a subject."), field="subject")
        if subject != ticket.subject:
            applied["subject"] = (ticket.subject, subject)
            ticket.subject = subject[:255]
    for field, choices in (("priority", TicketPriority), ("type", TicketType)):
        if field in changes:
            value = changes[field] or None
            _check_choice(field, value, choices)
            if value != getattr(ticket, field):
                applied[field] = (getattr(ticket, field), value)
                setattr(ticket, field, value)
    assignee = changes.get("assignee", ticket.assignee)
    group = changes.get("group", ticket.group)
    if "assignee" in changes or "group" in changes:
        _validate_assignment(assignee=assignee, group=group)
    if "group" in changes and (group.pk if group else None) != ticket.group_id:
        applied["group_id"] = (ticket.group_id, group.pk if group else None)
        ticket.group = group
    if "assignee" in changes and (assignee.pk if assignee else None) != ticket.assignee_id:
        applied["assignee_id"] = (ticket.assignee_id, assignee.pk if assignee else None)
        ticket.assignee = assignee
    for field in ("subject", "priority", "type", "group_id", "assignee_id"):
        if field in applied:
            old, new = applied[field]
            events.field_changed(ticket=ticket, field=field, old=old, new=new, actor=actor)
    if changes.get("custom_fields"):
        custom_fields.submit_values_apply(ticket=ticket, actor=actor, changes=changes, applied=applied)
    if {"tags", "add_tags", "remove_tags"} & set(changes):
        target = combine(
            ticket.tag_rows.values_list("name", flat=True),
            replace=normalize_tags(changes["tags"]) if "tags" in changes else None,
            add=normalize_tags(changes.get("add_tags", ())),
            remove=normalize_tags(changes.get("remove_tags", ())),
        )
        old_tags, new_tags = ticket_tags_set(ticket, target)
        if old_tags != new_tags:
            applied["tags"] = (old_tags, new_tags)
            events.field_changed(ticket=ticket, field="tags", old=old_tags, new=new_tags, actor=actor)
    applied.update(collaborators.collaborators_apply(ticket=ticket, actor=actor, changes=changes))
    custom_fields.required_to_solve_check(ticket=ticket, actor=actor, applied=applied)
    return applied


def _store_attachments(*, ticket: Ticket, comment: Comment, files: Sequence[UploadedFile]) -> None:
    for upload in files:
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise DomainError(
                _("%(name)s is larger than %(size)s MB.")
                % {"name": upload.name, "size": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
                field="attachments",
            )
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            filename=upload.name[:255],
            content_type=(upload.content_type or "application/octet-stream")[:120],
            size=upload.size,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()


def _add_agent_comment(*, ticket: Ticket, author, new: NewComment, via: str) -> Comment:
    body, template = new.body, new.template
    body, redactions = _card_numbers_masked(body, via=via)  # before the shorthand, so template parameters are too
    plan = None
    if new.public and template is None:
        prepared = prepare_reply(ticket, body)  # e.g. WhatsApp template shorthand -> rendered text + template
        if prepared is not None:
            body, template, plan = prepared.body, prepared.template, prepared.plan
    comment = Comment.objects.create(
        ticket=ticket,
        author_role=AuthorRole.AGENT if author is not None else AuthorRole.SYSTEM,
        author_user=author,
        body=body,
        public=new.public,
        via=via,
        template=template,
    )
    _store_attachments(ticket=ticket, comment=comment, files=new.attachments)
    events.comment_added(comment=comment, actor=author)
    if redactions:
        redaction_recorded(comment=comment, count=redactions)
    if new.public:
        _deliver_public_reply(comment, plan)
    _announce_comment(comment)
    return comment


def _card_numbers_masked(body: str, *, via: str) -> tuple[str, int]:
    """Account-wide credit-card redaction (`ACCOUNT_REDACT_CREDIT_CARDS`, off by default) for web, API and e-mail
    comments, before they are stored. WhatsApp messages are not touched here: that channel redacts its own, per
    connected number and on by default, before its webhook store."""
    if via == Via.WHATSAPP or not settings.ACCOUNT_REDACT_CREDIT_CARDS:
        return body, 0
    return redaction.redact(body)


def redaction_recorded(*, comment: Comment, count: int) -> None:
    """Where and how many, never the number; plus the tag, unless the ticket is closed (it takes no change)."""
    events.redaction_applied(comment=comment, count=count)
    if comment.ticket.status == TicketStatus.CLOSED:
        return
    old_tags = list(comment.ticket.tag_rows.values_list("name", flat=True))
    if REDACTION_TAG not in old_tags:
        old, new = ticket_tags_set(comment.ticket, [*old_tags, REDACTION_TAG])
        events.field_changed(ticket=comment.ticket, field="tags", old=old, new=new)


def _announce_comment(comment: Comment) -> None:
    """Agents with the ticket open see new messages without reloading."""
    realtime.broadcast_on_commit(
        [realtime.ticket_group(comment.ticket_id)],
        realtime.comment_added_frame(ticket_id=comment.ticket_id, comment_id=comment.pk),
    )


def _deliver_public_reply(comment: Comment, plan: Any = None) -> None:
    """Hand a public reply to the ticket's channel; tickets without a channel e-mail the requester."""
    ticket = comment.ticket
    handler = outbound_handler_for(ticket.via)
    if handler is not None:
        if plan is None:
            handler(comment)
        else:
            handler(comment, plan)
        return
    email = ticket.requester.email
    if email:
        subject = f"[#{ticket.pk}] {ticket.subject}"
        transaction.on_commit(lambda: _send_reply_email(email=email, subject=subject, body=comment.body))


def _send_reply_email(*, email: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    except Exception:  # a mail outage must not break the agent's submit, which already committed
        logger.exception("Could not e-mail the reply for %s", subject)


def comment_add(
    *,
    ticket: Ticket,
    author,
    body: str,
    public: bool,
    attachments: Sequence[UploadedFile] = (),
    via: str = Via.WEB,
    source: str = "web",
    template: dict | None = None,
) -> Comment:
    """An agent's public reply or internal note."""
    if not body.strip() and not attachments and not template:
        raise DomainError(_("Write a message or attach a file."), field="body")
    ticket = ticket_update(
        ticket=ticket,
        actor=author,
        comment=NewComment(body=body, public=public, attachments=attachments, template=template),
        via=via,
        source=source,
    )
    return ticket.added_comment


@transaction.atomic
def end_user_message_add(
    *,
    conversation_ticket: Ticket | None,
    requester: Contact,
    via: str,
    body: str,
    sent_at: datetime | None = None,
    subject: str | None = None,
    channel_message_id: str | None = None,
    forwarded: bool = False,
    in_reply_to: Comment | None = None,
    message_type: str = "",
    channel_data: dict | None = None,
    on_ticket_created: Callable[[Ticket], None] | None = None,
    ticket_locked: bool = False,
) -> Comment:
    """A message from the customer, following Zendesk's status rules.

    `conversation_ticket` is the latest ticket of this conversation (the channel decides what that means):
    none -> a new ticket; closed -> a follow-up ticket; solved -> reopened; otherwise the message joins it.
    `ticket_locked`: the caller read it `FOR UPDATE` in this transaction, so it is current and is not read again.
    """
    now = timezone.now()
    sent_at = min(sent_at or now, now)  # a send time in the future is clamped to receipt time
    body, redactions = _card_numbers_masked(body, via=via)  # also what the subject is made of
    ticket = conversation_ticket
    if ticket is not None and not ticket_locked:
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    created = ticket is None or ticket.status == TicketStatus.CLOSED
    changes: dict[str, tuple[Any, Any]] = {}
    if created:
        ticket = Ticket.objects.create(
            subject=_subject_from(subject or body),
            via=via,
            requester=requester,
            status=TicketStatus.NEW,
            status_changed_at=now,
            follow_up_of=conversation_ticket,
            assignee=conversation_ticket.assignee if conversation_ticket and conversation_ticket.assignee else None,
            group=conversation_ticket.group if conversation_ticket else None,
        )
        events.ticket_created(ticket=ticket)
        if on_ticket_created is not None:
            on_ticket_created(ticket)  # the channel links its conversation before listeners run
    elif ticket.status in (TicketStatus.SOLVED, TicketStatus.PENDING):
        # Zendesk: an end-user reply reopens solved and pending tickets; on-hold stays on-hold.
        changes.update(_change_status(ticket=ticket, actor=None, status=TicketStatus.OPEN))
    comment = Comment.objects.create(
        ticket=ticket,
        author_role=AuthorRole.END_USER,
        author_contact=requester,
        body=body,
        public=True,
        via=via,
        channel_message_id=channel_message_id,
        channel_sent_at=sent_at,
        forwarded=forwarded,
        in_reply_to=in_reply_to,
        message_type=message_type,
        channel_data=channel_data or {},
    )
    if ticket.last_customer_message_at is None or sent_at > ticket.last_customer_message_at:
        ticket.last_customer_message_at = sent_at  # a late, older message never moves it back
    ticket.save()
    events.comment_added(comment=comment, attachments=0)  # its files are attached after it is made
    if redactions:
        redaction_recorded(comment=comment, count=redactions)
    _announce_comment(comment)
    realtime.ticket_changed_on_commit(ticket)
    notify_change(
        TicketChange(
            ticket=ticket,
            actor=None,
            update_type="create" if created else "change",
            changes=changes,
            comment=comment,
            source=via,
        )
    )
    return comment


def _subject_from(text: str) -> str:
    line = " ".join((text or "").split())
    if not line:
        return "New conversation"
    return line if len(line) <= 80 else line[:77].rstrip() + "..."


@transaction.atomic
def system_note_add(*, ticket: Ticket, body: str, data: dict | None = None, note: str | None = None) -> Comment:
    """An internal note written by the product itself (e.g. "the customer's media could not be downloaded").

    With `note` (a code registered through `hooks.register_system_note_wording`), the page words it from `data` in the
    reader's language; `body` is what the API and search see."""
    channel_data = {**(data or {}), "note": note} if note else data or {}
    comment = Comment.objects.create(
        ticket=ticket, author_role=AuthorRole.SYSTEM, body=body, public=False, via=ticket.via, channel_data=channel_data
    )
    events.comment_added(comment=comment)
    _announce_comment(comment)
    return comment


@transaction.atomic
def group_create(*, name: str, members: Iterable = ()) -> Group:
    if Group.objects.filter(name__iexact=name.strip()).exists():
        raise DomainError(_("A group with this name already exists."), field="name")
    group = Group.objects.create(name=name.strip())
    group.members.set(list(members))
    return group
