"""Business rules as in Zendesk: triggers (run on every ticket create and update) and automations (hourly sweep).

Both hold Zendesk's own JSON: `conditions` = `{"all": [{field, operator, value}], "any": [...]}` and `actions` =
`[{field, value}]`. They are checked by `automations.rules` (conditions by `automations.conditions`, actions by
`macros.actions`, the implementation macros share) before they are stored, so what is stored is normalised.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Webhooks live in their own module; imported here so their tables belong to this app.
from automations.webhooks.models import Webhook, WebhookAttempt, WebhookInvocation  # noqa: F401


def empty_conditions() -> dict:
    return {"all": [], "any": []}


class BusinessRule(models.Model):
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Rules run in this order (lowest first).")
    )
    conditions = models.JSONField(_("conditions"), default=empty_conditions, help_text='{"all": [...], "any": [...]}')
    actions = models.JSONField(_("actions"), default=list, help_text='[{"field": ..., "value": ...}]')
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
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Trigger(BusinessRule):
    """Runs inside every ticket create and update, in `position` order (Zendesk's trigger cycle)."""

    class Meta(BusinessRule.Meta):
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        indexes = [models.Index(fields=["active", "position", "id"], name="trigger_active_position")]


class Automation(BusinessRule):
    """Runs on a schedule (hourly) over every ticket that is not closed; its conditions are database queries."""

    class Meta(BusinessRule.Meta):
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        indexes = [models.Index(fields=["active", "position", "id"], name="automation_active_position")]


class AutomationFiring(models.Model):
    """An automation fired on a ticket. It fires again only after the ticket is updated (`updated_at > fired_at`)."""

    automation = models.ForeignKey(
        Automation, on_delete=models.CASCADE, related_name="firings", verbose_name=_("automation")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="automation_firings", verbose_name=_("ticket")
    )
    fired_at = models.DateTimeField(_("fired at"))

    class Meta:
        verbose_name = _("automation firing")
        verbose_name_plural = _("automation firings")
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["automation", "ticket"], name="automation_firing_once_per_ticket"),
        ]

    def __str__(self) -> str:
        return _("%(automation)s on ticket %(ticket)s at %(time)s") % {
            "automation": self.automation_id,
            "ticket": self.ticket_id,
            "time": f"{self.fired_at:%Y-%m-%d %H:%M}",
        }


class RulesVersion(models.Model):
    """One row whose `version` changes with every write to the triggers or automations tables, in the writing
    transaction: database triggers (migration 0006) bump it, so an admin page, the API, an import, a bulk
    `QuerySet.update()` or raw SQL all count. Each process keeps the active rules parsed (`automations.rule_cache`)
    and reads this one number per ticket update to know whether they are still current. The value is never reused
    (a sequence on PostgreSQL, a random number on SQLite), so a rolled-back write cannot leave a stale cache behind."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("business rules version")
        verbose_name_plural = _("business rules versions")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="rules_version_single_row")]

    def __str__(self) -> str:
        return str(self.version)
