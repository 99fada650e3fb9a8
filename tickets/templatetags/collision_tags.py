"""The ticket page's collision guard: which message the agent has on screen."""

from django import template

register = template.Library()


@register.filter
def newest_comment_id(comments) -> int | str:
    """The id of the newest message on the page ("" when there is none). Iterating the page's own comment list: an
    evaluated queryset answers from its cache, an unevaluated one is evaluated once and then reused by the page."""
    newest = ""
    for comment in comments or ():
        if newest == "" or comment.pk > newest:
            newest = comment.pk
    return newest
