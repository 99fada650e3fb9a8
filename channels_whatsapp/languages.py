"""The language an agent reads: what the channel writes for one agent (a failure's title and detail, stored and sent
live) is rendered in it, whatever the worker's or the customer's language."""

from django.conf import settings

from tickets import delivery
from tickets.models import Comment


def agent_language(user) -> str:
    """The agent's profile language, else the site's default."""
    profile = getattr(user, "profile", None) if user is not None else None
    return getattr(profile, "language", "") or settings.LANGUAGE_CODE


def failure_language(comment: Comment) -> str:
    """The language of the agent told about this message's failure (its author, or the ticket's assignee)."""
    return agent_language(delivery.failure_recipient(comment))
