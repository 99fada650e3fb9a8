"""Every write to a contact (end user). Keyword-only, atomic.

Three kinds of data, three writers:
- name, e-mail and phone: anyone who may see the contact (`contact_create`, `contact_update`);
- the WhatsApp consent record: only `contact_opt_in_set`, which stamps the time, the source and the actor itself;
- the channel ids (`wa_id`, `whatsapp_user_id`): the channel's inbound processing, and otherwise only a product
  admin's audited repair (`contact_wa_id_repair`) or merge of a duplicate (`contact_merge`).
"""

import logging
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import events, hooks, languages
from tickets.errors import DomainError
from tickets.models import Comment, Contact, ContactOptInChange, Ticket
from tickets.permissions import is_admin

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("name", "email", "phone")
CHANNEL_ID_FIELDS = ("wa_id", "whatsapp_user_id")
OPT_IN_RECORD_FIELDS = ("whatsapp_opt_in_source", "whatsapp_opt_in_at", "whatsapp_opt_in_by")
WA_ID_RE = re.compile(r"^[0-9]{5,20}$")


def _refuse_unknown(fields: dict) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise DomainError(_("Read-only field."), errors={name: [_("This field is read-only.")] for name in unknown})


@transaction.atomic
def contact_create(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    wa_id: str | None = None,
    whatsapp_user_id: str | None = None,
    created_by=None,
    whatsapp_opt_in: bool = False,
    opt_in_source: str = "agent",
    locale: str = "",
) -> Contact:
    """A new contact. `wa_id` / `whatsapp_user_id` are for the channel and the demo only: adapters never pass them."""
    if wa_id and Contact.objects.filter(wa_id=wa_id).exists():
        raise DomainError(_("A contact with this WhatsApp id already exists."), field="wa_id")
    contact = Contact(
        name=name.strip() or (wa_id or email or "Unknown"),
        email=email,
        phone=phone,
        wa_id=wa_id,
        whatsapp_user_id=whatsapp_user_id,
        created_by=created_by,
    )
    contact.full_clean(validate_unique=False)
    contact.save()
    if locale:
        contact = contact_locale_set(contact=contact, locale=locale, source=LOCALE_BY_AGENT)
    if whatsapp_opt_in:
        contact_opt_in_set(contact=contact, opted_in=True, source=opt_in_source, actor=created_by)
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, actor=None, whatsapp_opt_in: bool | None = None, opt_in_source: str = "agent", **fields
) -> Contact:
    """Change name, e-mail or phone; `whatsapp_opt_in` goes through `contact_opt_in_set`. Anything else is refused
    (channel ids and the consent record are not edited here)."""
    locale = fields.pop("locale", None)
    _refuse_unknown(fields)
    if locale is not None:
        contact = contact_locale_set(contact=contact, locale=locale, source=LOCALE_BY_AGENT)
    if fields:
        for name, value in fields.items():
            setattr(contact, name, value)
        contact.full_clean(validate_unique=False)
        contact.save()
    if whatsapp_opt_in is not None:
        contact = contact_opt_in_set(contact=contact, opted_in=whatsapp_opt_in, source=opt_in_source, actor=actor)
    return contact


LOCALE_BY_AGENT = "agent"
LOCALE_FROM_TEMPLATE = "template"


@transaction.atomic
def contact_locale_set(*, contact: Contact, locale: str, source: str) -> Contact:
    """The language texts to the customer are written in ("" = the account's default). An agent's choice is final;
    the channel's guess (`LOCALE_FROM_TEMPLATE`: the language of a template the customer answered) never replaces it.
    """
    code = languages.supported_language(locale) if locale else ""
    if code is None:
        raise DomainError(_("Choose one of the languages offered."), field="locale")
    if source != LOCALE_BY_AGENT and contact.locale_source == LOCALE_BY_AGENT:
        return contact
    if (contact.locale, contact.locale_source) == (code, source if code else ""):
        return contact
    contact.locale = code
    contact.locale_source = source if code else ""
    contact.save(update_fields=["locale", "locale_source", "updated_at"])
    return contact


