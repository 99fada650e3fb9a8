"""The catalogue of action fields: how each one's value is checked (without and with the database) and planned.

Every built-in field registers its `ActionHandler` here; rule apps may add their own with `register_action` in
`AppConfig.ready()` (e.g. `automations.operations`: `notification_group`).
"""

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from macros.actions import recipients
from macros.actions.model import CURRENT_USER, ActionError, ActionHandler, Kind, PlanBuilder
from tickets.errors import DomainError
from tickets.models import Group, TicketPriority, TicketStatus, TicketType
from tickets.tags import normalize_tags

MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer would overflow the database driver instead of matching nothing
NOTIFICATION_RECIPIENTS = ("requester_id", "assignee_id", CURRENT_USER, "requester_and_ccs", "all_agents")
MACRO_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD, TicketStatus.SOLVED)
CURRENT_GROUPS = "current_groups"
_HTML_LINE_RE = re.compile(r"<br\s*/?>|</div\s*>|</li\s*>", re.IGNORECASE)
_HTML_PARAGRAPH_RE = re.compile(r"</p\s*>", re.IGNORECASE)
_BLANK_LINES_RE = re.compile(r"\n{3,}")

_handlers: dict[str, ActionHandler] = {}


def register_action(handler: ActionHandler) -> None:
    """Add (or replace) the handler of one action field; rule apps may add their own in `AppConfig.ready()`."""
    _handlers[handler.field] = handler


def action_fields(kind: Kind = None) -> list[str]:
    return [name for name, handler in _handlers.items() if kind in handler.kinds]


def handler_for(name: str) -> ActionHandler | None:
    handler = _handlers.get(name)
    if handler is None and name.startswith("custom_fields_"):
        from macros.actions.custom_field_actions import handler_for_custom_field

        handler = handler_for_custom_field(name)  # an admin-defined ticket field
    return handler


# Value helpers -----------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ActionError(_("%(value)s is not a text.") % {"value": repr(value)})
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ActionError(_("%(value)s is not true or false.") % {"value": repr(value)})


def _identifier(value: Any) -> int | None:
    """An id (a number or a string of digits); "" and null mean none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ActionError(_("%(value)s is not an id.") % {"value": repr(value)})
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    raise ActionError(_("%(value)s is not an id.") % {"value": repr(value)})


def _choice(name: str, choices: Sequence[str], *, blank: bool) -> Callable[[Any, Kind], Any]:
    def clean(value: Any, kind: Kind) -> str | None:
        if blank and (value is None or value == ""):
            return None  # Zendesk: an empty priority or type clears it
        if not isinstance(value, str) or value.strip().lower() not in choices:
            allowed = ", ".join(choices)
            if blank:
                allowed = _("%(choices)s, or empty to clear it") % {"choices": allowed}
            params = {"value": repr(value), "field": name, "allowed": allowed}
            raise ActionError(_("%(value)s is not a valid %(field)s (%(allowed)s).") % params)
        return value.strip().lower()

    return clean


def _clean_status(value: Any, kind: Kind) -> str:
    allowed: list[str] = [s.value for s in MACRO_STATUSES]
    if kind in ("trigger", "automation", None):
        allowed.append(TicketStatus.CLOSED.value)  # Zendesk: rules may close tickets, agents' macros may not
    if kind == "trigger":
        allowed.insert(0, TicketStatus.NEW.value)  # Zendesk: a trigger may keep a new ticket new
    return _choice("status", allowed, blank=False)(value, kind)


def _tags(value: Any, *, allow_empty: bool) -> str:
    """A space-separated string or a list of tags -> Zendesk's canonical "a b" (normalised, no duplicates)."""
    if isinstance(value, str):
        words = value.split()
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        words = [word for item in value for word in item.split()]
    else:
        raise ActionError(
            _("%(value)s is not a list of tags (a text with tags separated by spaces, or a list).")
            % {"value": repr(value)}
        )
    try:
        tags = normalize_tags(words)
    except DomainError as error:
        raise ActionError(error.message) from error
    if not tags and not allow_empty:
        raise ActionError(_("give at least one tag."))
    return " ".join(tags)


