"""Which language a notification's recipient reads: the requester's (their contact language) or the agent's own
(profile language). Used to write the texts SupportDesk ships (`tickets.shipped_texts`) in that language; any other
text is sent as the rule says, and costs no query here."""

from django.conf import settings
from django.contrib.auth import get_user_model

from macros.actions.model import CURRENT_USER, PlanBuilder
from tickets import languages, profiles, shipped_texts


def recipient_language(builder: PlanBuilder, recipient: str) -> str:
    """The language of `recipient` as the plan stands when the action runs (an assignee set by an earlier action of
    the same rule counts)."""
    if recipient in ("requester_id", "requester_and_ccs"):
        return languages.contact_language(builder.ticket.requester)
    if recipient == "all_agents":
        return settings.LANGUAGE_CODE  # many readers: the account's language
    if recipient == "assignee_id":
        user = builder.changes.get("assignee", builder.ticket.assignee)
    elif recipient == CURRENT_USER:
        user = builder.current_user
    else:
        user = get_user_model().objects.filter(pk=int(recipient)).first()
    return profiles.language_of(user)


def localized_texts(builder: PlanBuilder, recipient: str, *texts: str) -> list[str]:
    """`texts` in the recipient's language where they are shipped texts; unchanged (and no query) otherwise."""
    if not any(shipped_texts.is_shipped(text) for text in texts):
        return list(texts)
    language = recipient_language(builder, recipient)
    return [shipped_texts.localized(text, language) for text in texts]
