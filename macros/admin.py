"""Django admin for macros: saved through `macros.services`, actions checked by the same `validate_actions`."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext

from macros import services
from macros.actions.validate import validate_actions
from macros.models import Macro, MacroAvailability
from tickets.errors import DomainError

DOMAIN_FIELD_TO_FORM_FIELD = {"owner_id": "owner", "group_ids": "groups", "availability": "availability"}
EXAMPLE = [
    {"field": "status", "value": "solved"},
    {"field": "comment_value", "value": "Thanks, {{ticket.requester.first_name}}!"},
]


class MacroAdminForm(forms.ModelForm):
    actions = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90, "style": "font-family: monospace"}),
        label=gettext_lazy("Actions"),
        help_text=format_lazy(gettext_lazy("Zendesk's JSON, e.g. {example}"), example=json.dumps(EXAMPLE)),
    )

    class Meta:
        model = Macro
        fields = ["title", "description", "active", "availability", "owner", "groups", "actions", "position"]

    def clean_actions(self):
        try:
            return validate_actions(self.cleaned_data["actions"], kind="macro")
        except DomainError as error:
            raise ValidationError(error.errors.get("actions") or [error.message]) from error

    def clean(self):
        data = super().clean()
        if "availability" not in data:
            return data
        availability = data["availability"]
        # Zendesk clears what the availability does not use instead of refusing the form.
        if availability != MacroAvailability.PERSONAL:
            data["owner"] = None
        if availability != MacroAvailability.GROUPS:
            data["groups"] = []
        try:
            services.check_access_fields(
                availability=availability, owner=data.get("owner"), groups=data.get("groups") or []
            )
        except DomainError as error:
            for key, errors in error.errors.items():
                for message in errors:
                    self.add_error(DOMAIN_FIELD_TO_FORM_FIELD.get(key), message)
        return data


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroAdminForm
    list_display = ("title", "availability", "owner", "active", "usage_count", "last_used_at", "position", "updated_at")
    list_filter = ("active", "availability", "groups")
    list_select_related = ("owner",)
    search_fields = ("title", "description")
    ordering = ("position", "title")
    readonly_fields = ("usage_count", "last_used_at", "created_by", "created_at", "updated_at")
    filter_horizontal = ("groups",)
    actions = ("make_active", "make_inactive")
    fieldsets = (
        (None, {"fields": ("title", "description", "active", "position")}),
        (gettext_lazy("Who may use it"), {"fields": ("availability", "owner", "groups")}),
        (gettext_lazy("Actions"), {"fields": ("actions",)}),
        (gettext_lazy("Usage"), {"fields": ("usage_count", "last_used_at", "created_by", "created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Macro, form, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "description": data.get("description", ""),
            "active": data["active"],
            "availability": data["availability"],
            "owner": data.get("owner"),
            "groups": list(data.get("groups") or []),
            "actions": data["actions"],
            "position": data.get("position") or 0,
        }
        if change:
            saved = services.macro_update(macro=obj, actor=request.user, **fields)
        else:
            saved = services.macro_create(actor=request.user, **fields)
        obj.pk = saved.pk
        for f in Macro._meta.concrete_fields:
            setattr(obj, f.attname, getattr(saved, f.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request, form, formsets, change) -> None:
        # The service already set the groups; the form's own m2m save would only repeat it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Macro) -> None:
        services.macro_delete(macro=obj, actor=request.user)

    @admin.action(description=gettext_lazy("Activate the selected macros"))
    def make_active(self, request: HttpRequest, queryset: QuerySet[Macro]) -> None:
        self._set_active(request, queryset, True)

    @admin.action(description=gettext_lazy("Deactivate the selected macros"))
    def make_inactive(self, request: HttpRequest, queryset: QuerySet[Macro]) -> None:
        self._set_active(request, queryset, False)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Macro], active: bool) -> None:
        changed = 0
        for macro in queryset:
            try:
                services.macro_update(macro=macro, actor=request.user, active=active)
            except (DomainError, PermissionDenied) as error:
                self.message_user(request, f"{macro}: {error}", messages.ERROR)
            else:
                changed += 1
        if active:
            message = ngettext("%(count)d macro(s) activated.", "%(count)d macro(s) activated.", changed)
        else:
            message = ngettext("%(count)d macro(s) deactivated.", "%(count)d macro(s) deactivated.", changed)
        self.message_user(request, message % {"count": changed})
