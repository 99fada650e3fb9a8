"""Webhook intake: signature, body checks, card numbers masked, stored, handed to the worker; then the worker's
dispatch of each stored delivery by change field (messages -> inbound, statuses -> statuses, templates).
"""

import hashlib
import hmac
import json
import logging
import math
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from channels_whatsapp import (
    account_cache,
    inbound,
    outbound,
    parsing,
    statuses,
)
from channels_whatsapp.models import (
    OutboundSend,
    WebhookDelivery,
    WhatsAppAccount,
)
from tickets import redaction

logger = logging.getLogger(__name__)


MAX_WEBHOOK_BYTES = 3 * 1024 * 1024


# --- Webhook intake (in the request: no network, one insert) ---------------------------------------------


class WebhookRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature_valid(*, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw body, keyed by the app secret."""
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


def verify_token_matches(token: str) -> bool:
    expected = settings.WHATSAPP_VERIFY_TOKEN
    return bool(expected) and hmac.compare_digest(expected.encode(), token.encode())


def _json_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} does not fit a float")
    return value


MAX_JSON_DEPTH = 64  # Meta's payloads nest about 10 deep; much deeper only risks recursion limits downstream


def _too_deep(body: bytes, payload) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    level = [payload]  # the containers at depth 1, 2, ...
    for _ in range(MAX_JSON_DEPTH):
        level = [
            item
            for value in level
            for item in (value.values() if isinstance(value, dict) else value)
            if isinstance(item, dict | list)
        ]
        if not level:
            return False
    return True


def _without_nul(value):
    """PostgreSQL stores no NUL character in text or jsonb: it becomes U+FFFD rather than losing the message."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def webhook_receive(*, body: bytes, signature: str) -> WebhookDelivery:
    """Check, store durably, and hand to the worker after commit. Raises WebhookRefused."""
    if len(body) > MAX_WEBHOOK_BYTES:
        raise WebhookRefused(400, "Body larger than 3 MiB.")
    if not signature_valid(body=body, header=signature):
        raise WebhookRefused(403, "Missing or invalid X-Hub-Signature-256.")
    digest = hashlib.sha256(body).hexdigest()
    try:
        # NaN, Infinity and 1e400 are not JSON and no database stores them; nor a lone surrogate (\ud800).
        payload = json.loads(body, parse_constant=_json_constant, parse_float=_json_float)
        json.dumps(payload, ensure_ascii=False).encode()
        if b"\\u0000" in body:
            payload = _without_nul(payload)
    except (ValueError, RecursionError) as exc:
        raise WebhookRefused(400, "Body is not valid JSON.") from exc
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "Body must be a JSON object.")
    if _too_deep(body, payload):
        raise WebhookRefused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    _redact_payload(payload)  # before anything is stored: the webhook store never holds a full card number
    stored = WebhookDelivery(payload=payload, body_sha256=digest, received_day=timezone.now().date())
    stored.pk = _insert_unless_replayed(stored)
    if stored.pk is None:
        # The same signed bytes again within 24 hours (a replayed request, or the same body posted in parallel):
        # acknowledged, not stored a second time.
        cutoff = timezone.now() - timedelta(hours=24)
        earlier = WebhookDelivery.objects.filter(body_sha256=digest, received_at__gte=cutoff).order_by("id").first()
        return earlier or WebhookDelivery.objects.get(body_sha256=digest, received_day=stored.received_day)
    transaction.on_commit(lambda: enqueue_webhook(stored.pk))
    return stored


