"""The one implementation of Zendesk actions (`{"field": ..., "value": ...}`), shared by macros, triggers and automations.

Three steps, each usable on its own:

* `validate_actions(actions, kind=...)` when a definition is saved: every action's shape and value, the ids it names,
  its placeholders and template shorthand. Returns the actions normalised; raises `DomainError` with one message per
  bad action, e.g. ``{"actions": ["Action 2: unknown field 'statuz'."]}``.
* `plan(actions, ticket=..., current_user=...)` when it runs: what the actions would do to this ticket, as the
  arguments of `tickets.services.ticket_update` (`ActionPlan.changes`, `ActionPlan.comment`) plus the notifications
  the rules engine sends (`ActionPlan.notifications`). Writes nothing: it reads the ticket and the user, resolves ids
  to rows and fills placeholders by explicit substitution (never the template engine).
* `apply(plan, ticket=..., actor=..., source=...)`: one `ticket_update`, i.e. one audited submit.

Nothing here knows the Macro model; the caller says what kind of definition it is (`kind`), which decides a few
rules, as in Zendesk: only triggers and automations notify (`notification_user`); only macros may hold WhatsApp
template shorthand; only automations may close a ticket.
"""

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.html import strip_tags

from macros import placeholders, shorthand
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Contact, Group, Ticket, TicketPriority, TicketStatus, TicketType, Via
from tickets.services import NewComment

Kind = Literal["macro", "trigger", "automation"] | None

MAX_ACTIONS = 100
MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer would overflow the database driver instead of matching nothing
CURRENT_USER = "current_user"
NOTIFICATION_RECIPIENTS = ("requester_id", "assignee_id", CURRENT_USER)
MACRO_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD, TicketStatus.SOLVED)
_HTML_LINE_RE = re.compile(r"<br\s*/?>|</div\s*>|</li\s*>", re.IGNORECASE)
_HTML_PARAGRAPH_RE = re.compile(r"</p\s*>", re.IGNORECASE)
_BLANK_LINES_RE = re.compile(r"\n{3,}")


class ActionError(ValueError):
    """One action is wrong; `validate_actions` and `plan` prefix the message with the action's number and field."""


# --- What a plan is ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """A `notification_user` action, filled in: who gets it and the rendered texts. The rules engine sends it.

    `user` is an agent (assignee, current user or a user id); `contact` is the requester (an end user, who on a
    WhatsApp ticket is written to on WhatsApp).
    """

    recipient: str  # as written in the action: requester_id, assignee_id, current_user or a user id
    subject: str
    body: str
    user: Any = None
    contact: Contact | None = None


@dataclass(frozen=True)
class ActionPlan:
    changes: dict[str, Any] = field(default_factory=dict)  # keyword `changes` of tickets.services.ticket_update
    comment: NewComment | None = None
    notifications: tuple[Notification, ...] = ()
    # The comment's mode when an action sets it, even without text (a macro can switch the composer to a note).
    comment_public: bool | None = None

    @property
    def is_empty(self) -> bool:
        return not self.changes and self.comment is None and not self.notifications


# --- Handlers ----------------------------------------------------------------------------------------------


@dataclass
class _Builder:
    """The plan being built, action by action; later actions win, as when Zendesk applies them in order."""

    ticket: Ticket
    current_user: Any
    values: dict[str, str]
    changes: dict[str, Any] = field(default_factory=dict)
    tags_set: list[str] | None = None
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    public: bool | None = None
    notifications: list[tuple[str, str, str]] = field(default_factory=list)

    def render(self, text: str) -> str:
        if shorthand.contains(text):
            return placeholders.render_in_shorthand(text, self.values)
        return placeholders.render(text, self.values)

    def add_tags(self, tags: list[str]) -> None:
        for tag in tags:
            if self.tags_set is not None:
                if tag not in self.tags_set:
                    self.tags_set.append(tag)
            elif tag not in self.tags_add:
                self.tags_add.append(tag)
            if tag in self.tags_remove:
                self.tags_remove.remove(tag)

    def remove_tags(self, tags: list[str]) -> None:
        for tag in tags:
            if self.tags_set is not None:
                if tag in self.tags_set:
                    self.tags_set.remove(tag)
            else:
                if tag in self.tags_add:
                    self.tags_add.remove(tag)
                if tag not in self.tags_remove:
                    self.tags_remove.append(tag)


@dataclass(frozen=True)
class ActionHandler:
    """How one action field is checked and planned.

    `clean(value, kind)` checks the shape without the database and returns the normalised value (raise ActionError);
    `check(value)` checks what needs the database at save time (ids that must exist); `texts(value)` lists the texts
    whose placeholders and shorthand are checked; `plan(builder, value)` adds the action to the plan.
    """

    field: str
    clean: Callable[[Any, Kind], Any]
    plan: Callable[[_Builder, Any], None]
    check: Callable[[Any], None] | None = None
    texts: Callable[[Any], list[str]] = lambda value: []
    kinds: tuple[str | None, ...] = ("macro", "trigger", "automation", None)
    refused: str = ""  # why the other kinds may not use it


_handlers: dict[str, ActionHandler] = {}


def register_action(handler: ActionHandler) -> None:
    """Add (or replace) the handler of one action field; rule apps may add their own in `AppConfig.ready()`."""
    _handlers[handler.field] = handler


def action_fields(kind: Kind = None) -> list[str]:
    return [name for name, handler in _handlers.items() if kind in handler.kinds]


# Value helpers -----------------------------------------------------------------------------------------------


def _text(value: Any, what: str = "a text") -> str:
    if not isinstance(value, str):
        raise ActionError(f"{value!r} is not {what}.")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ActionError(f"{value!r} is not true or false.")


def _identifier(value: Any) -> int | None:
    """An id (a number or a string of digits); "" and null mean none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ActionError(f"{value!r} is not an id.")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    raise ActionError(f"{value!r} is not an id.")


