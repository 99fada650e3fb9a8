"""The failed bubble: the failure in plain words (the banners' words, from the channel that sent it) and what the
agent can do next (the channel's actions, through `hooks.failed_message_actions`)."""

from django import template
from django.template.loader import render_to_string
from django.utils.html import json_script

from tickets import hooks

register = template.Library()


@register.filter
def failure_reason(comment) -> str:
    return hooks.failure_reason(
        comment.delivery_error_code or "", comment.delivery_error_title or "", comment.delivery_error_detail or ""
    )


@register.simple_tag
def failure_words_json() -> str:
    """The same words as JSON, for the banners' script (static/js/delivery-reasons.js)."""
    return json_script(hooks.failure_words_for_browser(), "delivery-reasons-data")


@register.simple_tag(takes_context=True)
def failed_message_actions(context, ticket, comment) -> str:
    found = hooks.failed_message_actions(ticket, comment)
    if found is None:
        return ""
    template_name, extra = found
    return render_to_string(template_name, extra, request=context.get("request"))
