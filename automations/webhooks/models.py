"""Webhooks as Zendesk has them: admin-defined HTTP endpoints that triggers and automations call with the
`notification_webhook` action, and the log of every call (one invocation, one row per attempt).

Imported by `automations.models`, so the tables belong to the automations app.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

RESPONSE_EXCERPT_LIMIT = 1024


def new_signing_secret() -> str:
    return secrets.token_urlsafe(48)


class HttpMethod(models.TextChoices):
    GET = "GET", "GET"
    POST = "POST", "POST"
    PUT = "PUT", "PUT"
    PATCH = "PATCH", "PATCH"
    DELETE = "DELETE", "DELETE"


class RequestFormat(models.TextChoices):
    JSON = "json", "JSON"
    XML = "xml", "XML"
    FORM_ENCODED = "form_encoded", _("Form encoded")


class WebhookStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class AuthType(models.TextChoices):
    NONE = "none", _("None")
    BASIC_AUTH = "basic_auth", _("Basic authentication")
    BEARER_TOKEN = "bearer_token", _("Bearer token")
    API_KEY = "api_key", _("API key")


class Webhook(models.Model):
    """An endpoint the rules may call. `auth_secret` (password, token or API key value) and `signing_secret` are
    never shown: the API and the admin only accept them (the signing secret has its own admin-only API call)."""

    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    endpoint = models.URLField(_("endpoint"), max_length=2000)
    http_method = models.CharField(_("HTTP method"), max_length=6, choices=HttpMethod, default=HttpMethod.POST)
    request_format = models.CharField(
        _("request format"), max_length=12, choices=RequestFormat, default=RequestFormat.JSON
    )
    status = models.CharField(_("status"), max_length=8, choices=WebhookStatus, default=WebhookStatus.ACTIVE)
    auth_type = models.CharField(_("authentication"), max_length=12, choices=AuthType, default=AuthType.NONE)
    # The basic-auth username or the API key's header name: not secret, shown and returned.
    auth_name = models.CharField(_("user name or header name"), max_length=255, blank=True)
    auth_secret = models.CharField(_("password, token or key"), max_length=2000, blank=True)
    signing_secret = models.CharField(_("signing secret"), max_length=128, default=new_signing_secret)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(http_method__in=HttpMethod.values), name="webhook_http_method"),
            models.CheckConstraint(
                condition=models.Q(request_format__in=RequestFormat.values), name="webhook_request_format"
            ),
            models.CheckConstraint(condition=models.Q(status__in=WebhookStatus.values), name="webhook_status"),
            models.CheckConstraint(condition=models.Q(auth_type__in=AuthType.values), name="webhook_auth_type"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == WebhookStatus.ACTIVE

    @property
    def sends_parameters(self) -> bool:
        """Zendesk: only POST, PUT and PATCH with JSON or XML carry the body as it is written; every other webhook
        takes its body as a list of [name, value] pairs (query parameters, or a form for POST/PUT/PATCH)."""
        return self.request_format == RequestFormat.FORM_ENCODED or self.http_method in (
            HttpMethod.GET,
            HttpMethod.DELETE,
        )


class InvocationSource(models.TextChoices):
    TRIGGER = "trigger", _("Trigger")
    AUTOMATION = "automation", _("Automation")
    TEST = "test", _("Test")


class InvocationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookInvocation(models.Model):
    """One call of a webhook (a rule's action or a test), with the body rendered when the rule fired."""

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="invocations", verbose_name=_("webhook")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ticket"),
    )
    source = models.CharField(_("source"), max_length=10, choices=InvocationSource)
    rule_id = models.PositiveIntegerField(_("rule id"), null=True, blank=True)
    rule_title = models.CharField(_("rule"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=InvocationState, default=InvocationState.QUEUED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["webhook", "-created_at"], name="webhook_invocation_recent")]

    def __str__(self) -> str:
        return f"{self.webhook_id} #{self.pk} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP request of an invocation: what came back (status, latency, the first KB of the body) or why not."""

    invocation = models.ForeignKey(
        WebhookInvocation, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("delivery")
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["invocation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["invocation", "number"], name="webhook_attempt_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invocation_id}/{self.number}"