def _choice(name: str, choices: Sequence[str], *, blank: bool) -> Callable[[Any, Kind], Any]:
    def clean(value: Any, kind: Kind) -> str | None:
        if blank and (value is None or value == ""):
            return None  # Zendesk: an empty priority or type clears it
        if not isinstance(value, str) or value.strip().lower() not in choices:
            allowed = ", ".join(choices) + (", or empty to clear it" if blank else "")
            raise ActionError(f"{value!r} is not a valid {name} ({allowed}).")
        return value.strip().lower()

    return clean


def _clean_status(value: Any, kind: Kind) -> str:
    allowed: list[str] = [s.value for s in MACRO_STATUSES]
    if kind in ("automation", None):
        allowed.append(TicketStatus.CLOSED.value)  # Zendesk: only automations close tickets
    return _choice("status", allowed, blank=False)(value, kind)


def _tags(value: Any, *, allow_empty: bool) -> str:
    """A space-separated string or a list of tags -> Zendesk's canonical "a b" (normalised, no duplicates)."""
    if isinstance(value, str):
        words = value.split()
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        words = [word for item in value for word in item.split()]
    else:
        raise ActionError(f"{value!r} is not a list of tags (a text with tags separated by spaces, or a list).")
    try:
        tags = ticket_services.normalize_tags(words)
    except DomainError as error:
        raise ActionError(error.message) from error
    if not tags and not allow_empty:
        raise ActionError("give at least one tag.")
    return " ".join(tags)


def _comment_text(value: Any) -> str:
    """Zendesk writes a comment as text or as `["channel:all", "text"]`; either way, the text."""
    if isinstance(value, list):
        if len(value) != 2 or not all(isinstance(item, str) for item in value) or not value[0].startswith("channel:"):
            raise ActionError(f'{value!r} is neither a text nor ["channel:all", "text"].')
        return value[1]
    return _text(value, 'a text or ["channel:all", "text"]')


def _clean_comment(value: Any, kind: Kind) -> Any:
    if not _comment_text(value).strip():
        raise ActionError("the comment text is empty.")
    return value


def _html_to_text(value: str) -> str:
    text = _HTML_PARAGRAPH_RE.sub("\n\n", _HTML_LINE_RE.sub("\n", value))
    text = html.unescape(strip_tags(text))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _clean_comment_html(value: Any, kind: Kind) -> str:
    if not _html_to_text(_text(value)):
        raise ActionError("the comment text is empty.")
    return value


def _clean_subject(value: Any, kind: Kind) -> str:
    text = _text(value).strip()
    if not text:
        raise ActionError("the subject is empty.")
    if len(text) > 255:
        raise ActionError("the subject is longer than 255 characters.")
    return text


def _clean_assignee(value: Any, kind: Kind) -> int | str | None:
    if isinstance(value, str) and value.strip() == CURRENT_USER:
        return CURRENT_USER
    try:
        return _identifier(value)
    except ActionError:
        raise ActionError(f'{value!r} is not a user id, "current_user", or empty to unassign.') from None


def _clean_group(value: Any, kind: Kind) -> int | None:
    try:
        return _identifier(value)
    except ActionError:
        raise ActionError(f"{value!r} is not a group id, or empty to remove the group.") from None


def _clean_notification(value: Any, kind: Kind) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ActionError(f"{value!r} is not [recipient, subject, body].")
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
                f"the recipient {recipient!r} is not requester_id, assignee_id, current_user or a user id."
            )
        recipient = str(user_id)
    if not isinstance(subject, str) or not isinstance(body, str):
        raise ActionError("the subject and the body must be texts.")
    if not body.strip():
        raise ActionError("the notification's body is empty.")
    return [recipient, subject, body]


