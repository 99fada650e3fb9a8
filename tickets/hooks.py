"""Extension points of the core. Channel and rule apps register here in `AppConfig.ready()`.

The core never imports those apps: it calls what was registered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random

    from django.contrib.auth.models import AbstractBaseUser

    from tickets.models import Comment, Ticket
    from tickets.seeding import CoreDemo


@dataclass(frozen=True)
class TicketChange:
    """What one create or update did, handed to change listeners (the trigger engine) inside the transaction."""

    ticket: "Ticket"
    actor: "AbstractBaseUser | None"
    update_type: str  # "create" or "change"
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    comment: "Comment | None" = None
    source: str = "web"  # web, api, whatsapp, macro, trigger, automation


OutboundHandler = Callable[..., None]  # handler(comment) or handler(comment, plan)
ChangeListener = Callable[[TicketChange], None]

_outbound_handlers: dict[str, OutboundHandler] = {}
_change_listeners: list[ChangeListener] = []


def register_outbound_handler(via: str, handler: OutboundHandler) -> None:
    """A public reply on a ticket whose `via` is `via` is handed to `handler` (inside the transaction).

    `handler(comment, plan)` gets the `plan` its channel's reply preparer returned for this reply, so the channel
    decides once per reply; `handler(comment)` when there was none.
    """
    _outbound_handlers[via] = handler


def outbound_handler_for(via: str) -> OutboundHandler | None:
    return _outbound_handlers.get(via)


def register_change_listener(listener: ChangeListener) -> None:
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def notify_change(change: TicketChange) -> None:
    for listener in list(_change_listeners):
        listener(change)


ChannelInfo = Callable[["Ticket"], dict | None]
_channel_info: dict[str, ChannelInfo] = {}


def register_channel_info(via: str, provider: ChannelInfo) -> None:
    """`provider(ticket)` describes the ticket's channel state (e.g. the WhatsApp window) for API and pages."""
    _channel_info[via] = provider


def channel_info(ticket: "Ticket") -> dict | None:
    provider = _channel_info.get(ticket.via)
    return provider(ticket) if provider else None


_ticket_related: list[str] = []


def register_ticket_related(name: str) -> None:
    """A channel's one-to-one row on Ticket, fetched with every ticket list in the same query."""
    if name not in _ticket_related:
        _ticket_related.append(name)


def ticket_related() -> list[str]:
    return list(_ticket_related)


@dataclass(frozen=True)
class PreparedReply:
    """What a channel made of a public reply's text before it is stored (e.g. a template shorthand)."""

    body: str
    template: dict | None = None
    plan: Any = None  # what the channel decided for this reply (e.g. its conversation), handed to its outbound handler


ReplyPreparer = Callable[["Ticket", str], PreparedReply | None]
_reply_preparers: dict[str, ReplyPreparer] = {}


def register_reply_preparer(via: str, preparer: ReplyPreparer) -> None:
    """`preparer(ticket, body)` may turn a public reply's text into something else, or raise DomainError (a 400)."""
    _reply_preparers[via] = preparer


def prepare_reply(ticket: "Ticket", body: str) -> PreparedReply | None:
    preparer = _reply_preparers.get(ticket.via)
    return preparer(ticket, body) if preparer else None


ContactPanelContext = Callable[[Any, "AbstractBaseUser"], dict]
_contact_panels: list[tuple[str, ContactPanelContext]] = []


def register_contact_panel(template_name: str, context: ContactPanelContext) -> None:
    """A channel's panel on the contact page: `template_name` rendered with `context(contact, user)`."""
    if all(name != template_name for name, _ in _contact_panels):
        _contact_panels.append((template_name, context))


def contact_panels(contact, user) -> list[tuple[str, dict]]:
    """Every registered panel of the contact page, in registration order, as (template name, context)."""
    return [(name, context(contact, user)) for name, context in list(_contact_panels)]


ContactMergeListener = Callable[[Any, Any], None]
_contact_merge_listeners: list[ContactMergeListener] = []


def register_contact_merge_listener(listener: ContactMergeListener) -> None:
    """`listener(source, target)` runs inside `contacts.contact_merge`, before `source` is deleted: a channel app moves
    its own rows that point at the duplicate contact to the one that stays."""
    if listener not in _contact_merge_listeners:
        _contact_merge_listeners.append(listener)


def contact_merge_listeners() -> list[ContactMergeListener]:
    return list(_contact_merge_listeners)


Seeder = Callable[["CoreDemo", "random.Random"], str | None]
_seeders: list[tuple[str, Seeder]] = []


def register_seeder(name: str, seeder: Seeder) -> None:
    """Another app's demo data: `seeder(core, rng)` runs after the core is seeded (`manage.py seed_demo`, with the
    same random generator) and may return a summary line."""
    if all(existing != name for existing, _ in _seeders):
        _seeders.append((name, seeder))


def registered_seeders() -> list[tuple[str, Seeder]]:
    return list(_seeders)


# --- Failed messages: their plain words and the channel's next steps -----------------------------------------------


@dataclass(frozen=True)
class FailureWords:
    """A channel's plain words for why a message was not delivered: `reason(code, title, detail)` for the pages
    (the failed bubble), `for_browser()` the same table as JSON for the banners' script, so both say the same."""

    reason: Callable[[str, str, str], str]
    for_browser: Callable[[], dict]


_failure_words: list[FailureWords] = []


def register_failure_words(words: FailureWords) -> None:
    _failure_words[:] = [words]


def failure_reason(code: str, title: str, detail: str) -> str:
    """The plain words for a failure; without a registered channel, its title and detail as they are."""
    if _failure_words:
        return _failure_words[0].reason(code, title, detail)
    return ": ".join(part for part in (title, detail) if part) or code


def failure_words_for_browser() -> dict:
    return _failure_words[0].for_browser() if _failure_words else {}


FailedMessageActions = Callable[["Ticket", "Comment"], dict | None]
_failed_message_actions: dict[str, tuple[str, FailedMessageActions]] = {}


def register_failed_message_actions(via: str, template_name: str, context: FailedMessageActions) -> None:
    """What an agent can do about a failed message on a `via` ticket: `template_name` rendered under the failed
    bubble with `context(ticket, comment)` (None: nothing to offer)."""
    _failed_message_actions[via] = (template_name, context)


def failed_message_actions(ticket: "Ticket", comment: "Comment") -> tuple[str, dict] | None:
    registered = _failed_message_actions.get(ticket.via)
    if registered is None:
        return None
    template_name, context = registered
    found = context(ticket, comment)
    return (template_name, found) if found is not None else None


# A system note written from data (`services.system_note_add(note=...)`) is worded when it is shown, in the reader's
# language; its stored body (the English wording at the time) stays for the API, search and older pages.
SystemNoteWording = Callable[[dict], str | None]
_system_note_wordings: dict[str, SystemNoteWording] = {}


def register_system_note_wording(note: str, wording: SystemNoteWording) -> None:
    _system_note_wordings[note] = wording


def system_note_text(note: str, data: dict) -> str | None:
    """The note's words now (None: no wording registered for it, or it has none for this data)."""
    wording = _system_note_wordings.get(note)
    return wording(data) if wording is not None else None
