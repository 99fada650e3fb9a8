"""Webhook definitions: create, change, delete, reset the signing secret. Admins only, as in Zendesk.

Every problem of a definition is reported at once (`DomainError.errors`, by field). A secret given as None keeps
the stored one, so a form or an API client that never saw it does not erase it.
"""

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from automations.models import Automation, Trigger
from automations.webhooks import guard
from automations.webhooks.models import (
    AuthType,
    HttpMethod,
    RequestFormat,
    Webhook,
    WebhookStatus,
    new_signing_secret,
)
from tickets.errors import DomainError
from tickets.permissions import is_admin
from tickets.sentinels import UNSET

ACTION_FIELD = "notification_webhook"
HEADER_NAME_CHARACTERS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
FIELDS = ("name", "description", "endpoint", "http_method", "request_format", "status", "auth_type", "auth_name")


def _check_admin(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only admins may change webhooks."))


def endpoint_problems(endpoint: Any) -> list[str]:
    if not isinstance(endpoint, str) or not endpoint.strip():
        return [_("Give the endpoint's URL.")]
    if len(endpoint) > 2000:
        return [_("The URL is longer than 2000 characters.")]
    try:
        parts = urlsplit(endpoint.strip())
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        return [_("This is not a valid URL.")]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [_("The URL must start with https:// or http:// and name a host.")]
    if parts.username is not None or parts.password is not None:
        return [_("Put credentials in the authentication, not in the URL.")]
    if reason := guard.literal_refusal(endpoint.strip()):
        return [_("This address may not be called (%(reason)s).") % {"reason": reason}]
    return []


def _choice_problem(value: Any, choices: type, label: str) -> list[str]:
    if value not in choices.values:
        return [
            _("%(value)s is not a valid %(field)s (%(allowed)s).")
            % {"value": repr(value), "field": label, "allowed": ", ".join(choices.values)}
        ]
    return []


def _auth_problems(data: dict[str, Any], secret_known: bool) -> list[str]:
    kind, name = data["auth_type"], data["auth_name"]
    if kind == AuthType.NONE:
        return []
    problems = []
    if kind in (AuthType.BASIC_AUTH, AuthType.API_KEY) and not name:
        problems.append(
            _("Give the user name.") if kind == AuthType.BASIC_AUTH else _("Give the API key's header name.")
        )
    if len(name) > 255:
        problems.append(_("The name is longer than 255 characters."))
    if kind == AuthType.API_KEY and name and not set(name) <= HEADER_NAME_CHARACTERS:
        problems.append(_("%(name)s is not a valid header name.") % {"name": repr(name)})
    if not secret_known:
        problems.append(
            {
                AuthType.BASIC_AUTH: _("Give the password."),
                AuthType.BEARER_TOKEN: _("Give the token."),
                AuthType.API_KEY: _("Give the API key's value."),
            }[kind]
        )
    return problems


def definition_problems(data: dict[str, Any], *, secret_known: bool) -> dict[str, list[str]]:
    """Every problem of a definition, by field (empty: none). Writes nothing."""
    errors: dict[str, list[str]] = {}
    name = data["name"].strip() if isinstance(data["name"], str) else ""
    if not name:
        errors["name"] = [_("Give the webhook a name.")]
    elif len(name) > 255:
        errors["name"] = [_("The name is longer than 255 characters.")]
    for field, problems in (
        ("endpoint", endpoint_problems(data["endpoint"])),
        ("http_method", _choice_problem(data["http_method"], HttpMethod, "http_method")),
        ("request_format", _choice_problem(data["request_format"], RequestFormat, "request_format")),
        ("status", _choice_problem(data["status"], WebhookStatus, "status")),
        ("authentication", _choice_problem(data["auth_type"], AuthType, "authentication type")),
    ):
        if problems:
            errors[field] = problems
    if "authentication" not in errors and (problems := _auth_problems(data, secret_known)):
        errors["authentication"] = problems
    return errors


def _clean(data: dict[str, Any], *, secret_known: bool) -> dict[str, Any]:
    errors = definition_problems(data, secret_known=secret_known)
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, errors=errors)
    return {
        **data,
        "name": data["name"].strip(),
        "endpoint": data["endpoint"].strip(),
        "description": data["description"] or "",
    }


def webhook_create(
    *,
    actor,
    name: str,
    endpoint: str,
    http_method: str = HttpMethod.POST,
    request_format: str = RequestFormat.JSON,
    status: str = WebhookStatus.ACTIVE,
    description: str = "",
    auth_type: str = AuthType.NONE,
    auth_name: str = "",
    auth_secret: str | None = None,
) -> Webhook:
    _check_admin(actor)
    data = _clean(
        {
            "name": name,
            "description": description,
            "endpoint": endpoint,
            "http_method": http_method,
            "request_format": request_format,
            "status": status,
            "auth_type": auth_type,
            "auth_name": auth_name or "",
        },
        secret_known=bool(auth_secret),
    )
    if data["auth_type"] == AuthType.NONE:
        data["auth_name"], auth_secret = "", ""
    return Webhook.objects.create(**data, auth_secret=auth_secret or "", created_by=actor)


def webhook_update(*, webhook: Webhook, actor, auth_secret: str | None = None, **changes: Any) -> Webhook:
    """Change the fields given (`UNSET` or absent: kept). A new authentication type needs its secret again."""
    _check_admin(actor)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown webhook fields: {sorted(unknown)}")
    data = {field: getattr(webhook, field) for field in FIELDS}
    data.update({field: value for field, value in changes.items() if value is not UNSET})
    # A secret belongs to its kind of authentication: switching kinds needs the new one.
    secret_known = bool(auth_secret) or (data["auth_type"] == webhook.auth_type and bool(webhook.auth_secret))
    data = _clean(data, secret_known=secret_known)
    if data["auth_type"] == AuthType.NONE:
        data["auth_name"], auth_secret = "", ""
        webhook.auth_secret = ""
    with transaction.atomic():
        for field, value in data.items():
            setattr(webhook, field, value)
        if auth_secret:
            webhook.auth_secret = auth_secret
        webhook.save()
    return webhook


def rules_using(webhook_id: int) -> list[str]:
    """The triggers and automations whose `notification_webhook` actions call this webhook, by title."""
    names = []
    for model in (Trigger, Automation):
        for title, actions in model.objects.values_list("title", "actions"):
            for action in actions or []:
                if not isinstance(action, dict) or action.get("field") != ACTION_FIELD:
                    continue
                value = action.get("value")
                if isinstance(value, list) and value and str(value[0]) == str(webhook_id):
                    names.append(title)
                    break
    return names


def webhook_delete(*, webhook: Webhook, actor) -> None:
    """Refused while a rule calls it (as in Zendesk): the rule would fail at its next firing."""
    _check_admin(actor)
    if users := rules_using(webhook.pk):
        raise DomainError(
            _("This webhook is used by %(rules)s: change those rules first.") % {"rules": ", ".join(users)}
        )
    webhook.delete()


def signing_secret_reset(*, webhook: Webhook, actor) -> Webhook:
    _check_admin(actor)
    webhook.signing_secret = new_signing_secret()
    webhook.save(update_fields=["signing_secret", "updated_at"])
    return webhook