# Database checks at save time -------------------------------------------------------------------------------


def _active_user(user_id: int):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ActionError(f"user {user_id} does not exist.")
    if not user.is_active:
        raise ActionError(f"user {user_id} is not an active agent.")
    return user


def _group(group_id: int) -> Group:
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        raise ActionError(f"group {group_id} does not exist.")
    return group


def _check_assignee(value: Any) -> None:
    if isinstance(value, int):
        _active_user(value)


def _check_group(value: Any) -> None:
    if value is not None:
        _group(value)


def _check_notification(value: list[str]) -> None:
    if value[0].isdigit():
        _active_user(int(value[0]))


# Planning ----------------------------------------------------------------------------------------------------


def _plan_field(name: str) -> Callable[[_Builder, Any], None]:
    def plan_value(builder: _Builder, value: Any) -> None:
        builder.changes[name] = value

    return plan_value


def _plan_subject(builder: _Builder, value: str) -> None:
    subject = " ".join(builder.render(value).split())
    if not subject:
        raise ActionError("the subject is empty once its placeholders are filled in.")
    builder.changes["subject"] = subject[:255]


def _plan_group(builder: _Builder, value: int | None) -> None:
    builder.changes["group"] = _group(value) if value is not None else None


def _plan_assignee(builder: _Builder, value: int | str | None) -> None:
    if value == CURRENT_USER:
        if builder.current_user is None:
            return  # no one is updating the ticket (e.g. a customer's message fired the trigger): nothing to set
        builder.changes["assignee"] = builder.current_user
    elif value is None:
        builder.changes["assignee"] = None
    else:
        builder.changes["assignee"] = _active_user(value)


def _plan_set_tags(builder: _Builder, value: str) -> None:
    builder.tags_set = value.split()
    builder.tags_add, builder.tags_remove = [], []


def _plan_add_tags(builder: _Builder, value: str) -> None:
    builder.add_tags(value.split())


def _plan_remove_tags(builder: _Builder, value: str) -> None:
    builder.remove_tags(value.split())


def _plan_comment(builder: _Builder, value: Any) -> None:
    builder.texts.append(builder.render(_comment_text(value)))


def _plan_comment_html(builder: _Builder, value: str) -> None:
    builder.texts.append(builder.render(_html_to_text(value)))


def _plan_mode(builder: _Builder, value: bool) -> None:
    builder.public = value


def _plan_notification(builder: _Builder, value: list[str]) -> None:
    recipient, subject, body = value
    builder.notifications.append((recipient, builder.render(subject), builder.render(body)))


def _comment_texts(value: Any) -> list[str]:
    try:
        return [_comment_text(value)]
    except ActionError:
        return []


for _handler in (
    ActionHandler("status", _clean_status, _plan_field("status")),
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
        refused="notification_user is for triggers and automations; a macro can reply with comment_value.",
    ),
):
    register_action(_handler)


# --- The three steps ---------------------------------------------------------------------------------------


def _label(index: int, name: str | None = None) -> str:
    return f"Action {index}" + (f" ({name})" if name else "")


def _placeholder_problems(text: str) -> list[str]:
    problems = []
    for name in placeholders.unknown(text):
        shown = name if name.startswith("{{") else "{{" + name + "}}"
        problems.append(f"unknown placeholder {shown}.")
    return problems


def _shorthand_problems(text: str, kind: Kind) -> list[str]:
    if not shorthand.contains(text):
        return []
    if kind != "macro":
        return ["triggers and automations may not send WhatsApp template messages (template shorthand &((...))&)."]
    try:
        shorthand.parse(text)
    except shorthand.ShorthandError as error:
        return [f"malformed template shorthand: {error.message}"]
    return []


def _clean_one(index: int, action: Any, kind: Kind) -> tuple[ActionHandler, Any]:
    """The handler and the normalised value of one action, or ActionError with the full message."""
    if not isinstance(action, dict):
        raise ActionError(f'{_label(index)}: {action!r} is not an object {{"field": ..., "value": ...}}.')
    name = action.get("field")
    if not isinstance(name, str) or not name:
        raise ActionError(f'{_label(index)}: "field" is missing.')
    handler = _handlers.get(name)
    if handler is None:
        raise ActionError(f"{_label(index)}: unknown field {name!r}.")
    if kind not in handler.kinds:
        raise ActionError(f"{_label(index, name)}: {handler.refused or f'not available in {kind}s.'}")
    if "value" not in action:
        raise ActionError(f'{_label(index, name)}: "value" is missing.')
    extra = set(action) - {"field", "value"}
    if extra:
        raise ActionError(f"{_label(index, name)}: unexpected key(s) {', '.join(sorted(map(str, extra)))}.")
    try:
        return handler, handler.clean(action["value"], kind)
    except ActionError as error:
        raise ActionError(f"{_label(index, name)}: {error}") from None


