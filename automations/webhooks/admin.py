"""Django admin for webhooks: definitions (secrets accepted, never shown), a "Send test" action, the delivery log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automations.webhooks import delivery, selectors, services
from automations.webhooks.api import TEST_BODIES
from automations.webhooks.models import AuthType, RequestFormat, Webhook, WebhookAttempt, WebhookInvocation

EDITABLE = ["name", "description", "endpoint", "http_method", "request_format", "status", "auth_type", "auth_name"]


class WebhookForm(forms.ModelForm):
    """The password, token or key can be replaced but is never shown: the field starts empty, empty keeps it."""

    endpoint = forms.URLField(label=gettext_lazy("endpoint"), max_length=2000, assume_scheme="https")
    auth_secret = forms.CharField(
        label=gettext_lazy("Password, token or key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Write-only. Leave empty to keep the current one."),
    )

    class Meta:
        model = Webhook
        fields = [*EDITABLE, "auth_secret"]
        help_texts = {
            "auth_name": gettext_lazy("Basic authentication: the user name. API key: the header that carries it."),
        }

    def clean(self):
        data = super().clean()
        if set(EDITABLE) - set(data):
            return data
        instance = self.instance if self.instance.pk else None
        secret_known = bool(data.get("auth_secret")) or (
            instance is not None and data["auth_type"] == instance.auth_type and bool(instance.auth_secret)
        )
        problems = services.definition_problems(
            {field: data.get(field) or "" for field in EDITABLE}, secret_known=secret_known
        )
        for field, errors in problems.items():
            target = "auth_type" if field == "authentication" else field
            if field == "authentication" and data["auth_type"] != AuthType.NONE and not secret_known:
                target = "auth_secret"
            self.add_error(target if target in self.fields else None, ValidationError(errors))
        return data


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("name", "endpoint", "http_method", "request_format", "status", "auth_type", "updated_at")
    list_filter = ("status", "http_method", "request_format")
    search_fields = ("name", "endpoint", "description")
    readonly_fields = ("recent_deliveries", "created_by", "created_at", "updated_at")
    actions = ("send_test",)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = [*EDITABLE, "auth_secret"]
        return [*fields, "recent_deliveries", "created_by", "created_at", "updated_at"] if obj else fields

    @admin.display(description=gettext_lazy("Recent deliveries"))
    def recent_deliveries(self, webhook: Webhook) -> str:
        invocations = selectors.invocations_recent(webhook)
        if not invocations:
            return _("None yet.")
        rows = []
        for invocation in invocations:
            attempts = list(invocation.attempts.all())
            last = attempts[-1] if attempts else None
            rows.append(
                (
                    f"{invocation.created_at:%Y-%m-%d %H:%M:%S}",
                    invocation.get_source_display(),
                    invocation.get_state_display(),
                    len(attempts),
                    last.status_code if last and last.status_code is not None else "-",
                    f"{last.latency_ms} ms" if last else "-",
                    (last.error or last.response_excerpt[:120]) if last else "",
                )
            )
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("Time"),
            _("Source"),
            _("State"),
            _("Attempts"),
            _("Status code"),
            _("Latency"),
            _("Response or error"),
        )
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        )
        return format_html("<table>{}{}</table>", header, body)

    def save_model(self, request: HttpRequest, obj: Webhook, form, change: bool) -> None:
        data = {field: form.cleaned_data.get(field) or "" for field in EDITABLE}
        secret = form.cleaned_data.get("auth_secret") or None
        if change:
            saved = services.webhook_update(
                webhook=Webhook.objects.get(pk=obj.pk), actor=request.user, auth_secret=secret, **data
            )
        else:
            saved = services.webhook_create(actor=request.user, auth_secret=secret, **data)
        obj.pk = saved.pk
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        """A webhook a rule calls cannot be deleted (the rule would fail): change the rule first."""
        if obj is not None and services.rules_using(obj.pk):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Webhook) -> None:
        services.webhook_delete(webhook=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for webhook in queryset:
            if users := services.rules_using(webhook.pk):
                message = _("%(webhook)s is used by %(rules)s: not deleted.")
                self.message_user(request, message % {"webhook": webhook, "rules": ", ".join(users)}, messages.ERROR)
            else:
                services.webhook_delete(webhook=webhook, actor=request.user)

    @admin.action(description=gettext_lazy("Send test"), permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: QuerySet) -> None:
        """One request to each selected webhook now, logged with its deliveries."""
        for webhook in queryset.order_by("id"):
            body = "[]" if webhook.sends_parameters else TEST_BODIES[RequestFormat(webhook.request_format)]
            _invocation, outcome = delivery.test_send(webhook=webhook, body=body)
            if outcome.ok:
                text = _("%(webhook)s answered %(status)s in %(ms)s ms.")
                self.message_user(
                    request, text % {"webhook": webhook, "status": outcome.status_code, "ms": outcome.latency_ms}
                )
            else:
                reason = outcome.error or _("status %(status)s") % {"status": outcome.status_code}
                text = _("%(webhook)s failed: %(reason)s")
                self.message_user(request, text % {"webhook": webhook, "reason": reason}, messages.ERROR)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "status_code", "latency_ms", "error", "response_excerpt", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookInvocation)
class WebhookInvocationAdmin(admin.ModelAdmin):
    """The delivery log: every call of every webhook and its attempts (read only: the worker writes it)."""

    list_display = ("created_at", "webhook", "ticket_id", "source", "rule_title", "state", "attempt_count")
    list_filter = ("state", "source", "webhook")
    list_select_related = ("webhook",)
    search_fields = ("ticket__id", "rule_title", "webhook__name")
    fields = ("webhook", "ticket", "source", "rule_id", "rule_title", "state", "body", "created_at", "finished_at")
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    ordering = ("-created_at", "-id")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(attempt_total=Count("attempts"))

    @admin.display(description=gettext_lazy("Attempts"), ordering="attempt_total")
    def attempt_count(self, invocation: WebhookInvocation) -> int:
        return invocation.attempt_total

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