def _comment_text(value: Any) -> str:
    """Zendesk writes a comment as text or as `["channel:all", "text"]`; either way, the text."""
    if isinstance(value, list):
        if len(value) != 2 or not all(isinstance(item, str) for item in value) or not value[0].startswith("channel:"):
            raise ActionError(_('%(value)s is neither a text nor ["channel:all", "text"].') % {"value": repr(value)})
        return value[1]
    if not isinstance(value, str):
        raise ActionError(_('%(value)s is not a text or ["channel:all", "text"].') % {"value": repr(value)})
    return value


def _clean_comment(value: Any, kind: Kind) -> Any:
    if not _comment_text(value).strip():
        raise ActionError(_("the comment text is empty."))
    return value


def _html_to_text(value: str) -> str:
    text = _HTML_PARAGRAPH_RE.sub("\n\n", _HTML_LINE_RE.sub("\n", value))
    text = html.unescape(strip_tags(text))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _clean_comment_html(value: Any, kind: Kind) -> str:
    if not _html_to_text(_text(value)):
        raise ActionError(_("the comment text is empty."))
    return value


def _clean_subject(value: Any, kind: Kind) -> str:
    text = _text(value).strip()
    if not text:
        raise ActionError(_("the subject is empty."))
    if len(text) > 255:
        raise ActionError(_("the subject is longer than 255 characters."))
    return text


def _clean_assignee(value: Any, kind: Kind) -> int | str | None:
    if isinstance(value, str) and value.strip() == CURRENT_USER:
        return CURRENT_USER
    try:
        return _identifier(value)
    except ActionError:
        raise ActionError(
            _('%(value)s is not a user id, "current_user", or empty to unassign.') % {"value": repr(value)}
        ) from None


def _clean_group(value: Any, kind: Kind) -> int | str | None:
    if isinstance(value, str) and value.strip() == CURRENT_GROUPS:
        return CURRENT_GROUPS
    try:
        return _identifier(value)
    except ActionError:
        raise ActionError(
            _('%(value)s is not a group id, "current_groups", or empty to remove the group.') % {"value": repr(value)}
        ) from None


def _clean_notification(value: Any, kind: Kind) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ActionError(_("%(value)s is not [recipient, subject, body].") % {"value": repr(value)})
    recipient, subject, body = value
    if isinstance(recipient, str) and recipient.strip() in NOTIFICATION_RECIPIENTS:
        recipient = recipient.strip()
    else:
        try:
            user_id = _identifier(recipient)
        except ActionError:
            user_id = None
        if user_id is None:
            raise ActionError(
                _(
                    "the recipient %(recipient)s is not requester_id, requester_and_ccs, assignee_id, current_user, "
                    "all_agents or a user id."
                )
                % {"recipient": repr(recipient)}
            )
        recipient = str(user_id)
    if not isinstance(subject, str) or not isinstance(body, str):
        raise ActionError(_("the subject and the body must be texts."))
    if not body.strip():
        raise ActionError(_("the notification's body is empty."))
    return [recipient, subject, body]


# Database checks at save time -------------------------------------------------------------------------------


def _active_user(user_id: int):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ActionError(_("user %(id)s does not exist.") % {"id": user_id})
    if not user.is_active:
        raise ActionError(_("user %(id)s is not an active agent.") % {"id": user_id})
    return user


def _group(group_id: int) -> Group:
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise ActionError(_("group %(id)s does not exist.") % {"id": group_id})
    return group


def _check_assignee(value: Any) -> None:
    if isinstance(value, int):
        _active_user(value)


def _check_group(value: Any) -> None:
    if isinstance(value, int):
        _group(value)


def _check_notification(value: list[str]) -> None:
    if value[0].isdigit():
        _active_user(int(value[0]))


# Planning ----------------------------------------------------------------------------------------------------


def _plan_status(builder: PlanBuilder, value: str) -> None:
    if value == TicketStatus.NEW and builder.ticket.status != TicketStatus.NEW:
        return  # Zendesk: "new" only keeps a new ticket new; a ticket never goes back to new
    builder.changes["status"] = value


def _plan_field(name: str) -> Callable[[PlanBuilder, Any], None]:
    def plan_value(builder: PlanBuilder, value: Any) -> None:
        builder.changes[name] = value

    return plan_value


def _plan_subject(builder: PlanBuilder, value: str) -> None:
    subject = " ".join(builder.render(value).split())
    if not subject:
        raise ActionError(_("the subject is empty once its placeholders are filled in."))
    builder.changes["subject"] = subject[:255]