def validate_actions(actions: Any, *, kind: Kind = None, check_ids: bool = True) -> list[dict[str, Any]]:
    """Check a definition's actions and return them normalised (`[{"field", "value"}, ...]`).

    `kind` is "macro", "trigger" or "automation" (None: a trigger or an automation, no stricter rule). Every problem
    is reported, one message per bad action naming its number (from 1), field and value; placeholders must be known
    (`{{ticket.id}}`...) and template shorthand is parsed (macros) or refused (triggers, automations).
    `check_ids=False` skips the database checks (ids that must exist).
    """
    if not isinstance(actions, list):
        raise DomainError("Actions must be a list of {field, value} objects.", field="actions")
    if len(actions) > MAX_ACTIONS:
        raise DomainError(f"At most {MAX_ACTIONS} actions.", field="actions")
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for index, action in enumerate(actions, start=1):
        try:
            handler, value = _clean_one(index, action, kind)
            if check_ids and handler.check is not None:
                handler.check(value)
        except ActionError as error:
            message = str(error)
            if not message.startswith("Action "):
                message = f"{_label(index, action['field'])}: {message}"
            errors.append(message)
            continue
        for text in handler.texts(value):
            for problem in [*_placeholder_problems(text), *_shorthand_problems(text, kind)]:
                errors.append(f"{_label(index, handler.field)}: {problem}")
        cleaned.append({"field": handler.field, "value": value})
    if errors:
        raise DomainError(errors[0], errors={"actions": errors})
    return cleaned


def plan(
    actions: Sequence[dict[str, Any]],
    *,
    ticket: Ticket,
    current_user=None,
    kind: Kind = None,
    site_url: str | None = None,
) -> ActionPlan:
    """What `actions` would do to `ticket` when `current_user` runs them (None for the product itself).

    Writes nothing. Resolves ids to rows (a user or group deleted since the definition was saved is a DomainError),
    fills placeholders by explicit substitution (`macros.placeholders`) and combines the actions in order.
    """
    values = placeholders.values_for(
        ticket=ticket, current_user=current_user, site_url=settings.SITE_URL if site_url is None else site_url
    )
    builder = _Builder(ticket=ticket, current_user=current_user, values=values)
    errors: list[str] = []
    for index, action in enumerate(actions, start=1):
        try:
            handler, value = _clean_one(index, action, kind)
            handler.plan(builder, value)
        except ActionError as error:
            message = str(error)
            errors.append(message if message.startswith("Action ") else f"{_label(index, action['field'])}: {message}")
    if errors:
        raise DomainError(errors[0], errors={"actions": errors})

    changes = dict(builder.changes)
    if builder.tags_set is not None:
        changes["tags"] = list(builder.tags_set)
    else:
        if builder.tags_add:
            changes["add_tags"] = list(builder.tags_add)
        if builder.tags_remove:
            changes["remove_tags"] = list(builder.tags_remove)
    body = "\n\n".join(text.strip() for text in builder.texts if text.strip())
    public = True if builder.public is None else builder.public
    comment = NewComment(body=body, public=public) if body else None
    return ActionPlan(
        changes=changes,
        comment=comment,
        notifications=tuple(_notifications(builder, changes)),
        comment_public=builder.public,
    )


def _notifications(builder: _Builder, changes: dict[str, Any]) -> list[Notification]:
    """Recipients are resolved after every action, so `assignee_id` means the assignee the plan leaves."""
    result = []
    for recipient, subject, body in builder.notifications:
        user, contact = None, None
        if recipient == "requester_id":
            contact = builder.ticket.requester
        elif recipient == "assignee_id":
            user = changes.get("assignee", builder.ticket.assignee)
        elif recipient == CURRENT_USER:
            user = builder.current_user
        else:
            user = get_user_model().objects.filter(pk=int(recipient), is_active=True).first()
        if user is None and contact is None:
            continue  # nobody to tell (no assignee, no current user): Zendesk skips it too
        result.append(Notification(recipient=recipient, subject=subject, body=body, user=user, contact=contact))
    return result


def apply(
    action_plan: ActionPlan,
    *,
    ticket: Ticket,
    actor=None,
    source: str,
    via: str | None = None,
    run_listeners: bool = True,
) -> Ticket:
    """Carry out a plan's ticket changes and comment in one `ticket_update` (one audited submit).

    Notifications are not sent here: they belong to the rules engine. `via` is the comment's channel (default:
    "api" when `source` is "api", else "web"); `run_listeners=False` keeps a rule's own update from re-running the
    rules.
    """
    return ticket_services.ticket_update(
        ticket=ticket,
        actor=actor,
        changes=action_plan.changes,
        comment=action_plan.comment,
        source=source,
        via=via or (Via.API if source == "api" else Via.WEB),
        run_listeners=run_listeners,
    )