def _insert_unless_replayed(stored: WebhookDelivery) -> int | None:
    """Store the delivery and return its id, or None when the same body was stored within the last 24 hours.

    One statement, `INSERT ... SELECT ... WHERE NOT EXISTS (...) ON CONFLICT DO NOTHING RETURNING id`: the replay
    check and the insert in one round trip, committed on its own (autocommit: no BEGIN/COMMIT on the hottest path),
    and no savepoint needed inside a caller's transaction, since a clash with the unique (hash, day) pair is not an
    error. The values are prepared by the model's own fields, as `Model.save()` would.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    fields = [f for f in WebhookDelivery._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(stored, add=True), connection) for f in fields]
    cutoff = connection.ops.adapt_datetimefield_value(stored.received_at - timedelta(hours=24))
    table = quote(WebhookDelivery._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608 (names from the model)
        f" SELECT {', '.join(['%s'] * len(fields))}"
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE body_sha256 = %s AND received_at >= %s)"
        " ON CONFLICT (body_sha256, received_day) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, stored.body_sha256, cutoff])
        row = cursor.fetchone()
    return row[0] if row else None


# Keys whose values are identifiers, never customer text: never masked (a 13-digit phone id may pass Luhn).
_IDENTIFIER_KEYS = frozenset(
    {
        "id",
        "from",
        "wa_id",
        "user_id",
        "from_user_id",
        "recipient_id",
        "timestamp",
        "sha256",
        "mime_type",
        "type",
        "phone_number_id",
        "display_phone_number",
        "message_id",
        "original_message_id",
        "catalog_id",
        "product_retailer_id",
        "url",
        "link",
        "href",
        "code",
    }
)
# ... except a `url` the customer chose: a shared contact card's `urls[].url`, a shared location's `url` (the media
# `url` is Meta's download link and stays an identifier).
_CUSTOMER_URL_PARENTS = frozenset({"urls", "location"})


def _redact_payload(payload: dict) -> None:
    """Mask card numbers in every customer-written string of each message, in place, where the receiving account
    redacts (unknown numbers are masked too). The count travels with the message for the `redaction.applied` event.

    The account's choice is read only when there is something to mask: a first pass counts without changing
    anything, and most messages hold no card number (no query for them on the hottest path)."""
    for entry in parsing._l(payload.get("entry")):  # any JSON at all may arrive here: shapes are checked
        for change in parsing._l(parsing._d(entry).get("changes")):
            value = parsing._d(change).get("value")
            if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
                continue
            messages = [message for message in value["messages"] if isinstance(message, dict)]
            contacts = value["contacts"] if isinstance(value.get("contacts"), list) else None
            for message in messages:
                message.pop(parsing.REDACTION_COUNT_KEY, None)  # ours alone, never taken from the body
            found = sum(_redact_strings(message, apply=False) for message in messages)
            if contacts is not None:  # the sender's profile name is theirs too
                found += _redact_strings(contacts, "contacts", apply=False)
            if not found:
                continue
            phone_number_id = str(parsing._d(value.get("metadata")).get("phone_number_id", ""))[:64]
            # values_list()[:1], not first(): no ORDER BY to compile and run (one row at most).
            flags = (
                WhatsAppAccount.objects.filter(phone_number_id=phone_number_id)
                .order_by()
                .values_list("redact_credit_cards", flat=True)[:1]
            )
            if flags and not flags[0]:
                continue
            if contacts is not None:
                _redact_strings(contacts, "contacts")
            for message in messages:
                count = _redact_strings(message)
                if count:
                    message[parsing.REDACTION_COUNT_KEY] = count


def _redact_strings(node, key: str = "", *, apply: bool = True) -> int:
    """Mask (with `apply`) or only count the card numbers in the customer-written strings under `node`."""
    count = 0
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str):
                if k not in _IDENTIFIER_KEYS or (k == "url" and key in _CUSTOMER_URL_PARENTS):
                    redact = redaction.redact_filename if k == "filename" else redaction.redact
                    masked, found = redact(v)
                    if apply:
                        node[k] = masked
                    count += found
            else:
                count += _redact_strings(v, k, apply=apply)
    elif isinstance(node, list):
        for index, v in enumerate(node):
            if isinstance(v, str):
                if key not in _IDENTIFIER_KEYS:
                    masked, found = redaction.redact(v)
                    if apply:
                        node[index] = masked
                    count += found
            else:
                count += _redact_strings(v, key, apply=apply)
    return count


def enqueue_webhook(delivery_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task("channels_whatsapp.tasks.process_webhook", delivery_id, task_name=f"webhook-{delivery_id}")
    except Exception:  # the row is stored: the sweep picks it up when the broker is back
        logger.exception("Could not enqueue webhook %s; it stays pending", delivery_id)


# --- Webhook processing (in the worker) -------------------------------------------------------------------


def webhook_process(*, delivery_id: int) -> None:
    """Process one stored delivery: all of its messages and statuses and the mark `processed`, in one transaction.

    Either everything the delivery holds is written and the row says so, in the same commit, or nothing is and the
    row stays pending (the task's retry or the sweep hands it out again). The delivery row is locked first, so a
    duplicate task waits and then finds it processed. The first attempt runs without savepoints (each costs two
    round trips, and an error anywhere rolls the whole delivery back anyway); if the database refuses something
    there (a race lost to another worker, a deadlock), the delivery is processed again from the start with a
    savepoint per message, as a race then only costs that message a note.
    """
    try:
        with transaction.atomic():
            _delivery_process(delivery_id=delivery_id, savepoints=False)
    except DatabaseError:
        logger.info("Webhook %s: processing again with a savepoint per message", delivery_id, exc_info=True)
        with transaction.atomic():
            _delivery_process(delivery_id=delivery_id, savepoints=True)


def _delivery_process(*, delivery_id: int, savepoints: bool) -> None:
    deliveries = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id)
    version = account_cache.version_expression()
    if version is not None:
        deliveries = deliveries.annotate(accounts_version=version)
    stored = deliveries.first()
    if stored is None or stored.state == WebhookDelivery.State.PROCESSED:
        return
    notes: list[str] = []
    with nullcontext() if savepoints else _without_savepoints():
        for change in parsing.parse_payload(stored.payload):
            notes.extend(change.problems)
            notes.extend(
                _process_change(
                    change,
                    delivery_id=delivery_id,
                    accounts_version=getattr(stored, "accounts_version", None),
                    savepoints=savepoints,
                )
            )
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        state=WebhookDelivery.State.PROCESSED,
        processed_at=timezone.now(),
        attempts=stored.attempts + 1,
        notes=notes[:100],
    )


@contextmanager
def _without_savepoints():
    """Nested `atomic` blocks (the services') open no savepoint: inside the delivery's one transaction a failure
    rolls everything back anyway. An error caught inside one of them then leaves the transaction unusable, so the
    next statement raises and `webhook_process` starts again with savepoints."""
    features = transaction.get_connection().features
    features.uses_savepoints = False
    try:
        yield
    finally:
        del features.uses_savepoints  # back to the backend's class attribute


def _process_change(
    change: parsing.Change, *, delivery_id: int | None = None, accounts_version: str | None = None, savepoints=True
) -> list[str]:
    if change.field == "message_template_status_update" and change.template_status is not None:
        from channels_whatsapp import template_sync

        return template_sync.template_status_update(waba_id=change.waba_id, update=change.template_status)
    if change.field != "messages":
        return [f"ignored change field '{change.field}'"]
    account = account_cache.account_for_phone_number(change.phone_number_id, version=accounts_version)
    if account is None:
        count = len(change.messages) + len(change.statuses)
        return [f"unknown phone_number_id '{change.phone_number_id}': {count} item(s) kept here, not processed"]
    notes = [f"webhook error {e.code}: {e.title} {e.detail}".strip() for e in change.errors]
    for message in change.messages:
        handle = inbound.inbound_message_handle if savepoints else inbound.inbound_message_write
        try:
            note = handle(account=account, change=change, message=message, delivery_id=delivery_id)
        except IntegrityError as exc:  # never silently: a lost race is harmless, anything else must be seen
            if not savepoints:
                raise  # the transaction is unusable without a savepoint: start again with them
            note = f"message {message.wamid} not stored: {exc}"[:500]
        if note:
            notes.append(note)
    for status in change.statuses:
        note = statuses.status_handle(account=account, status=status, delivery_id=delivery_id)
        if note:
            notes.append(note)
    return notes


def pending_work_requeue(*, older_than_seconds: int = 60) -> int:
    """Re-enqueue webhooks and sends whose enqueue was lost (broker down at commit time)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    count = 0
    for delivery_id in WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.PENDING, received_at__lt=cutoff
    ).values_list("pk", flat=True)[:1000]:
        enqueue_webhook(delivery_id)
        count += 1
    for comment_id in OutboundSend.objects.filter(state=OutboundSend.State.QUEUED, updated_at__lt=cutoff).values_list(
        "comment_id", flat=True
    )[:1000]:
        outbound.enqueue_send(comment_id)
        count += 1
    return count
