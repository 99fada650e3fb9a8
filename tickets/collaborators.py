"""CCs and followers, Zendesk's collaborators: contacts copied on what the requester is told (by e-mail), and agents
who follow a ticket. Changed as part of one `ticket_update` (keys below), audited as `field.changed`.

`changes` keys: ``email_ccs`` / ``followers`` (replace: contacts / users), ``add_email_ccs`` / ``add_followers``
and ``remove_email_ccs`` / ``remove_followers``.
"""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from tickets import events
from tickets.errors import DomainError
from tickets.models import Contact, Ticket
from tickets.permissions import is_agent

MAX_CCS = 48  # Zendesk's limit of CCs on one ticket
CHANGE_KEYS = frozenset(
    {
        "email_ccs",
        "add_email_ccs",
        "remove_email_ccs",
        "email_cc_addresses",
        "followers",
        "add_followers",
        "remove_followers",
    }
)


def contacts_for_addresses(ticket: Ticket, addresses: Iterable[str]) -> list[Contact]:
    """The CCs an agent typed as e-mail addresses: the contact with that address (the oldest), or a new contact, as
    Zendesk adds an unknown CC as a user. CCs without an address (not typed) are kept."""
    contacts = [contact for contact in ticket.email_ccs.all() if not contact.email]
    for address in addresses:
        contact = Contact.objects.filter(email__iexact=address).order_by("pk").first()
        if contact is None:
            contact = Contact.objects.create(name=address, email=address)
        contacts.append(contact)
    return contacts


def _target(current: set[int], changes: dict[str, Any], name: str) -> set[int]:
    target = {row.pk for row in changes[name]} if name in changes else set(current)
    target |= {row.pk for row in changes.get(f"add_{name}", ())}
    target -= {row.pk for row in changes.get(f"remove_{name}", ())}
    return target


def _check_followers(users: Iterable[Any]) -> None:
    for user in users:
        if not is_agent(user):
            raise DomainError(_("Followers must be active agents."), field="follower_ids")


def collaborators_apply(*, ticket: Ticket, actor, changes: dict[str, Any]) -> dict[str, tuple[list[int], list[int]]]:
    """Apply the CC and follower keys of `changes`; return what changed as ``{"email_cc_ids"|"follower_ids": (old,
    new)}`` (sorted ids), each written as `field.changed`."""
    applied: dict[str, tuple[list[int], list[int]]] = {}
    if not CHANGE_KEYS & set(changes):
        return applied
    _check_followers([*changes.get("followers", ()), *changes.get("add_followers", ())])
    if "email_cc_addresses" in changes:
        changes = {**changes, "email_ccs": contacts_for_addresses(ticket, changes["email_cc_addresses"])}
    for name, relation, field in (
        ("email_ccs", ticket.email_ccs, "email_cc_ids"),
        ("followers", ticket.followers, "follower_ids"),
    ):
        if not {name, f"add_{name}", f"remove_{name}"} & set(changes):
            continue
        current = set(relation.values_list("pk", flat=True))
        target = _target(current, changes, name)
        if name == "email_ccs" and len(target) > MAX_CCS:
            raise DomainError(_("At most %(max)s CCs on a ticket.") % {"max": MAX_CCS}, field="email_cc_ids")
        if target == current:
            continue
        relation.set(target)
        old, new = sorted(current), sorted(target)
        applied[field] = (old, new)
        events.field_changed(ticket=ticket, field=field, old=old, new=new, actor=actor)
    return applied
