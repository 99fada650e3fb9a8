"""What an action plan is: the types the action steps share (`macros.actions`, the one implementation of Zendesk
actions for macros, triggers and automations).

An action's field has an `ActionHandler` (registered in `macros.actions.fields`); planning runs each handler on a
`PlanBuilder`, which `macros.actions.plan` turns into an `ActionPlan`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from macros import placeholders, shorthand
from tickets.models import Contact, Ticket
from tickets.services import NewComment
from tickets.tags import TagOps

Kind = Literal["macro", "trigger", "automation"] | None

CURRENT_USER = "current_user"


class ActionError(ValueError):
    """One action is wrong; `validate_actions` and `plan` prefix the message with the action's number and field."""


class PlacedActionError(ActionError):
    """An `ActionError` whose message already names the action's number and field."""


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
    cc: bool = False  # a CC of the requester: always by e-mail, even on a WhatsApp ticket


@dataclass(frozen=True)
class ActionPlan:
    changes: dict[str, Any] = field(default_factory=dict)  # keyword `changes` of tickets.services.ticket_update
    comment: NewComment | None = None
    notifications: tuple[Notification, ...] = ()
    # The comment's mode when an action sets it, even without text (a macro can switch the composer to a note).
    comment_public: bool | None = None
    # (webhook id, rendered body) of each `notification_webhook` action; the rules engine queues the calls.
    webhooks: tuple[tuple[int, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.changes and self.comment is None and not self.notifications and not self.webhooks


# --- Building a plan ---------------------------------------------------------------------------------------


@dataclass
class PlanBuilder:
    """The plan being built, action by action; later actions win, as when Zendesk applies them in order."""

    ticket: Ticket
    current_user: Any
    values: Mapping[str, str]  # for texts customers may read (no internal notes)
    changes: dict[str, Any] = field(default_factory=dict)
    tags: TagOps = field(default_factory=TagOps)
    texts: list[str] = field(default_factory=list)
    public: bool | None = None
    notifications: list[tuple[str, str, str]] = field(default_factory=list)
    webhooks: list[tuple[int, str]] = field(default_factory=list)
    agent_values: Mapping[str, str] | None = None  # for texts only agents read; None: the same as `values`

    def render(self, text: str, *, for_agents: bool = False) -> str:
        values = self.agent_values if for_agents and self.agent_values is not None else self.values
        if shorthand.contains(text):
            return placeholders.render_in_shorthand(text, values)
        return placeholders.render(text, values)


@dataclass(frozen=True)
class ActionHandler:
    """How one action field is checked and planned.

    `clean(value, kind)` checks the shape without the database and returns the normalised value (raise ActionError);
    `check(value)` checks what needs the database at save time (ids that must exist); `texts(value)` lists the texts
    whose placeholders and shorthand are checked; `plan(builder, value)` adds the action to the plan.
    """

    field: str
    clean: Callable[[Any, Kind], Any]
    plan: Callable[[PlanBuilder, Any], None]
    check: Callable[[Any], None] | None = None
    texts: Callable[[Any], list[str]] = lambda value: []
    kinds: tuple[str | None, ...] = ("macro", "trigger", "automation", None)
    refused: str = ""  # why the other kinds may not use it
