"""The receipt of each inbound message id: the database's own guard that a message is processed once."""

from django.db import transaction
from django.utils import timezone

from channels_whatsapp import pending_updates
from channels_whatsapp.models import InboundReceipt


def receipt_add(*, wamid: str, message_type: str, lock: bool = False) -> bool:
    """Record `wamid` as processed in the caller's transaction; False if it already was (or is being, by a worker
    whose transaction then commits).

    One statement, `INSERT ... ON CONFLICT DO NOTHING RETURNING`, needs no savepoint to survive a duplicate. With
    `lock`, the same statement takes the wamid's target lock (see pending_updates) for the rest of the transaction,
    so an early reaction, edit or revoke processed at the same moment is either seen waiting or finds the message.
    """
    connection = transaction.get_connection()
    table = connection.ops.quote_name(InboundReceipt._meta.db_table)
    params: list = [wamid, message_type[:30], timezone.now()]
    returning = "id"
    if lock and connection.vendor == "postgresql":
        returning += ", pg_advisory_xact_lock(%s)"
        params.append(pending_updates.target_lock_key(wamid))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (wamid, message_type, received_at) VALUES (%s, %s, %s)"  # noqa: S608
            f" ON CONFLICT (wamid) DO NOTHING RETURNING {returning}",
            params,
        )
        return cursor.fetchone() is not None
