"""Macros as in Zendesk: a titled list of actions an agent applies to a ticket in one go.

The actions are Zendesk's own JSON (`[{"field": "status", "value": "solved"}, ...]`), checked and carried out by
`macros.actions`, which triggers and automations share.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CATEGORY_SEPARATOR = "::"


class MacroAvailability(models.TextChoices):
    EVERYONE = "everyone", _("All agents")
    PERSONAL = "personal", _("Me only (personal)")
    GROUPS = "groups", _("Agents in groups")


class Macro(models.Model):
    title = models.CharField(
        _("title"), max_length=255, help_text=_('"::" makes categories, as in Zendesk: "Billing::Refund issued".')
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    availability = models.CharField(
        _("availability"), max_length=10, choices=MacroAvailability.choices, default=MacroAvailability.EVERYONE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_macros",
        verbose_name=_("owner"),
        help_text=_("The agent a personal macro belongs to."),
    )
    groups = models.ManyToManyField(
        "tickets.Group",
        blank=True,
        related_name="macros",
        verbose_name=_("groups"),
        help_text=_("Who may use a macro limited to groups."),
    )
    actions = models.JSONField(
        _("actions"), default=list, blank=True, help_text=_('Zendesk actions: [{"field": ..., "value": ...}].')
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    usage_count = models.PositiveIntegerField(_("usage count"), default=0)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
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
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["position", "title", "id"]
        indexes = [models.Index(fields=["active", "availability"], name="macro_active_availability")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(availability=MacroAvailability.PERSONAL) | Q(owner__isnull=False),
                name="macro_personal_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def category_path(self) -> list[str]:
        """`"Billing::Refunds::Issued"` -> `["Billing", "Refunds", "Issued"]` (the last part is the macro's name)."""
        return [part.strip() for part in self.title.split(CATEGORY_SEPARATOR) if part.strip()]

    @property
    def name(self) -> str:
        path = self.category_path
        return path[-1] if path else self.title

    @property
    def category(self) -> str:
        return CATEGORY_SEPARATOR.join(self.category_path[:-1])
