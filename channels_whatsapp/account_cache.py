"""Connected numbers by `phone_number_id`, kept per process for the worker, checked against the database each time.

Every webhook names the number it came to; the worker used to look the account up for each delivery (a query and
its ORM compilation per message). The accounts table is small and rarely changes, so each process keeps what it
loaded, tagged with a version of the whole table: an md5 over every account row's text, which PostgreSQL computes
inside the query that reads (and locks) the delivery anyway (`version_expression`). Any change to any row (a saved
form, a `QuerySet.update()`, a delete, a row added), committed by any process, changes that version, so the next
delivery anywhere sees it: the cache is dropped and the account is read again. No timestamp is trusted (two
transactions can commit in the other order than their clocks), and no message to other processes is needed.

Other databases (SQLite, embedded) have no such expression here: every lookup then reads the database.
"""

import copy
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL

from channels_whatsapp import selectors
from channels_whatsapp.models import WhatsAppAccount

_VERSION_SQL = "SELECT md5(coalesce(string_agg(a::text, ',' ORDER BY a.id), '')) FROM {table} a"


@dataclass
class _Loaded:
    version: str
    accounts: dict[str, WhatsAppAccount | None] = field(default_factory=dict)


_loaded = _Loaded(version="")


def version_expression() -> RawSQL | None:
    """The accounts table's version, to annotate onto a query the caller runs anyway; None where not supported."""
    if connection.vendor != "postgresql":
        return None
    table = WhatsAppAccount._meta.db_table  # our own table name: nothing from outside reaches this SQL
    return RawSQL(_VERSION_SQL.format(table=table), [], output_field=CharField())  # noqa: S611


def account_for_phone_number(phone_number_id: str, *, version: str | None) -> WhatsAppAccount | None:
    """The active account of `phone_number_id` (None when unknown or inactive) as of `version`.

    A copy is returned, so a caller that changes its account object changes nothing another delivery reads.
    """
    global _loaded
    if not version:
        return selectors.account_for_phone_number(phone_number_id)
    loaded = _loaded
    if loaded.version != version:
        # A new object rather than clearing the old one: a thread still filling the old one cannot put a row read
        # before the change into the new one.
        loaded = _loaded = _Loaded(version=version)
    if phone_number_id not in loaded.accounts:
        loaded.accounts[phone_number_id] = selectors.account_for_phone_number(phone_number_id)
    account = loaded.accounts[phone_number_id]
    return copy.copy(account) if account is not None else None


def clear() -> None:
    """Forget every loaded account (tests)."""
    global _loaded
    _loaded = _Loaded(version="")
