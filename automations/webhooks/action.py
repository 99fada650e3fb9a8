"""Zendesk's `notification_webhook` action: `[webhook_id, body]`, for triggers and automations.

The body's placeholders are filled in when the rule fires, escaped for the webhook's format (`bodies`), and the
call is queued for the worker (`delivery.invocations_queue`, from `automations.firing`). An inactive webhook is not
called, as in Zendesk. Registered with the shared action implementation in `AutomationsConfig.ready()`.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.webhooks import bodies
from automations.webhooks.models import RequestFormat, Webhook
from automations.webhooks.services import ACTION_FIELD
from macros.actions.fields import register_action
from macros.actions.model import ActionError, ActionHandler, PlanBuilder

MAX_ID = 2**63 - 1


def _clean(value: Any, kind: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ActionError(_("%(value)s is not [webhook id, body].") % {"value": repr(value)})
    webhook_id, body = value
    if isinstance(webhook_id, str) and webhook_id.strip().isascii() and webhook_id.strip().isdigit():
        webhook_id = int(webhook_id.strip())
    if isinstance(webhook_id, bool) or not isinstance(webhook_id, int) or not 0 < webhook_id <= MAX_ID:
        raise ActionError(_("%(value)s is not a webhook id.") % {"value": repr(webhook_id)})
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise ActionError(_("the body must be a text."))
    return [str(webhook_id), body]


def _check(value: list[Any]) -> None:
    webhook = Webhook.objects.filter(pk=int(value[0])).first()
    if webhook is None:
        raise ActionError(_("webhook %(id)s does not exist.") % {"id": value[0]})
    try:
        bodies.check(value[1], request_format=webhook.request_format, sends_parameters=webhook.sends_parameters)
    except bodies.BodyInvalid as error:
        raise ActionError(str(error)) from None


def _plan(builder: PlanBuilder, value: list[Any]) -> None:
    webhook = Webhook.objects.filter(pk=int(value[0])).first()
    if webhook is None:
        raise ActionError(_("webhook %(id)s does not exist.") % {"id": value[0]})
    if not webhook.is_active:
        return
    escape_as = bodies.XML if webhook.request_format == RequestFormat.XML and not webhook.sends_parameters else "json"
    builder.webhooks.append((webhook.pk, bodies.render(value[1], builder.values, escape_as=escape_as)))


def register() -> None:
    register_action(
        ActionHandler(
            ACTION_FIELD,
            _clean,
            _plan,
            check=_check,
            texts=lambda v: [v[1]] if isinstance(v, list | tuple) and len(v) == 2 and isinstance(v[1], str) else [],
            kinds=("trigger", "automation", None),
            refused=gettext_lazy("notification_webhook is for triggers and automations."),
        )
    )