def _plan_group(builder: PlanBuilder, value: int | str | None) -> None:
    if value == CURRENT_GROUPS:
        group = current_group(builder)
        if group is not None:
            builder.changes["group"] = group
        return
    builder.changes["group"] = _group(value) if value is not None else None


def current_group(builder: PlanBuilder) -> Group | None:
    """Zendesk's "(current groups)": the ticket's group when the current user is in it, else their first group;
    None (nothing to set) when nobody is making the update or they are in no group."""
    user = builder.current_user
    if user is None or not getattr(user, "pk", None):
        return None
    groups = Group.objects.filter(members=user).order_by("name", "pk")
    ticket_group = builder.changes.get("group", builder.ticket.group)
    if ticket_group is not None and groups.filter(pk=ticket_group.pk).exists():
        return ticket_group
    return groups.first()


def _plan_assignee(builder: PlanBuilder, value: int | str | None) -> None:
    if value == CURRENT_USER:
        if builder.current_user is None:
            return  # no one is updating the ticket (e.g. a customer's message fired the trigger): nothing to set
        builder.changes["assignee"] = builder.current_user
    elif value is None:
        builder.changes["assignee"] = None
    else:
        builder.changes["assignee"] = _active_user(value)


def _plan_set_tags(builder: PlanBuilder, value: str) -> None:
    builder.tags.set_to(value.split())


def _plan_add_tags(builder: PlanBuilder, value: str) -> None:
    builder.tags.add_tags(value.split())


def _plan_remove_tags(builder: PlanBuilder, value: str) -> None:
    builder.tags.remove_tags(value.split())


def _plan_comment(builder: PlanBuilder, value: Any) -> None:
    builder.texts.append(builder.render(_comment_text(value)))


def _plan_comment_html(builder: PlanBuilder, value: str) -> None:
    builder.texts.append(builder.render(_html_to_text(value)))


def _plan_mode(builder: PlanBuilder, value: bool) -> None:
    builder.public = value


def _plan_notification(builder: PlanBuilder, value: list[str]) -> None:
    recipient, subject, body = value
    subject, body = recipients.localized_texts(builder, recipient, subject, body)  # shipped texts: their language
    for_agents = recipient not in ("requester_id", "requester_and_ccs")  # customers never see internal notes
    builder.notifications.append(
        (recipient, builder.render(subject, for_agents=for_agents), builder.render(body, for_agents=for_agents))
    )


def _comment_texts(value: Any) -> list[str]:
    try:
        return [_comment_text(value)]
    except ActionError:
        return []


for _handler in (
    ActionHandler("status", _clean_status, _plan_status),
    ActionHandler("priority", _choice("priority", TicketPriority.values, blank=True), _plan_field("priority")),
    ActionHandler("type", _choice("type", TicketType.values, blank=True), _plan_field("type")),
    ActionHandler("group_id", _clean_group, _plan_group, check=_check_group),
    ActionHandler("assignee_id", _clean_assignee, _plan_assignee, check=_check_assignee),
    ActionHandler("set_tags", lambda v, k: _tags(v, allow_empty=True), _plan_set_tags),
    ActionHandler("current_tags", lambda v, k: _tags(v, allow_empty=False), _plan_add_tags),
    ActionHandler("remove_tags", lambda v, k: _tags(v, allow_empty=False), _plan_remove_tags),
    ActionHandler("subject", _clean_subject, _plan_subject, texts=lambda v: [v] if isinstance(v, str) else []),
    ActionHandler("comment_value", _clean_comment, _plan_comment, texts=_comment_texts),
    ActionHandler(
        "comment_value_html", _clean_comment_html, _plan_comment_html, texts=lambda v: [v] if isinstance(v, str) else []
    ),
    ActionHandler("comment_mode_is_public", lambda v, k: _boolean(v), _plan_mode),
    ActionHandler(
        "notification_user",
        _clean_notification,
        _plan_notification,
        check=_check_notification,
        texts=lambda v: [t for t in v[1:] if isinstance(t, str)] if isinstance(v, list | tuple) else [],
        kinds=("trigger", "automation", None),
        refused=gettext_lazy(
            "notification_user is for triggers and automations; a macro can reply with comment_value."
        ),
    ),
):
    register_action(_handler)
