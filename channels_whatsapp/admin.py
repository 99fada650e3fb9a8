import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from channels_whatsapp import accounts, intake, message_templates, template_sync
from channels_whatsapp.models import (
    AccountChange,
    InboundReceipt,
    MessageTemplate,
    OutboundSend,
    PendingMessageUpdate,
    RefusedEvent,
    StatusReceipt,
    WebhookDelivery,
    WhatsAppAccount,
    WhatsAppConversation,
)


class AccountForm(forms.ModelForm):
    """The token can be replaced but is never shown: the field starts empty and empty means unchanged."""

    access_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current token."),
    )

    class Meta:
        model = WhatsAppAccount
        fields = [
            "name",
            "phone_number_id",
            "waba_id",
            "display_phone_number",
            "access_token",
            "redact_credit_cards",
            "templates_enabled",
            "active",
        ]

    def clean_access_token(self):
        token = self.cleaned_data.get("access_token", "")
        if not token and not (self.instance and self.instance.pk):
            raise forms.ValidationError(gettext("An access token is required for a new account."))
        return token


@admin.register(WhatsAppAccount)
class WhatsAppAccountAdmin(admin.ModelAdmin):
    form = AccountForm
    list_display = [
        "name",
        "display_phone_number",
        "phone_number_id",
        "waba_id",
        "redact_credit_cards",
        "templates_enabled",
        "active",
    ]
    list_filter = ["active", "templates_enabled", "redact_credit_cards"]
    search_fields = ["name", "phone_number_id", "display_phone_number", "waba_id"]
    actions = ["sync_templates"]

    @admin.action(description=_("Sync templates from WhatsApp"), permissions=["change"])
    def sync_templates(self, request, queryset):
        for outcome in template_sync.templates_sync_accounts(accounts=queryset.order_by("id")):
            level = messages.ERROR if outcome.error is not None else messages.SUCCESS
            self.message_user(request, str(outcome), level=level)

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        if change:
            accounts.account_update(account=WhatsAppAccount.objects.get(pk=obj.pk), actor=request.user, **data)
        else:
            obj.pk = accounts.account_create(actor=request.user, **data).pk


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "received_at", "state", "attempts", "processed_at", "notes_count"]
    list_filter = ["state"]
    date_hierarchy = "received_at"
    readonly_fields = ["received_at", "state", "attempts", "processed_at", "error", "notes_pretty", "payload_pretty"]
    exclude = ["payload", "notes"]
    show_full_result_count = False
    actions = ["reprocess"]

    @admin.display(description=_("notes"))
    def notes_count(self, obj):
        return len(obj.notes or [])

    @admin.display(description=_("notes"))
    def notes_pretty(self, obj):
        return format_html("<pre>{}</pre>", "\n".join(obj.notes or []))

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_reprocess_permission(self, request):
        return request.user.is_staff

    @admin.action(description=_("Process again (idempotent)"), permissions=["reprocess"])
    def reprocess(self, request, queryset):
        for delivery_id in queryset.values_list("pk", flat=True):
            WebhookDelivery.objects.filter(pk=delivery_id).update(state=WebhookDelivery.State.PENDING)
            intake.enqueue_webhook(delivery_id)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d webhook(s) queued again.", "%(count)d webhook(s) queued again.", count)
            % {"count": count},
        )


@admin.register(WhatsAppConversation)
class WhatsAppConversationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "account", "contact"]
    list_select_related = ["ticket", "account", "contact"]
    list_filter = ["account"]
    search_fields = ["contact__name", "contact__wa_id"]


@admin.register(OutboundSend)
class OutboundSendAdmin(ReadOnlyAdmin):
    list_display = ["comment_id", "account", "state", "attempts", "updated_at", "last_error"]
    list_filter = ["state", "account"]
    list_select_related = ["account"]
    show_full_result_count = False


@admin.register(RefusedEvent)
class RefusedEventAdmin(ReadOnlyAdmin):
    """Webhook events that named a message of another number or person: kept here, never applied."""

    list_display = ["created_at", "kind", "reason", "account", "phone_number_id", "sender", "comment_id", "delivery_id"]
    list_filter = ["kind", "reason", "account"]
    list_select_related = ["account"]
    search_fields = ["wamid", "target_wamid", "sender", "phone_number_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(PendingMessageUpdate)
class PendingMessageUpdateAdmin(ReadOnlyAdmin):
    """Reactions, edits and revokes waiting for their message. Applied when it arrives; after 7 days they move to
    the refused events with reason "target never arrived". Ids only: the new text of an edit is not listed."""

    list_display = ["created_at", "kind", "account", "target_wamid", "wamid", "timestamp", "delivery_id"]
    list_filter = ["kind", "account"]
    list_select_related = ["account"]
    search_fields = ["wamid", "target_wamid", "sender_wa_id", "sender_user_id"]
    exclude = ["text", "emoji"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(StatusReceipt)
class StatusReceiptAdmin(ReadOnlyAdmin):
    list_display = ["wamid", "status", "timestamp", "received_at"]
    list_filter = ["status"]
    search_fields = ["wamid"]
    show_full_result_count = False


@admin.register(InboundReceipt)
class InboundReceiptAdmin(ReadOnlyAdmin):
    list_display = ["wamid", "message_type", "received_at"]
    list_filter = ["message_type"]
    search_fields = ["wamid"]
    show_full_result_count = False


@admin.register(AccountChange)
class AccountChangeAdmin(ReadOnlyAdmin):
    list_display = ["account", "actor", "created_at", "changes"]
    list_select_related = ["account", "actor"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Templates come from WhatsApp (sync); the admin shows them and allows a manual status or category fix."""

    list_display = ["name", "language", "category", "status", "account", "body_parameter_count", "synced_at"]
    list_filter = ["status", "category", "language", "header_format", "account"]
    list_select_related = ["account"]
    search_fields = ["name", "body", "external_id"]
    fields = [
        "account",
        "name",
        "language",
        "category",
        "status",
        "rejected_reason",
        "external_id",
        "parameter_format",
        "body",
        "header_format",
        "body_parameter_count",
        "buttons_pretty",
        "components_pretty",
        "synced_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "account",
        "name",
        "language",
        "external_id",
        "parameter_format",
        "body",
        "header_format",
        "body_parameter_count",
        "buttons_pretty",
        "components_pretty",
        "synced_at",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False  # templates are created in WhatsApp Manager, then synced (or through the API)

    @admin.display(description=_("buttons"))
    def buttons_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.buttons, indent=2, ensure_ascii=False))

    @admin.display(description=_("components"))
    def components_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.components, indent=2, ensure_ascii=False))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("category", "status", "rejected_reason")}
        obj.pk = message_templates.template_update(template=obj, actor=request.user, **fields).pk
