"""Django admin for ticket fields: definition and drop-down options on one page, checked by the same rules as the
API (`tickets.custom_field_definitions`)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from tickets.custom_field_definitions import definition_problems
from tickets.models import CustomField, CustomFieldOption


class CustomFieldOptionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Drop-down options are tags: checked as the API checks them."""
        super().clean()
        if self.instance.type != "tagger":
            return
        options = [
            {"name": form.cleaned_data.get("name", ""), "value": form.cleaned_data.get("value", "")}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = definition_problems(type="tagger", options=options).get("custom_field_options", [])
        if problems:
            raise ValidationError(problems)


class CustomFieldOptionInline(admin.TabularInline):
    model = CustomFieldOption
    formset = CustomFieldOptionFormSet
    extra = 1
    fields = ("name", "value", "position")


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = (
            "title",
            "type",
            "description",
            "active",
            "required_on_solve",
            "position",
            "regexp_for_validation",
            "tag",
        )

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("type") and data["type"] != self.instance.type:
            self.add_error("type", gettext_lazy("A field's type cannot be changed; create a new field."))
        problems = definition_problems(
            type=data.get("type", ""),
            regexp_for_validation=data.get("regexp_for_validation", ""),
            tag=(data.get("tag") or "").lower(),
        )
        for key, messages in problems.items():
            self.add_error(key if key in self.fields else None, ValidationError(messages))
        data["tag"] = (data.get("tag") or "").lower()
        return data


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    form = CustomFieldForm
    inlines = [CustomFieldOptionInline]
    list_display = ("title", "type", "active", "required_on_solve", "position")
    list_filter = ("type", "active")
    search_fields = ("title",)
    ordering = ("position", "id")
