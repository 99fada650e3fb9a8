"""Admin-defined ticket fields on the agent pages: their form fields in the ticket page's properties panel and the
ticket list's filters (drop-downs and checkboxes). Labels are the admin's titles; values are checked by
`tickets.custom_field_values`, as in the API."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.custom_field_values import CustomFieldValueError, FieldInfo, as_json, as_text, clean_value

PREFIX = "custom_fields_"
FILTER_PREFIX = "field_"


def form_field(info: FieldInfo) -> forms.Field:
    common: dict[str, Any] = {"label": info.title, "required": False, "help_text": ""}
    if info.type == "textarea":
        field: forms.Field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=False, **common)
    elif info.type == "tagger":
        field = forms.ChoiceField(choices=[("", "-"), *info.options], **common)
    elif info.type == "checkbox":
        field = forms.BooleanField(**common)
    elif info.type == "integer":
        field = forms.IntegerField(**common)
    elif info.type == "decimal":
        field = forms.DecimalField(**common)
    elif info.type == "date":
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    else:
        field = forms.CharField(max_length=255, **common)
        if info.pattern:
            field.widget.attrs["data-pattern"] = info.pattern
    if info.type != "checkbox":
        field.widget.attrs.setdefault("class", "input")
    field.widget.attrs["data-custom-field"] = info.id
    return field


def add_property_fields(form: forms.Form, infos: list[FieldInfo], values: dict[int, Any]) -> list[str]:
    """Add one form field per ticket field, with the ticket's value as initial; returns their names in order."""
    names = []
    for info in infos:
        name = f"{PREFIX}{info.id}"
        form.fields[name] = form_field(info)
        value = values.get(info.id)
        form.initial[name] = value if value is not None else ("" if info.type != "checkbox" else False)
        names.append(name)
    return names


def cleaned_changes(form: forms.Form, infos: list[FieldInfo], values: dict[int, Any]) -> dict[int, Any]:
    """The fields whose submitted value differs from the ticket's; a value a field refuses is a form error on it."""
    changed: dict[int, Any] = {}
    for info in infos:
        name = f"{PREFIX}{info.id}"
        if name not in form.cleaned_data:
            continue
        try:
            new = clean_value(info, form.cleaned_data[name])
        except CustomFieldValueError as error:
            form.add_error(name, str(error))
            continue
        if as_json(info, new) != as_json(info, values.get(info.id)):
            changed[info.id] = new
    return changed


def display_rows(infos: list[FieldInfo], values: dict[int, Any]) -> list[tuple[str, str]]:
    """(title, shown value) for a read-only panel: an option's name, Yes/No, the value, or "-"."""
    rows = []
    for info in infos:
        value = values.get(info.id)
        if info.type == "tagger":
            shown = info.option_name(value) or "-"
        elif info.type == "checkbox":
            shown = str(_("Yes") if value else _("No"))
        else:
            shown = as_text(info, value) or "-"
        rows.append((info.title, shown))
    return rows


# --- The ticket list's filters ---------------------------------------------------------------------------------


def add_filter_fields(form: forms.Form, infos: list[FieldInfo]) -> None:
    for info in infos:
        if info.type == "tagger":
            choices = [("", _("Any")), *info.options]
        elif info.type == "checkbox":
            choices = [("", _("Any")), ("true", _("Checked")), ("false", _("Not checked"))]
        else:
            continue
        field = forms.ChoiceField(label=info.title, choices=choices, required=False)
        field.widget.attrs["class"] = "input"
        form.fields[f"{FILTER_PREFIX}{info.id}"] = field


def filter_values(cleaned_data: dict[str, Any], infos: list[FieldInfo]) -> dict[int, str]:
    """{field id: option value, or "true"/"false" for a checkbox} of the filters chosen."""
    chosen = {}
    for info in infos:
        value = cleaned_data.get(f"{FILTER_PREFIX}{info.id}")
        if value:
            chosen[info.id] = value
    return chosen
