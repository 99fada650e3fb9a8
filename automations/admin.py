"""Django admin for business rules: JSON edited here is checked and saved by `automations.rules`."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from automations import rules
from automations.models import Automation, AutomationFiring, BusinessRule, Trigger
from automations.webhooks import admin as webhooks_admin  # noqa: F401  (registers the webhook pages)
from tickets.errors import DomainError

JSON_WIDGET = forms.Textarea(attrs={"rows": 12, "cols": 100, "style": "font-family: monospace"})
EXAMPLES = {
    "trigger": (
        {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        [{"field": "current_tags", "value": "new_request"}],
    ),
    "automation": (
        {
            "all": [
                {"field": "status", "operator": "is", "value": "pending"},
                {"field": "hours_since_pending", "operator": "greater_than", "value": 72},
            ],
            "any": [],
        },
        [{"field": "status", "value": "solved"}],
    ),
}


class _RuleForm(forms.ModelForm):
    kind = "trigger"
    conditions = forms.JSONField(label=gettext_lazy("Conditions"), widget=JSON_WIDGET)
    actions = forms.JSONField(label=gettext_lazy("Actions"), widget=JSON_WIDGET)

    class Meta:
        fields = ["title", "description", "active", "position", "conditions", "actions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        conditions, actions = EXAMPLES[self.kind]
        self.fields["conditions"].help_text = _("Zendesk's JSON, e.g. %(example)s") % {
            "example": json.dumps(conditions)
        }
        self.fields["actions"].help_text = _("Zendesk's JSON, e.g. %(example)s") % {"example": json.dumps(actions)}
        self.fields["position"].required = False

    def clean(self):
        data = super().clean()
        if {"conditions", "actions"} - set(data):
            return data
        try:
            clean = rules.definition_clean(
                kind=self.kind,
                title=data.get("title", ""),
                description=data.get("description", ""),
                conditions=data["conditions"],
                actions=data["actions"],
            )
        except DomainError as error:
            for key, errors in error.errors.items():
                field = key if key in self.fields else None
                self.add_error(field, ValidationError(errors))
            return data
        data.update(clean)
        return data


class TriggerForm(_RuleForm):
    kind = "trigger"

    class Meta(_RuleForm.Meta):
        model = Trigger


class AutomationForm(_RuleForm):
    kind = "automation"

    class Meta(_RuleForm.Meta):
        model = Automation


class _RuleAdmin(admin.ModelAdmin):
    kind = "trigger"
    list_display = ("title", "active", "position", "updated_at")
    list_filter = ("active",)
    list_editable = ()
    search_fields = ("title", "description")
    ordering = ("position", "id")
    readonly_fields = ("created_by", "created_at", "updated_at")
    actions = ("make_active", "make_inactive")

    def save_model(self, request: HttpRequest, obj: BusinessRule, form, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "description": data.get("description", ""),
            "conditions": data["conditions"],
            "actions": data["actions"],
            "active": data.get("active", True),
        }
        if data.get("position") is not None:
            fields["position"] = data["position"]
        if change:
            saved = rules.rule_update(rule=obj, actor=request.user, **fields)
        else:
            saved = rules.rule_create(kind=self.kind, actor=request.user, **fields)
        for f in type(obj)._meta.concrete_fields:
            setattr(obj, f.attname, getattr(saved, f.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def delete_model(self, request: HttpRequest, obj: BusinessRule) -> None:
        rules.rule_delete(rule=obj, actor=request.user)

    @admin.action(description=gettext_lazy("Activate the selected rules"))
    def make_active(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description=gettext_lazy("Deactivate the selected rules"))
    def make_inactive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_active(request, queryset, False)

    def _set_active(self, request: HttpRequest, queryset: QuerySet, active: bool) -> None:
        changed = 0
        for rule in queryset:
            try:
                rules.rule_set_active(rule=rule, actor=request.user, active=active)
            except PermissionDenied as error:
                self.message_user(request, f"{rule}: {error}", messages.ERROR)
            else:
                changed += 1
        if active:
            message = ngettext("%(count)d rule(s) activated.", "%(count)d rule(s) activated.", changed)
        else:
            message = ngettext("%(count)d rule(s) deactivated.", "%(count)d rule(s) deactivated.", changed)
        self.message_user(request, message % {"count": changed})


@admin.register(Trigger)
class TriggerAdmin(_RuleAdmin):
    kind = "trigger"
    form = TriggerForm


@admin.register(Automation)
class AutomationAdmin(_RuleAdmin):
    kind = "automation"
    form = AutomationForm


@admin.register(AutomationFiring)
class AutomationFiringAdmin(admin.ModelAdmin):
    """When each automation last acted on each ticket (read only: the sweep writes it)."""

    list_display = ("automation", "ticket", "fired_at")
    list_filter = ("automation",)
    list_select_related = ("automation", "ticket")
    search_fields = ("ticket__id",)
    raw_id_fields = ("ticket",)
    ordering = ("-fired_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
