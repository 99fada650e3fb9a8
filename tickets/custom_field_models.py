"""Admin-defined ticket fields (Zendesk's custom ticket fields) and their values on tickets.

Values live in their own table, one row per (ticket, field) that has a value, rather than in a JSON column on the
ticket: a filter or a rule condition on one field is then an indexed lookup on (field, value) — or (field, number),
(field, date) for comparisons — in every database, and a field's values can be counted or removed without reading
tickets. `value` holds the canonical text of every type but the multi-line one (an option's tag value, "true" for
a checked box, a number or an ISO date as text); multi-line text goes to `text`, which is not indexed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomFieldType(models.TextChoices):
    """Zendesk's type names, so its `ticket_fields` JSON reads as it is."""

    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Multi-line text")
    DROPDOWN = "tagger", _("Drop-down")
    CHECKBOX = "checkbox", _("Checkbox")
    INTEGER = "integer", _("Number")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", pgettext_lazy("custom field type", "Date")
    REGEXP = "regexp", _("Regular expression")


class CustomField(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=16, choices=CustomFieldType.choices)
    active = models.BooleanField(_("active"), default=True)
    required_on_solve = models.BooleanField(
        _("required to solve"), default=False, help_text=_("Agents must fill it in before a ticket is solved.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    regexp_for_validation = models.CharField(_("pattern"), max_length=500, blank=True)
    tag = models.CharField(_("tag"), max_length=80, blank=True, help_text=_("Checkbox: added while it is checked."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ticket field")
        verbose_name_plural = _("ticket fields")

    def __str__(self) -> str:
        return self.title


class CustomFieldOption(models.Model):
    """A drop-down choice: `name` is shown, `value` is stored and is also the tag the choice sets."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="options")
    name = models.CharField(_("name"), max_length=200)
    value = models.CharField(_("value"), max_length=80)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("drop-down option")
        verbose_name_plural = _("drop-down options")
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="custom_field_option_value_unique")]

    def __str__(self) -> str:
        return self.name


class CustomFieldValue(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="custom_field_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    number = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket field value")
        verbose_name_plural = _("ticket field values")
        constraints = [models.UniqueConstraint(fields=["ticket", "field"], name="custom_field_value_once")]
        indexes = [
            models.Index(fields=["field", "value"], name="custom_field_value_lookup"),
            models.Index(fields=["field", "number"], name="custom_field_number_lookup"),
            models.Index(fields=["field", "date"], name="custom_field_date_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.field_id}={self.value or self.text[:40]}"
