"""Agent collision, on submit: a public reply is held back when someone else answered the customer after the newest
message the agent had on screen (Zendesk's collision warning). The agent sees that reply and submits again with
"Submit anyway", which confirms everything up to it.

What counts: public replies by another agent, and automatic replies of triggers and automations. Internal notes do
not hold a reply back (they never reach the customer; the composer's live notice shows them), nor do customer
messages, nor the agent's own replies from another tab. Only a public reply is ever held back.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from tickets.models import AuthorRole, Comment, Ticket

EXCERPT_CHARS = 140


@dataclass(frozen=True)
class Collision:
    comment_id: int  # the newest reply the agent has not seen: "Submit anyway" confirms up to it
    author_name: str  # empty for an automatic reply
    automatic: bool  # sent by a trigger or an automation
    created_at: datetime
    excerpt: str
    more: int  # further unseen replies before it


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "\u2026"


def reply_collision(
    *, ticket: Ticket, actor, public_reply: bool, seen_comment_id: int | None, confirmed_comment_id: int | None
) -> Collision | None:
    """The reply the agent would talk over, or None. Without `seen_comment_id` (an API client, an old page) there
    is nothing to compare with: no check."""
    if not public_reply or seen_comment_id is None:
        return None
    seen = max(seen_comment_id, confirmed_comment_id or 0)
    unseen = list(
        Comment.objects.filter(ticket=ticket, pk__gt=seen, public=True)
        .filter(Q(author_role=AuthorRole.AGENT) & ~Q(author_user=actor) | Q(author_role=AuthorRole.SYSTEM))
        .select_related("author_user")
        .order_by("-id")
    )
    if not unseen:
        return None
    newest = unseen[0]
    automatic = newest.author_role == AuthorRole.SYSTEM
    return Collision(
        comment_id=newest.pk,
        author_name="" if automatic else newest.author_name,
        automatic=automatic,
        created_at=newest.created_at,
        excerpt=_excerpt(newest.body),
        more=len(unseen) - 1,
    )