@transaction.atomic
def contact_opt_in_set(*, contact: Contact, opted_in: bool, source: str, actor=None) -> Contact:
    """The only writer of the WhatsApp consent record: the time is now, the source and actor are the caller's
    (e.g. "agent", "api", "whatsapp keyword STOP"). Setting the state it already has keeps the earlier record."""
    if opted_in == contact.whatsapp_opt_in and contact.whatsapp_opt_in_at is not None:
        return contact
    contact.whatsapp_opt_in = opted_in
    contact.whatsapp_opt_in_at = timezone.now()
    contact.whatsapp_opt_in_source = (source or "agent")[:100]
    contact.whatsapp_opt_in_by = actor if actor is not None and getattr(actor, "pk", None) else None
    contact.save(
        update_fields=[
            "whatsapp_opt_in",
            "whatsapp_opt_in_at",
            "whatsapp_opt_in_source",
            "whatsapp_opt_in_by",
            "updated_at",
        ]
    )
    ContactOptInChange.objects.create(
        contact=contact,
        opted_in=opted_in,
        source=contact.whatsapp_opt_in_source,
        actor=contact.whatsapp_opt_in_by,
        created_at=contact.whatsapp_opt_in_at,
    )
    return contact


# --- Channel ids: repair and merge (product admins only, audited) -------------------------------------------

CONTACT_REPAIRED = events.CONTACT_REPAIRED
CONTACT_MERGED = events.CONTACT_MERGED


def _require_admin(actor) -> None:
    if not is_admin(actor):
        raise DomainError(_("Only product admins may repair or merge contacts."))


def _audit(*, ticket_ids: list[int], type: str, actor, data: dict) -> int:
    """One event on each affected ticket, plus a log line: the trail of who re-pointed a customer."""
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).only("pk"))
    for ticket in tickets:
        events.contact_changed(ticket=ticket, type=type, actor=actor, data=data)
    # Ids only: the numbers themselves stay in the audit rows, out of the logs.
    ids = {key: value for key, value in data.items() if key.endswith(("contact_id", "tickets"))}
    logger.info("%s by user %s: %s", type, getattr(actor, "pk", None), ids)
    return len(tickets)


@transaction.atomic
def contact_wa_id_repair(*, contact: Contact, wa_id: str | None, actor) -> Contact:
    """Point a contact at another WhatsApp id (or none). Audited on every ticket of the contact."""
    _require_admin(actor)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    new = (wa_id or "").strip().lstrip("+") or None
    if new is not None and not WA_ID_RE.match(new):
        raise DomainError(_("A WhatsApp id is the phone number in digits only (5 to 20)."), field="wa_id")
    if new is not None and Contact.objects.filter(wa_id=new).exclude(pk=contact.pk).exists():
        raise DomainError(
            _("Another contact already has this WhatsApp id: merge the two contacts instead."), field="wa_id"
        )
    old = contact.wa_id
    if old == new:
        return contact
    contact.wa_id = new
    contact.save(update_fields=["wa_id", "updated_at"])
    _audit(
        ticket_ids=list(Ticket.objects.filter(requester=contact).values_list("pk", flat=True)),
        type=CONTACT_REPAIRED,
        actor=actor,
        data={"contact_id": contact.pk, "field": "wa_id", "from": old, "to": new},
    )
    return contact


@transaction.atomic
def contact_merge(*, source: Contact, target: Contact, actor) -> Contact:
    """Merge a duplicate `source` into `target`: its tickets, messages and channel rows move to `target`, its
    channel ids too when `target` has none; then `source` is deleted. Audited on every moved ticket."""
    _require_admin(actor)
    if source.pk == target.pk:
        raise DomainError(_("A contact cannot be merged into itself."), field="target")
    source = Contact.objects.select_for_update().get(pk=source.pk)
    target = Contact.objects.select_for_update().get(pk=target.pk)
    for field in CHANNEL_ID_FIELDS:
        mine, theirs = getattr(source, field), getattr(target, field)
        if mine and theirs and mine != theirs:
            raise DomainError(
                _("Both contacts have a different %(field)s: repair one of them first.") % {"field": field},
                field="target",
            )
    moved = list(Ticket.objects.filter(requester=source).values_list("pk", flat=True))
    Ticket.objects.filter(requester=source).update(requester=target)
    Comment.objects.filter(author_contact=source).update(author_contact=target)
    for listener in hooks.contact_merge_listeners():
        listener(source, target)  # channel rows that point at the contact (e.g. WhatsApp conversations)
    taken = {f: getattr(source, f) for f in CHANNEL_ID_FIELDS if getattr(source, f) and not getattr(target, f)}
    if taken:
        Contact.objects.filter(pk=source.pk).update(**dict.fromkeys(taken))  # free the unique ids first
        for field, value in taken.items():
            setattr(target, field, value)
        target.save(update_fields=[*taken, "updated_at"])
    data = {
        "from_contact_id": source.pk,
        "to_contact_id": target.pk,
        "tickets": moved,
        "channel_ids": sorted(taken) if taken else [],
    }
    source.delete()
    _audit(ticket_ids=moved, type=CONTACT_MERGED, actor=actor, data=data)
    return target
