"""`/api/webhooks/`: webhooks in Zendesk's JSON, for admins only (agents 403, no token 401).

Requests may be Zendesk's own: wrapped (``{"webhook": {...}}``) or not; ``authentication`` is
``{"type": "basic_auth"|"bearer_token"|"api_key", "data": {...}, "add_position": "header"}``; keys of Zendesk's
responses that mean nothing here (``id``, ``created_at``, ``created_by``, ``signing_secret``...) are ignored. The
secrets in ``authentication.data`` (``password``, ``token``, ``value``) are write-only: never in a response. PUT
changes only the keys sent, like PATCH. Every problem of a definition is named in one 400.

Extra calls, as Zendesk: ``GET .../signing_secret/`` shows the signing secret, ``POST .../signing_secret/`` makes a
new one, ``POST .../test/`` sends one request now and shows the answer.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from automations.webhooks import delivery, selectors, services, signing
from automations.webhooks.models import AuthType, RequestFormat, Webhook, WebhookStatus
from tickets.permissions import IsAdmin

MAX_ID = 2**63 - 1
SUBSCRIPTION = "conditional_ticket_events"  # Zendesk's name for "called by triggers and automations"
PLAIN_FIELDS = ("name", "description", "endpoint", "http_method", "request_format", "status")
IGNORED = frozenset(
    {"id", "url", "created_at", "created_by", "updated_at", "updated_by", "signing_secret", "external_source"}
)
SECRET_KEYS = {AuthType.BASIC_AUTH: "password", AuthType.BEARER_TOKEN: "token", AuthType.API_KEY: "value"}
NAME_KEYS = {AuthType.BASIC_AUTH: "username", AuthType.API_KEY: "name"}
TEST_BODIES = {
    RequestFormat.JSON: '{"test": "SupportDesk webhook test"}',
    RequestFormat.XML: "<test>SupportDesk webhook test</test>",
}


class AuthenticationSerializer(serializers.Serializer):
    # A text, not an enum: another enum of fields named "type" would rename the tickets' TypeEnum in the schema.
    type = serializers.CharField(help_text="none, basic_auth, bearer_token, api_key")
    add_position = serializers.CharField(default="header", help_text=gettext_lazy('Always "header".'))
    data = serializers.DictField(
        help_text=gettext_lazy(
            "basic_auth: {username, password}; bearer_token: {token}; api_key: {name, value}. "
            "Responses show the user name or header name only; secrets are write-only."
        )
    )


class WebhookSerializer(serializers.ModelSerializer):
    authentication = serializers.SerializerMethodField()
    subscriptions = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = [
            "id",
            "name",
            "description",
            "endpoint",
            "http_method",
            "request_format",
            "status",
            "authentication",
            "subscriptions",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AuthenticationSerializer)
    def get_authentication(self, webhook: Webhook) -> dict[str, Any]:
        """The kind and the non-secret part only: never a password, token or key."""
        data = {NAME_KEYS[webhook.auth_type]: webhook.auth_name} if webhook.auth_type in NAME_KEYS else {}
        return {"type": webhook.auth_type, "add_position": "header", "data": data}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_subscriptions(self, webhook: Webhook) -> list[str]:
        return [SUBSCRIPTION]


class WebhookInputSerializer(serializers.Serializer):
    """Documentation of a request; requests are read by `WebhookViewSet._fields` and checked by the services."""

    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    endpoint = serializers.URLField()
    http_method = serializers.ChoiceField(choices=["GET", "POST", "PUT", "PATCH", "DELETE"])
    request_format = serializers.ChoiceField(choices=RequestFormat.choices)
    status = serializers.ChoiceField(choices=WebhookStatus.choices, required=False)
    authentication = AuthenticationSerializer(required=False, allow_null=True)
    subscriptions = serializers.ListField(child=serializers.CharField(), required=False)


def _text(value: Any, field: str, errors: dict[str, list[str]]) -> Any:
    if value is None or (isinstance(value, str) and "\x00" not in value):
        return value
    if isinstance(value, str):
        errors.setdefault(field, []).append(_("Null characters are not allowed."))
        return None
    errors.setdefault(field, []).append(_("%(value)s is not a text.") % {"value": repr(value)})
    return None


def _authentication(value: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Zendesk's authentication object -> auth_type, auth_name, auth_secret (None: keep the stored secret)."""
    if value is None:
        return {"auth_type": AuthType.NONE, "auth_name": "", "auth_secret": None}
    if not isinstance(value, dict):
        errors.setdefault("authentication", []).append(_("Send an object {type, data} or null."))
        return {}
    kind = value.get("type")
    if kind not in AuthType.values:
        allowed = ", ".join(AuthType.values)
        errors.setdefault("authentication", []).append(
            _("%(value)s is not a valid %(field)s (%(allowed)s).")
            % {"value": repr(kind), "field": "authentication type", "allowed": allowed}
        )
        return {}
    if value.get("add_position", "header") not in ("header", None):
        errors.setdefault("authentication", []).append(_('add_position can only be "header".'))
    data = value.get("data") or {}
    if not isinstance(data, dict):
        errors.setdefault("authentication", []).append(_("data must be an object."))
        return {}
    name = data.get(NAME_KEYS[kind]) if kind in NAME_KEYS else ""
    secret = data.get(SECRET_KEYS[kind]) if kind in SECRET_KEYS else None
    for key, item in ((NAME_KEYS.get(kind), name), (SECRET_KEYS.get(kind), secret)):
        if item is not None and (not isinstance(item, str) or "\x00" in item):
            errors.setdefault("authentication", []).append(_("%(key)s must be a text.") % {"key": f"data.{key}"})
            return {}
    fields = {"auth_type": kind, "auth_secret": secret or None}
    if name is not None:  # left out: the stored user name or header name is kept (a new webhook has none)
        fields["auth_name"] = name.strip()
    return fields


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List webhooks"),
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, description=gettext_lazy("active or inactive"))],
    ),
    retrieve=extend_schema(summary=gettext_lazy("Show a webhook")),
    create=extend_schema(
        summary=gettext_lazy("Create a webhook"),
        description=gettext_lazy("Zendesk's JSON; 400 names every problem."),
        request=WebhookInputSerializer,
        responses={201: WebhookSerializer},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Update a webhook"),
        description=gettext_lazy("Changes only the keys sent; a secret left out is kept."),
        request=WebhookInputSerializer,
    ),
    update=extend_schema(
        summary=gettext_lazy("Update a webhook (PUT, as Zendesk)"),
        description=gettext_lazy("Same as PATCH: changes only the keys sent."),
        request=WebhookInputSerializer,
    ),
    destroy=extend_schema(
        summary=gettext_lazy("Delete a webhook"),
        description=gettext_lazy("Refused (400) while a trigger or automation calls it."),
    ),
)
class WebhookViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAdmin]
    serializer_class = WebhookSerializer
    queryset = Webhook.objects.none()  # for the schema generator
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet:
        return selectors.webhooks(status=self.request.query_params.get("status") or None)

    def get_object(self) -> Webhook:
        webhook_id = int(self.kwargs[self.lookup_field])
        webhook = selectors.webhook_get(webhook_id) if webhook_id <= MAX_ID else None
        if webhook is None:
            raise NotFound(_("No such webhook."))
        return webhook

    def _fields(self, request: Request, *, partial: bool) -> dict[str, Any]:
        """Zendesk's request shape -> the services' keyword arguments; ValidationError lists every problem."""
        data = request.data
        if isinstance(data, dict) and isinstance(data.get("webhook"), dict):
            data = data["webhook"]
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        errors: dict[str, list[str]] = {}
        fields: dict[str, Any] = {}
        for key in PLAIN_FIELDS:
            if key in data:
                fields[key] = _text(data[key], key, errors)
        if isinstance(fields.get("http_method"), str):
            fields["http_method"] = fields["http_method"].strip().upper()
        if isinstance(fields.get("request_format"), str):
            fields["request_format"] = fields["request_format"].strip().lower()
        if "description" in fields and fields["description"] is None:
            fields["description"] = ""
        if "authentication" in data:
            fields.update(_authentication(data["authentication"], errors))
        subscriptions = data.get("subscriptions")
        if subscriptions not in (None, [], [SUBSCRIPTION]):
            errors.setdefault("subscriptions", []).append(
                _("Only %(name)s is supported: webhooks here are called by triggers and automations.")
                % {"name": SUBSCRIPTION}
            )
        if data.get("custom_headers"):
            errors.setdefault("custom_headers", []).append(_("Custom headers are not supported."))
        unknown = set(data) - {*PLAIN_FIELDS, "authentication", "subscriptions", "custom_headers", *IGNORED}
        if unknown:
            errors.setdefault("non_field_errors", []).append(
                _("Unknown key(s): %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))}
            )
        if not partial:
            for key in ("name", "endpoint", "http_method", "request_format"):
                if key not in data:
                    errors.setdefault(key, []).append(_("This field is required."))
        if errors:
            raise ValidationError({**self._service_problems(fields, partial=partial), **errors})
        return fields

    def _service_problems(self, fields: dict[str, Any], *, partial: bool) -> dict[str, list[str]]:
        """What the services would also refuse, so one 400 names every problem."""
        base = {
            "name": "",
            "description": "",
            "endpoint": "",
            "http_method": "POST",
            "request_format": "json",
            "status": "active",
            "auth_type": AuthType.NONE,
            "auth_name": "",
        }
        secret_known = bool(fields.get("auth_secret"))
        if partial:
            webhook = self.get_object()
            base.update({key: getattr(webhook, key) for key in services.FIELDS})
            secret_known = secret_known or (fields.get("auth_type", webhook.auth_type) == webhook.auth_type)
        merged = {**base, **{k: v for k, v in fields.items() if k in services.FIELDS and v is not None}}
        return services.definition_problems(merged, secret_known=secret_known)

    def create(self, request: Request, *args, **kwargs) -> Response:
        fields = self._fields(request, partial=False)
        webhook = services.webhook_create(actor=request.user, **fields)
        return Response(self.get_serializer(webhook).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        webhook = self.get_object()
        fields = self._fields(request, partial=True)
        secret = fields.pop("auth_secret", None)
        webhook = services.webhook_update(webhook=webhook, actor=request.user, auth_secret=secret, **fields)
        return Response(self.get_serializer(webhook).data)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.webhook_delete(webhook=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("Show the signing secret"),
        request=None,
        responses=inline_serializer(
            "WebhookSigningSecret",
            {
                "signing_secret": inline_serializer(
                    "WebhookSigningSecretValue",
                    {"algorithm": serializers.CharField(), "secret": serializers.CharField()},
                )
            },
        ),
    )
    @extend_schema(methods=["POST"], summary=gettext_lazy("Make a new signing secret"), request=None)
    @action(detail=True, methods=["get", "post"], url_path="signing_secret")
    def signing_secret(self, request: Request, pk=None) -> Response:
        webhook = self.get_object()
        if request.method == "POST":
            webhook = services.signing_secret_reset(webhook=webhook, actor=request.user)
        return Response({"signing_secret": {"algorithm": signing.ALGORITHM, "secret": webhook.signing_secret}})

    @extend_schema(
        summary=gettext_lazy("Send a test request"),
        description=gettext_lazy(
            "One request now (even to an inactive webhook), logged with the others. Optional body: "
            '{"request": {"payload": "..."}}; placeholders are not filled in.'
        ),
        request=None,
        responses=inline_serializer(
            "WebhookTestResult",
            {
                "response": inline_serializer(
                    "WebhookTestResponse",
                    {
                        "status": serializers.IntegerField(allow_null=True),
                        "body": serializers.CharField(),
                        "latency_ms": serializers.IntegerField(),
                        "error": serializers.CharField(),
                    },
                )
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk=None) -> Response:
        webhook = self.get_object()
        payload = request.data.get("request") if isinstance(request.data, dict) else None
        body = payload.get("payload") if isinstance(payload, dict) else None
        if body is not None and not isinstance(body, str):
            raise ValidationError({"request": [_("payload must be a text.")]})
        if body is None:
            body = "[]" if webhook.sends_parameters else TEST_BODIES[RequestFormat(webhook.request_format)]
        _invocation, outcome = delivery.test_send(webhook=webhook, body=body)
        if outcome.refused:
            raise ValidationError(
                {"endpoint": [_("This address may not be called (%(reason)s).") % {"reason": outcome.error}]}
            )
        return Response(
            {
                "response": {
                    "status": outcome.status_code,
                    "body": outcome.response_excerpt,
                    "latency_ms": outcome.latency_ms,
                    "error": outcome.error,
                }
            }
        )
