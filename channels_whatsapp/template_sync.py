"""Templates from Meta into the registry: the daily sync of each account's WABA listing (the network call before
the transaction, the upsert in one) and the `message_template_status_update` webhook in between."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_whatsapp import client, message_templates, parsing
from channels_whatsapp.models import MessageTemplate, WhatsAppAccount

logger = logging.getLogger(__name__)

Status = MessageTemplate.Status

# Status webhook events -> statuses (see message_templates' docstring for REINSTATED and UNARCHIVED).
EVENT_STATUS: dict[str, str] = {
    **{s.value: s.value for s in Status if s not in (Status.UNKNOWN, Status.REINSTATED)},
    "REINSTATED": Status.APPROVED,
    "UNARCHIVED": Status.UNKNOWN,
}


# --- Sync from the Cloud API ------------------------------------------------------------------------------------


class TemplateSyncError(Exception):
    """Meta refused (or could not be reached for) the template listing. Carries the Cloud API's code and title;
    never the access token."""

    def __init__(self, *, account: WhatsAppAccount, code: str, title: str, detail: str = ""):
        self.account_id = account.pk
        self.code = code
        self.title = title
        self.detail = detail
        names = {"account": account.pk, "name": account.name, "code": code, "title": title, "detail": detail}
        if detail:
            message = _(
                "Could not sync the templates of WhatsApp account %(account)s (%(name)s): (%(code)s) %(title)s: "
                "%(detail)s"
            )
        else:
            message = _("Could not sync the templates of WhatsApp account %(account)s (%(name)s): (%(code)s) %(title)s")
        super().__init__(message % names)

    @classmethod
    def from_graph(cls, exc: client.GraphError, *, account: WhatsAppAccount) -> "TemplateSyncError":
        token = account.access_token or ""

        def scrub(text: str) -> str:
            return text.replace(token, "***") if token else text

        return cls(account=account, code=exc.code, title=scrub(exc.title), detail=scrub(exc.detail)[:500])

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "detail": self.detail}


def templates_sync(*, account: WhatsAppAccount) -> dict:
    """Fetch the WABA's listing (every page) and store it. Raises TemplateSyncError, with nothing written.

    Returns counts: `created`, `updated` (changed), `unchanged`, `missing` (no longer listed: now DELETED).
    """
    try:
        listing = client.list_templates(waba_id=account.waba_id, token=account.access_token)
    except client.GraphError as exc:
        error = TemplateSyncError.from_graph(exc, account=account)
        logger.warning("%s", error)
        raise error from None
    return templates_store(account=account, listing=listing)


COMPARED = (
    "category",
    "status",
    "external_id",
    "parameter_format",
    "components",
    "body",
    "header_format",
    "body_parameter_count",
    "buttons",
    "rejected_reason",
)


@transaction.atomic
def templates_store(*, account: WhatsAppAccount, listing: Iterable[dict]) -> dict:
    """Upsert a listing (Meta's `data` entries) as the account's complete set of templates, in one transaction."""
    now = timezone.now()
    # One sync of an account at a time (the daily schedule may meet an admin's "sync now").
    WhatsAppAccount.objects.select_for_update().filter(pk=account.pk).first()
    listed: dict[tuple[str, str], dict] = {}
    for entry in listing:
        fields = message_templates.template_fields(entry) if isinstance(entry, dict) else None
        if fields is None:
            logger.warning("Template listing entry without name or language skipped: %.200s", entry)
            continue
        listed[(fields["name"], fields["language"])] = fields
    existing = {(t.name, t.language): t for t in MessageTemplate.objects.filter(account=account)}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "missing": 0}
    new_rows, seen = [], []
    for key, fields in listed.items():
        row = existing.get(key)
        if row is None:
            new_rows.append(MessageTemplate(account=account, synced_at=now, **fields))
            continue
        seen.append(row.pk)
        changed = [f for f in COMPARED if getattr(row, f) != fields[f]]
        if changed:
            for name in changed:
                setattr(row, name, fields[name])
            row.save(update_fields=[*changed, "updated_at"])
        counts["updated" if changed else "unchanged"] += 1
    MessageTemplate.objects.filter(pk__in=seen).update(synced_at=now)
    MessageTemplate.objects.bulk_create(new_rows)
    counts["created"] = len(new_rows)
    gone = [t.pk for key, t in existing.items() if key not in listed and t.status != Status.DELETED]
    if gone:
        MessageTemplate.objects.filter(pk__in=gone).update(status=Status.DELETED, synced_at=now, updated_at=now)
    counts["missing"] = len(gone)
    return counts


@dataclass(frozen=True)
class SyncOutcome:
    account: WhatsAppAccount
    counts: dict | None = None
    error: TemplateSyncError | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return str(self.error)
        c = self.counts or {}
        return _(
            "%(name)s (waba %(waba)s): %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(missing)s no longer listed"
        ) % {
            "name": self.account.name,
            "waba": self.account.waba_id,
            "created": c.get("created", 0),
            "updated": c.get("updated", 0),
            "unchanged": c.get("unchanged", 0),
            "missing": c.get("missing", 0),
        }


def templates_sync_accounts(*, accounts: Iterable[WhatsAppAccount] | None = None) -> list[SyncOutcome]:
    """Sync each account (by default every active one); one account's failure does not stop the others."""
    if accounts is None:
        accounts = WhatsAppAccount.objects.filter(active=True).order_by("id")
    outcomes = []
    for account in accounts:
        try:
            outcomes.append(SyncOutcome(account=account, counts=templates_sync(account=account)))
        except TemplateSyncError as exc:
            outcomes.append(SyncOutcome(account=account, error=exc))
    return outcomes


# --- The status webhook -------------------------------------------------------------------------------------------


def _matching_templates(*, waba_id: str, update: parsing.TemplateStatusUpdate) -> QuerySet[MessageTemplate]:
    """Meta's template id first; else name + language. Every account on the WABA holds its own copy."""
    queryset = MessageTemplate.objects.all()
    if waba_id:
        queryset = queryset.filter(account__waba_id=waba_id)
    if update.template_id:
        by_id = queryset.filter(external_id=update.template_id)
        if by_id.exists():
            return by_id
    language = message_templates.normalize_language(update.language)
    if update.name and language:
        return queryset.filter(name=update.name, language=language)
    return queryset.none()


@transaction.atomic
def template_status_update(*, waba_id: str, update: parsing.TemplateStatusUpdate) -> list[str]:
    """Apply a `message_template_status_update` webhook. Returns notes for the delivery (an unknown template is a
    note, not an error: it was probably created after the last sync)."""
    event = (update.event or "").strip().upper()
    status = EVENT_STATUS.get(event, Status.UNKNOWN)
    rows = list(_matching_templates(waba_id=waba_id, update=update).select_for_update())
    label = f"{update.name or '?'} ({update.language or '?'}, id {update.template_id or '?'})"
    if not rows:
        return [f"template status update {event or '(no event)'} for unknown template {label} of WABA {waba_id or '?'}"]
    notes = []
    if event not in EVENT_STATUS:
        notes.append(f"template {label}: unknown status event '{event}', marked UNKNOWN until the next sync")
    elif event == "UNARCHIVED":
        notes.append(f"template {label} unarchived: status UNKNOWN until the next sync")
    reason = "" if status == Status.APPROVED else message_templates.reason_text(update.reason)
    category = update.category.strip().upper()
    now = timezone.now()
    for row in rows:
        row.status = status
        row.rejected_reason = reason
        fields = ["status", "rejected_reason", "updated_at"]
        if category in message_templates.Category.values and row.category != category:
            row.category = category
            fields.append("category")
        if update.template_id and not row.external_id:
            row.external_id = update.template_id[:64]
            fields.append("external_id")
        row.updated_at = now
        row.save(update_fields=fields)
    logger.info("Template %s is now %s (event %s) on %d account(s)", label, status, event, len(rows))
    return notes
