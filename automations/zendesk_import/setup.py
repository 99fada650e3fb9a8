"""Groups, agents, ticket fields and webhooks: matched by name (e-mail for agents), created when missing."""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from rest_framework import serializers

from automations.webhooks import services as webhook_services
from automations.webhooks.models import AuthType, Webhook, WebhookStatus
from automations.zendesk_import.mapping import IdMap
from automations.zendesk_import.report import CHANGED, IMPORTED, SKIPPED, UNCHANGED, Report
from tickets import custom_field_definitions
from tickets import services as ticket_services
from tickets.api.ticket_fields import TicketFieldInputSerializer
from tickets.custom_field_models import CustomField, CustomFieldType
from tickets.models import Group

AGENT_ROLES = ("agent", "admin")
FIELD_KEYS = ("description", "active", "required_on_solve", "tag", "regexp_for_validation")
WEBHOOK_KEYS = ("description", "endpoint", "http_method", "request_format")
GROUP_NAME_LENGTH = Group._meta.get_field("name").max_length


def problems_text(errors: Any) -> str:
    """DRF's or a DomainError's errors as one line."""
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {problems_text(value)}" for key, value in errors.items())
    if isinstance(errors, list):
        return "; ".join(problems_text(item) for item in errors)
    return str(errors)


def changes_text(stored: dict[str, Any], wanted: dict[str, Any]) -> str:
    return ", ".join(key for key in wanted if stored.get(key) != wanted[key])


def import_groups(items: list[dict[str, Any]], ids: IdMap, report: Report) -> None:
    kind = _("group")
    for item in items:
        name = str(item.get("name") or "").strip()
        if not name:
            report.add(kind, "?", SKIPPED, _("no name"))
            continue
        if len(name) > GROUP_NAME_LENGTH:
            report.add(
                kind, name, SKIPPED, _("the name is longer than %(limit)s characters") % {"limit": GROUP_NAME_LENGTH}
            )
            continue
        group = Group.objects.filter(name__iexact=name).first()
        if group is None:
            group = ticket_services.group_create(name=name)
            report.add(kind, name, IMPORTED)
        else:
            report.add(kind, name, UNCHANGED)
        ids.groups[str(item.get("id"))] = group.pk


def import_agents(items: list[dict[str, Any]], ids: IdMap, report: Report) -> None:
    """Agents are matched by e-mail, never created: a new login is the administrator's decision."""
    kind = _("agent")
    users = get_user_model().objects
    for item in items:
        if item.get("role") not in AGENT_ROLES:
            continue  # end users become contacts when they write, not here
        email = str(item.get("email") or "").strip()
        user = users.filter(email__iexact=email, is_active=True).first() if email else None
        if user is None:
            ids.unknown_agents[str(item.get("id"))] = email or str(item.get("name") or "?")
            report.add(kind, email or "?", SKIPPED, _("no user with this e-mail; agents are not created"))
            continue
        ids.users[str(item.get("id"))] = user.pk
        report.add(kind, email, UNCHANGED, _("matched by e-mail"))


def _field_values(item: dict[str, Any]) -> dict[str, Any] | str:
    serializer = TicketFieldInputSerializer(data=item)
    if not serializer.is_valid():
        return problems_text(serializer.errors)
    return serializer.to_values()


def import_ticket_fields(items: list[dict[str, Any]], ids: IdMap, report: Report) -> None:
    kind = _("ticket field")
    for item in items:
        title = str(item.get("title") or "?")
        if item.get("type") not in CustomFieldType.values:
            report.add(kind, title, SKIPPED, _("type %(type)s is not a custom field here") % {"type": item.get("type")})
            continue
        values = _field_values(item)
        if isinstance(values, str):
            report.add(kind, title, SKIPPED, values)
            continue
        values.pop("position", None)  # our order is kept: a new field goes last
        field = CustomField.objects.filter(title__iexact=title).prefetch_related("options").first()
        if field is None:
            field = custom_field_definitions.field_create(**values)
            report.add(kind, title, IMPORTED)
        elif field.type != values["type"]:
            report.add(kind, title, SKIPPED, _("a field with this title has another type"))
            continue
        else:
            stored = {key: getattr(field, key) for key in FIELD_KEYS}
            stored["options"] = [{"name": o.name, "value": o.value} for o in field.options.all()]
            wanted = {key: values[key] for key in (*FIELD_KEYS, "options") if key in values}
            changed = changes_text(stored, wanted)
            if changed:
                custom_field_definitions.field_update(field=field, **wanted)
                report.add(kind, title, CHANGED, changed)
            else:
                report.add(kind, title, UNCHANGED)
        ids.fields[str(item.get("id"))] = field.pk


class _WebhookShape(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(allow_blank=True, allow_null=True, required=False)
    endpoint = serializers.CharField()
    http_method = serializers.CharField()
    request_format = serializers.CharField()


def import_webhooks(items: list[dict[str, Any]], ids: IdMap, actor, report: Report) -> None:
    """Zendesk exports no secrets: a new webhook is created inactive and without authentication."""
    kind = _("webhook")
    for item in items:
        shape = _WebhookShape(data=item)
        if not shape.is_valid():
            report.add(kind, str(item.get("name") or "?"), SKIPPED, problems_text(shape.errors))
            continue
        data = dict(shape.validated_data)
        name = data.pop("name").strip()
        data["description"] = data.get("description") or ""
        data["http_method"] = data["http_method"].strip().upper()
        data["request_format"] = data["request_format"].strip().lower()
        problems = webhook_services.definition_problems(
            {**data, "name": name, "status": WebhookStatus.INACTIVE, "auth_type": AuthType.NONE, "auth_name": ""},
            secret_known=False,
        )
        if problems:
            report.add(kind, name, SKIPPED, problems_text(problems))
            continue
        webhook = Webhook.objects.filter(name__iexact=name).first()
        if webhook is None:
            webhook = webhook_services.webhook_create(
                actor=actor, name=name, status=WebhookStatus.INACTIVE, auth_type=AuthType.NONE, **data
            )
            report.add(
                kind,
                name,
                IMPORTED,
                _("inactive, without authentication: Zendesk exports no secrets; set them, then activate it"),
            )
        else:
            changed = changes_text({key: getattr(webhook, key) for key in WEBHOOK_KEYS}, data)
            if changed:
                webhook = webhook_services.webhook_update(webhook=webhook, actor=actor, **data)
                report.add(kind, name, CHANGED, changed)
            else:
                report.add(kind, name, UNCHANGED)
        ids.webhooks[str(item.get("id"))] = webhook.pk
