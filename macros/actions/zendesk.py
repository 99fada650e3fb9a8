"""Zendesk actions added for pasting Zendesk's own rules: `reply_public` / `reply_internal` (a comment, as
"Add public comment" / "Add internal note") and `follower` (add an agent as a follower), plus the actions of
Zendesk products SupportDesk does not have, refused by name with the reason.

Registered when imported (`macros.actions.validate` imports this module).
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from macros.actions.fields import _active_user, _comment_text, _html_to_text, _identifier, register_action
from macros.actions.model import CURRENT_USER, ActionError, ActionHandler, Kind, PlanBuilder

# Zendesk actions of products SupportDesk does not have: a 400 names the feature.
UNSUPPORTED = {
    "ticket_form_id": gettext_lazy("there are no ticket forms"),
    "brand_id": gettext_lazy("there are no brands"),
    "organization_id": gettext_lazy("there are no organizations"),
    "satisfaction_score": gettext_lazy("there are no satisfaction ratings"),
    "side_conversation": gettext_lazy("there are no side conversations"),
    "side_conversation_ticket": gettext_lazy("there are no side conversations"),
    "side_conversation_slack": gettext_lazy("there are no side conversations"),
    "notification_sms_user": gettext_lazy("there is no SMS channel"),
    "notification_sms_group": gettext_lazy("there is no SMS channel"),
    "notification_messaging_csat": gettext_lazy("there are no satisfaction ratings"),
    "notification_target": gettext_lazy("targets are retired in Zendesk; use notification_user"),
    "share_ticket": gettext_lazy("there is no ticket sharing"),
    "set_skills": gettext_lazy("there is no skills-based routing"),
    "add_skills": gettext_lazy("there is no skills-based routing"),
    "schedule_id": gettext_lazy("business hours are not configured"),
    "cc": gettext_lazy("CCs are contacts; set them on the ticket (email_cc_ids)"),
}


def unsupported_reason(name: str) -> str | None:
    reason = UNSUPPORTED.get(name)
    return str(reason) if reason is not None else None


# --- reply_public / reply_internal ---------------------------------------------------------------------------


def _reply_text(value: Any) -> str:
    """Zendesk writes the comment as a text, `["channel:all", text]`, or an object with `body` or `html_body`."""
    if isinstance(value, dict):
        if isinstance(value.get("html_body"), str):
            return _html_to_text(value["html_body"])
        if isinstance(value.get("body"), str):
            return value["body"]
        raise ActionError(_('%(value)s has no "body" or "html_body" text.') % {"value": repr(value)})
    return _comment_text(value)


def _clean_reply(value: Any, kind: Kind) -> Any:
    if not _reply_text(value).strip():
        raise ActionError(_("the comment text is empty."))
    return value


def _reply_texts(value: Any) -> list[str]:
    try:
        return [_reply_text(value)]
    except ActionError:
        return []


def _plan_reply(public: bool):
    def plan(builder: PlanBuilder, value: Any) -> None:
        builder.texts.append(builder.render(_reply_text(value)))
        builder.public = public

    return plan


# --- follower --------------------------------------------------------------------------------------------------


def _clean_follower(value: Any, kind: Kind) -> int | str:
    if isinstance(value, str) and value.strip() == CURRENT_USER:
        if kind == "automation":
            raise ActionError(_("current_user is the agent making an update; automations run without one."))
        return CURRENT_USER
    try:
        user_id = _identifier(value)
    except ActionError:
        user_id = None
    if user_id is None:
        raise ActionError(_('%(value)s is not a user id or "current_user".') % {"value": repr(value)})
    return user_id


def _check_follower(value: Any) -> None:
    if isinstance(value, int):
        _active_user(value)


def _plan_follower(builder: PlanBuilder, value: int | str) -> None:
    user = builder.current_user if value == CURRENT_USER else _active_user(value)
    if user is None:
        return  # nobody is making the update: no one to add, as Zendesk
    followers = builder.changes.setdefault("add_followers", [])
    if all(existing.pk != user.pk for existing in followers):
        followers.append(user)


for _handler in (
    ActionHandler("reply_public", _clean_reply, _plan_reply(True), texts=_reply_texts),
    ActionHandler("reply_internal", _clean_reply, _plan_reply(False), texts=_reply_texts),
    ActionHandler("follower", _clean_follower, _plan_follower, check=_check_follower),
):
    register_action(_handler)
