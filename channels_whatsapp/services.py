"""WhatsApp channel writes: webhook intake and processing, inbound messages, outbound sends, media.

Statuses are in statuses.py, reactions/edits/revokes in message_updates.py, the sender-binding rules in binding.py.
"""

import hashlib
import hmac
import json
import logging
import math
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_whatsapp import (
    binding,
    client,
    media,
    message_text,
    parsing,
    redaction,
    refusals,
    selectors,
    statuses,
    window,
)
from channels_whatsapp.models import (
    AccountChange,
    InboundReceipt,
    OutboundSend,
    RefusedEvent,
    WebhookDelivery,
    WhatsAppAccount,
    WhatsAppConversation,
)
from tickets import delivery, events
from tickets import services as ticket_services
from tickets.errors import DomainError
from tickets.models import Attachment, Comment, Contact, DeliveryStatus, Ticket, TicketStatus, Via

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 3 * 1024 * 1024
REDACTION_TAG = "credit_card_redacted"
MAX_SEND_ATTEMPTS = 5
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

WINDOW_CLOSED_TITLE = "Outside the 24-hour customer service window"
WINDOW_CLOSED_DETAIL = (
    "More than 24 hours have passed since the customer's last WhatsApp message. The reply was kept on the ticket "
    "but not sent; only an approved message template can reach the customer now."
)


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
    # The same signed bytes again within 24 hours (a replayed request): acknowledged, not stored a second time.
    digest = hashlib.sha256(body).hexdigest()
    now = timezone.now()
    earlier = WebhookDelivery.objects.filter(body_sha256=digest, received_at__gte=now - timedelta(hours=24)).first()
    if earlier is not None:
        return earlier
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
    # One INSERT, committed on its own (autocommit): no BEGIN/COMMIT round trips on the hottest path. Inside a
    # caller's transaction, a savepoint keeps a clash from breaking it; on_commit still waits for that commit.
    fields = {"payload": payload, "body_sha256": digest, "received_day": now.date()}
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                stored = WebhookDelivery.objects.create(**fields)
        else:
            stored = WebhookDelivery.objects.create(**fields)
    except IntegrityError:  # the same body posted in parallel: the other request stored it (unique hash + day)
        return WebhookDelivery.objects.get(body_sha256=digest, received_day=fields["received_day"])
    transaction.on_commit(lambda: enqueue_webhook(stored.pk))
    return stored


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
REDACTION_COUNT_KEY = "_supportdesk_redactions"


def _redact_payload(payload: dict) -> None:
    """Mask card numbers in every customer-written string of each message, in place, where the receiving account
    redacts (unknown numbers are masked too). The count travels with the message for the `redaction.applied` event."""
    for entry in parsing._l(payload.get("entry")):  # any JSON at all may arrive here: shapes are checked
        for change in parsing._l(parsing._d(entry).get("changes")):
            value = parsing._d(change).get("value")
            if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
                continue
            phone_number_id = str(parsing._d(value.get("metadata")).get("phone_number_id", ""))[:64]
            # values_list()[:1], not first(): no ORDER BY to compile and run on the hottest path (one row at most).
            flags = (
                WhatsAppAccount.objects.filter(phone_number_id=phone_number_id)
                .order_by()
                .values_list("redact_credit_cards", flat=True)[:1]
            )
            redacts = not flags or flags[0]
            if redacts and isinstance(value.get("contacts"), list):  # the sender's profile name is theirs too
                _redact_strings(value["contacts"], "contacts")
            for message in value["messages"]:
                if isinstance(message, dict):
                    message.pop(REDACTION_COUNT_KEY, None)  # ours alone, never taken from the body
                    count = _redact_strings(message) if redacts else 0
                    if count:
                        message[REDACTION_COUNT_KEY] = count


def _redact_strings(node, key: str = "") -> int:
    count = 0
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str):
                if k not in _IDENTIFIER_KEYS or (k == "url" and key in _CUSTOMER_URL_PARENTS):
                    redact = redaction.redact_filename if k == "filename" else redaction.redact
                    node[k], found = redact(v)
                    count += found
            else:
                count += _redact_strings(v, k)
    elif isinstance(node, list):
        for index, v in enumerate(node):
            if isinstance(v, str):
                if key not in _IDENTIFIER_KEYS:
                    node[index], found = redaction.redact(v)
                    count += found
            else:
                count += _redact_strings(v, key)
    return count


def enqueue_webhook(delivery_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task("channels_whatsapp.tasks.process_webhook", delivery_id, task_name=f"webhook-{delivery_id}")
    except Exception:  # the row is stored: the sweep picks it up when the broker is back
        logger.exception("Could not enqueue webhook %s; it stays pending", delivery_id)


# --- Webhook processing (in the worker) -------------------------------------------------------------------


def webhook_process(*, delivery_id: int) -> None:
    stored = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if stored is None or stored.state == WebhookDelivery.State.PROCESSED:
        return
    notes: list[str] = []
    for change in parsing.parse_payload(stored.payload):
        notes.extend(change.problems)
        notes.extend(_process_change(change, delivery_id=delivery_id))
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        state=WebhookDelivery.State.PROCESSED,
        processed_at=timezone.now(),
        attempts=stored.attempts + 1,
        notes=notes[:100],
    )


def _process_change(change: parsing.Change, *, delivery_id: int | None = None) -> list[str]:
    if change.field == "message_template_status_update" and change.template_status is not None:
        from channels_whatsapp import templates

        return templates.template_status_update(waba_id=change.waba_id, update=change.template_status)
    if change.field != "messages":
        return [f"ignored change field '{change.field}'"]
    account = selectors.account_for_phone_number(change.phone_number_id)
    if account is None:
        count = len(change.messages) + len(change.statuses)
        return [f"unknown phone_number_id '{change.phone_number_id}': {count} item(s) kept here, not processed"]
    notes = [f"webhook error {e.code}: {e.title} {e.detail}".strip() for e in change.errors]
    for message in change.messages:
        try:
            note = inbound_message_handle(account=account, change=change, message=message, delivery_id=delivery_id)
        except IntegrityError as exc:  # never silently: a lost race is harmless, anything else must be seen
            note = f"message {message.wamid} not stored: {exc}"[:500]
        if note:
            notes.append(note)
    for status in change.statuses:
        note = statuses.status_handle(account=account, status=status, delivery_id=delivery_id)
        if note:
            notes.append(note)
    return notes


# --- Inbound messages ---------------------------------------------------------------------------------------


def _contact_for(*, change: parsing.Change, message: parsing.InboundMessage) -> Contact:
    profile = change.profile_for(message.sender_wa_id, message.sender_user_id)
    wa_id = message.sender_wa_id or (profile.wa_id if profile else "")
    user_id = message.sender_user_id or (profile.user_id if profile else "")
    name = (profile.name if profile else "") or wa_id or user_id or "WhatsApp user"
    contact = None
    if wa_id:
        contact = Contact.objects.filter(wa_id=wa_id).first()
    if contact is None and user_id:
        contact = Contact.objects.filter(whatsapp_user_id=user_id).first()
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    name=name[:200], wa_id=wa_id or None, whatsapp_user_id=user_id or None, phone=wa_id and f"+{wa_id}"
                )
        except IntegrityError:  # created concurrently by another worker
            contact = Contact.objects.get(wa_id=wa_id) if wa_id else Contact.objects.get(whatsapp_user_id=user_id)
    updates = {}
    if profile and profile.name and contact.name in ("", contact.wa_id, "WhatsApp user"):
        updates["name"] = profile.name[:200]
    # An id another contact already holds stays there (the unique constraint would refuse the message).
    if user_id and not contact.whatsapp_user_id and not Contact.objects.filter(whatsapp_user_id=user_id).exists():
        updates["whatsapp_user_id"] = user_id
    if wa_id and not contact.wa_id and not Contact.objects.filter(wa_id=wa_id).exists():
        updates["wa_id"] = wa_id
    if updates:
        Contact.objects.filter(pk=contact.pk).update(**updates)
    # One worker at a time per customer: two first messages arriving together must not open two tickets.
    return Contact.objects.select_for_update().get(pk=contact.pk)


def render_body(message: parsing.InboundMessage) -> str:
    """What the agent reads for each message type (see message_text)."""
    return message_text.render_body(message)


def redact_inbound(*, account: WhatsAppAccount, text: str) -> tuple[str, int]:
    """Card numbers in WhatsApp messages are masked before anything is stored, unless the account opted out."""
    if not account.redact_credit_cards:
        return text, 0
    return redaction.redact(text)


def redaction_recorded(*, comment: Comment, count: int) -> None:
    events.record(
        ticket=comment.ticket,
        type=events.REDACTION_APPLIED,
        data={"comment_id": comment.pk, "where": "comment", "count": count},
    )
    if comment.ticket.status != TicketStatus.CLOSED:  # a closed ticket takes no change, not even a tag
        ticket_services.ticket_update(
            ticket=comment.ticket, changes={"add_tags": [REDACTION_TAG]}, source="whatsapp", run_listeners=False
        )


@transaction.atomic
def inbound_message_handle(
    *, account: WhatsAppAccount, change: parsing.Change, message: parsing.InboundMessage, delivery_id: int | None = None
) -> str | None:
    """Turn one inbound message into a comment (or an event), exactly once. Returns a note for the admin, if any."""
    try:
        with transaction.atomic():
            InboundReceipt.objects.create(wamid=message.wamid, message_type=message.type[:30])
    except IntegrityError:
        return None  # already processed: redelivery never creates a second comment
    if message.type in ("reaction", "edit", "revoke"):
        from channels_whatsapp import message_updates

        return message_updates.message_update(account=account, message=message, delivery_id=delivery_id)
    if message.type in ("request_welcome",):
        return f"{message.type} from {message.sender_wa_id} (no content)"
    if message.type == "system":
        return _system_message(account=account, message=message, delivery_id=delivery_id)
    contact = _contact_for(change=change, message=message)
    received_at = timezone.now()
    sent_at = window.effective_send_time(message.sent_at or received_at, received_at)
    quoted, quotes_ours = _quoted_comment(account=account, contact=contact, message=message, delivery_id=delivery_id)
    if quotes_ours and quoted.ticket.status != TicketStatus.CLOSED:
        # A swipe-reply to one of our messages answers that conversation, even if a newer ticket was opened since.
        conversation_ticket = quoted.ticket
    else:
        conversation = selectors.latest_conversation(account=account, contact=contact)
        conversation_ticket = conversation.ticket if conversation else None
    body = render_body(message)
    body, redactions = redact_inbound(account=account, text=body)
    subject, _ = redact_inbound(account=account, text=message_text.subject_for(message))
    redactions += int(message.raw.get(REDACTION_COUNT_KEY) or 0) if isinstance(message.raw, dict) else 0
    details = dict(message.details)
    if message.frequently_forwarded:
        details["frequently_forwarded"] = True
    if message.errors:
        details["errors"] = [{"code": e.code, "title": e.title, "detail": e.detail} for e in message.errors[:10]]

    def link(ticket: Ticket) -> None:
        WhatsAppConversation.objects.create(ticket=ticket, account=account, contact=contact)

    comment = ticket_services.end_user_message_add(
        conversation_ticket=conversation_ticket,
        requester=contact,
        via=Via.WHATSAPP,
        body=body,
        subject=subject,
        sent_at=sent_at,
        channel_message_id=message.wamid,
        forwarded=message.forwarded,
        in_reply_to=quoted,
        message_type=message.type,
        channel_data=details,
        on_ticket_created=link,
    )
    if redactions:
        redaction_recorded(comment=comment, count=redactions)
    if message.type in ("text", "button", "interactive"):
        _opt_in_keyword(contact=contact, comment=comment, text=message.text)
    if message.media is not None and message.media.id:
        _attach_inbound_media(comment=comment, account=account, message=message)
    for error in message_text.errors_for_notes(message):  # what the comment itself does not already say
        ticket_services.system_note_add(
            ticket=comment.ticket,
            body=_inbound_error_note(error),
            data={"code": error.code, "title": error.title, "detail": error.detail},
        )
    from channels_whatsapp import pending_updates

    # Reactions, edits and revokes that came before this message: applied now, in their timestamp order.
    return "; ".join(pending_updates.pending_apply(target_wamid=message.wamid)) or None


def _quoted_comment(
    *, account: WhatsAppAccount, contact: Contact, message: parsing.InboundMessage, delivery_id: int | None
) -> tuple[Comment | None, bool]:
    """The comment a reply quotes (`context.id`), if it may be linked, and whether it is one of our messages.

    Only a message of this conversation counts: ours sent from this number to this customer, or the customer's own
    on this number. A quote of anything else is not linked, not used for routing, and recorded as refused.
    """
    comment_id = selectors.comment_id_by_wamid(message.context_id)
    if comment_id is None:
        return None, False
    quoted = selectors.comment_for_binding(comment_id)
    reason = binding.quote_refusal(comment=quoted, account=account, contact=contact)
    if reason is not None:
        refusals.event_refuse(
            account=account,
            kind=RefusedEvent.Kind.QUOTE,
            reason=reason,
            wamid=message.wamid,
            target_wamid=message.context_id,
            comment=quoted,
            sender=message.sender_wa_id or message.sender_user_id,
            delivery_id=delivery_id,
        )
        return None, False
    return quoted, binding.is_outbound(quoted)


def _keywords(setting: str) -> set[str]:
    return {k.strip().upper() for k in getattr(settings, setting, []) if k.strip()}


def _opt_in_keyword(*, contact: Contact, comment: Comment, text: str) -> None:
    """A message that is just STOP (or START, configurable) records an opt-out (or opt-in)."""
    word = " ".join(text.split()).upper().strip(".!")
    if word in _keywords("WHATSAPP_OPT_OUT_KEYWORDS"):
        opt_in, note = False, f"The customer opted out of WhatsApp marketing messages ({word})."
    elif word in _keywords("WHATSAPP_OPT_IN_KEYWORDS"):
        opt_in, note = True, f"The customer opted in to WhatsApp messages ({word})."
    else:
        return
    ticket_services.contact_opt_in_set(contact=contact, opted_in=opt_in, source=f"whatsapp keyword {word}")
    ticket_services.system_note_add(ticket=comment.ticket, body=note, data={"opt_in": opt_in, "keyword": word})


def _inbound_error_note(error: parsing.GraphErrorInfo) -> str:
    return message_text.error_text(error)


def _system_message(
    *, account: WhatsAppAccount, message: parsing.InboundMessage, delivery_id: int | None
) -> str | None:
    kind = message.details.get("kind", "")
    new_wa_id = message.details.get("wa_id", "")
    contact = Contact.objects.filter(wa_id=message.sender_wa_id).first() if message.sender_wa_id else None
    if contact is None:
        return f"system message '{kind}' for unknown sender"
    # Bound like every other event: only a number this customer talks to may tell us their number changed.
    conversation = selectors.latest_conversation(account=account, contact=contact)
    if conversation is None:
        return refusals.event_refuse(
            account=account,
            kind=RefusedEvent.Kind.SYSTEM,
            reason=RefusedEvent.Reason.WRONG_ACCOUNT,
            wamid=message.wamid,
            sender=message.sender_wa_id,
            delivery_id=delivery_id,
        )
    if kind == "user_changed_number" and new_wa_id and not Contact.objects.filter(wa_id=new_wa_id).exists():
        Contact.objects.filter(pk=contact.pk).update(wa_id=new_wa_id, phone=f"+{new_wa_id}")
    latest = conversation.ticket
    if latest.status != "closed":
        ticket_services.system_note_add(
            ticket=latest,
            body=message_text.system_text(kind=kind, text=message.text, new_wa_id=new_wa_id),
            data={"kind": kind, "new_wa_id": new_wa_id},
        )
    return None


# --- Media ---------------------------------------------------------------------------------------------------


def _attach_inbound_media(*, comment: Comment, account: WhatsAppAccount, message: parsing.InboundMessage) -> None:
    m = message.media
    filename = m.filename or f"{message.type}-{message.wamid[-12:]}{_extension(m.mime_type)}"
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()  # the sender's name for it, never a path
    if filename in ("", ".", ".."):
        filename = f"{message.type}{_extension(m.mime_type)}"
    filename, _ = redact_inbound(account=account, text=filename)
    attachment = Attachment.objects.create(
        ticket=comment.ticket,
        comment=comment,
        filename=filename[:255],
        content_type=media.base_mime(m.mime_type)[:120] or "application/octet-stream",
        size=0,
        sha256=m.sha256,
        channel_media_id=m.id,
    )
    # Text never waits for media: the download is its own task.
    transaction.on_commit(lambda: enqueue_media_download(attachment.pk))


def _extension(mime_type: str) -> str:
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "video/mp4": ".mp4",
        "audio/ogg": ".ogg",
        "audio/mpeg": ".mp3",
        "audio/aac": ".aac",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
    }.get(media.base_mime(mime_type), "")


def enqueue_media_download(attachment_id: int) -> None:
    from django_q.tasks import async_task

    async_task("channels_whatsapp.tasks.download_media", attachment_id, task_name=f"media-{attachment_id}")


class MediaRejected(Exception):
    pass


def media_download(*, attachment_id: int, attempt: int = 1) -> bool:
    """Fetch one inbound file (id -> URL -> bytes with the Bearer token), check it, store it.

    Returns True when stored. Transient failures raise GraphError so the caller can retry; a permanent refusal
    becomes a system note on the ticket.
    """
    attachment = Attachment.objects.select_related("comment", "ticket").filter(pk=attachment_id).first()
    if attachment is None or attachment.file:
        return True
    conversation = selectors.conversation_for_ticket(attachment.ticket_id)
    if conversation is None:
        return False
    account = conversation.account
    limit = media.inbound_limit(attachment.comment.message_type if attachment.comment else "document")
    try:
        info = client.media_info(
            media_id=attachment.channel_media_id, token=account.access_token, phone_number_id=account.phone_number_id
        )
        if info.file_size is not None and info.file_size > limit:
            raise MediaRejected(f"it is {info.file_size} bytes, more than the {limit} bytes allowed for this type")
        content, content_type = client.download_media(url=info.url, token=account.access_token, max_bytes=limit)
        if not _digest_matches(attachment=attachment, content=content, announced=info.sha256):
            raise MediaRejected("its checksum does not match what WhatsApp announced")
    except MediaRejected as exc:
        _media_failed(attachment, f"The file {attachment.filename} was not stored: {exc}.")
        return False
    except client.GraphError as exc:
        if exc.transient and attempt < 3:
            raise
        _media_failed(attachment, f"The file {attachment.filename} could not be downloaded from WhatsApp ({exc}).")
        return False
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if attachment.file:
            return True
        attachment.file.save(attachment.filename, ContentFile(content), save=False)
        attachment.size = len(content)
        mime = media.base_mime(info.mime_type or content_type)
        if mime:
            attachment.content_type = mime[:120]
        attachment.save()
    return True


def _digest_matches(*, attachment: Attachment, content: bytes, announced: str) -> bool:
    """Every sha256 WhatsApp announced (webhook, then media info) that is a digest must be the file's; compared as
    32 bytes, whatever the encoding. None announced: nothing to check. One that is no digest: logged, not used."""
    actual = hashlib.sha256(content).digest()
    for source, text in (("webhook", attachment.sha256), ("media info", announced)):
        if not text:
            continue
        digest = media.sha256_digest(text)
        if digest is None:
            logger.warning(
                "Attachment %s: the %s sha256 is not a SHA-256 digest (%s characters); not checked against it",
                attachment.pk,
                source,
                len(text),
            )
        elif not hmac.compare_digest(digest, actual):
            return False
    return True


def _media_failed(attachment: Attachment, text: str) -> None:
    ticket_services.system_note_add(
        ticket=attachment.ticket, body=text, data={"attachment_id": attachment.pk, "comment_id": attachment.comment_id}
    )


# --- Outbound --------------------------------------------------------------------------------------------------


def outbound_handle(comment: Comment) -> None:
    """Registered with the core for via=whatsapp: decide, inside the agent's transaction, whether this can go out."""
    conversation = selectors.conversation_for_ticket(comment.ticket_id)
    if conversation is None:
        delivery.delivery_fail(
            comment=comment,
            code="no_whatsapp_conversation",
            title="No WhatsApp conversation",
            detail="This ticket has no WhatsApp number and contact to send to.",
        )
        return
    if comment.template is None:
        win = window.window_at(comment.ticket.last_customer_message_at, timezone.now())
        if not win.open:
            delivery.delivery_fail(
                comment=comment, code="window_closed", title=WINDOW_CLOSED_TITLE, detail=WINDOW_CLOSED_DETAIL
            )
            return
    else:
        from channels_whatsapp.template_replies import template_refusal

        refusal = template_refusal(comment=comment, conversation=conversation)
        if refusal is not None:
            code, title, detail = refusal
            delivery.delivery_fail(comment=comment, code=code, title=title, detail=detail)
            return
    delivery.delivery_queue(comment=comment)
    OutboundSend.objects.create(comment=comment, account=conversation.account)
    transaction.on_commit(lambda: enqueue_send(comment.pk))


def prepare_reply(ticket: Ticket, body: str):
    """Template shorthand in a public reply (see template_replies)."""
    if "&((" not in body:
        return None
    from channels_whatsapp import template_replies

    return template_replies.prepare_reply(ticket, body)


def enqueue_send(comment_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task("channels_whatsapp.tasks.send_comment", comment_id, task_name=f"send-{comment_id}")
    except Exception:  # stays queued; the sweep re-enqueues it
        logger.exception("Could not enqueue the send of comment %s", comment_id)


def _recipient(contact: Contact) -> dict:
    if contact.wa_id:
        return {"to": f"+{contact.wa_id.lstrip('+')}"}
    return {"recipient": contact.whatsapp_user_id}


def build_messages(*, comment: Comment, contact: Contact, media_ids: dict[int, tuple[str, str]]) -> list[dict]:
    """The Cloud API bodies for one comment: a template, a text, or one media message per attachment."""
    base = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **_recipient(contact),
        "biz_opaque_callback_data": f"comment:{comment.pk}",
    }
    if comment.template is not None and comment.template.get("payload"):
        return [{**base, "type": "template", "template": comment.template["payload"]}]
    attachments = list(comment.attachments.all())
    if not attachments:
        return [
            {**base, "type": "text", "text": {"body": comment.body[:TEXT_LIMIT], "preview_url": "http" in comment.body}}
        ]
    messages = []
    caption = comment.body
    for attachment in attachments:
        media_id, kind = media_ids[attachment.pk]
        obj: dict = {"id": media_id}
        if kind in ("image", "video", "document") and caption:
            obj["caption"] = caption[:CAPTION_LIMIT]
            caption = ""
        if kind == "document":
            obj["filename"] = attachment.filename
        messages.append({**base, "type": kind, kind: obj})
    if caption:  # a caption too long or on audio: send the text too
        messages.insert(0, {**base, "type": "text", "text": {"body": caption[:TEXT_LIMIT]}})
    return messages


def _backoff(attempt: int) -> float:
    return getattr(settings, "WHATSAPP_RETRY_BASE_SECONDS", 1.0) * (2 ** (attempt - 1))


def comment_send(*, comment_id: int) -> str:
    """Send one queued comment. Retries transient errors with exponential backoff, at most MAX_SEND_ATTEMPTS.

    Never twice: the row is claimed (queued -> sending) in its own transaction before the POST, and only a
    `queued` row is sent. A worker that dies during a backoff leaves it `queued` for django-q's redelivery; one
    that dies during a POST leaves it `sending`, which the sweep fails as unconfirmed instead of resending.
    """
    for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
        with transaction.atomic():
            send = (
                OutboundSend.objects.select_for_update().select_related("account").filter(comment_id=comment_id).first()
            )
            if send is None or send.state != OutboundSend.State.QUEUED:
                return "not queued"
            comment = Comment.objects.select_related("ticket").get(pk=comment_id)
            if (
                comment.template is None
                and not window.window_at(comment.ticket.last_customer_message_at, timezone.now()).open
            ):
                send.state = OutboundSend.State.FAILED
                send.save(update_fields=["state", "updated_at"])
                delivery.delivery_fail(
                    comment=comment, code="window_closed", title=WINDOW_CLOSED_TITLE, detail=WINDOW_CLOSED_DETAIL
                )
                return "window closed"
            send.state = OutboundSend.State.SENDING
            send.attempts += 1
            send.save(update_fields=["state", "attempts", "updated_at"])
        try:
            result = _post_comment(comment=comment, send=send)
        except client.GraphError as exc:
            if exc.transient and attempt < MAX_SEND_ATTEMPTS:
                OutboundSend.objects.filter(pk=send.pk).update(
                    state=OutboundSend.State.QUEUED, last_error=str(exc)[:500]
                )
                time.sleep(_backoff(attempt))
                continue
            _send_failed(send=send, comment_id=comment_id, exc=exc, exhausted=exc.transient)
            return f"failed {exc.code}"
        with transaction.atomic():
            OutboundSend.objects.filter(pk=send.pk).update(
                state=OutboundSend.State.SENT, payload=result["payloads"], wamids=result["wamids"]
            )
            comment = Comment.objects.select_for_update().get(pk=comment_id)
            recorded = not comment.channel_message_id
            if recorded:
                comment.channel_message_id = result["wamids"][0]
                comment.save(update_fields=["channel_message_id"])
            delivery.delivery_advance(comment=comment, status=DeliveryStatus.SENT)
            if recorded:  # a wamid recorded before (a revived timeout) took its events live
                from channels_whatsapp import pending_updates

                # A reaction to this message processed before its wamid was recorded here: applied now.
                pending_updates.pending_apply(target_wamid=comment.channel_message_id)
        return "sent"
    return "exhausted"


def _post_comment(*, comment: Comment, send: OutboundSend) -> dict:
    account = send.account
    conversation = selectors.conversation_for_ticket(comment.ticket_id)
    media_ids: dict[int, tuple[str, str]] = {}
    for attachment in comment.attachments.all():
        kind = media.outbound_type_for(attachment.content_type, attachment.size)
        if kind is None:
            raise client.GraphError(
                "131053",
                "Media type not accepted by WhatsApp",
                f"{attachment.filename} ({attachment.content_type}, {attachment.size} bytes) cannot be sent.",
            )
        attachment.file.open("rb")
        try:
            content = attachment.file.read()
        finally:
            attachment.file.close()
        media_ids[attachment.pk] = (
            client.upload_media(
                phone_number_id=account.phone_number_id,
                token=account.access_token,
                filename=attachment.filename,
                content=content,
                mime_type=media.base_mime(attachment.content_type),
            ),
            kind,
        )
    payloads = build_messages(comment=comment, contact=conversation.contact, media_ids=media_ids)
    wamids = []
    for payload in payloads:
        result = client.send_message(
            phone_number_id=account.phone_number_id, token=account.access_token, payload=payload
        )
        wamids.append(result.wamid)
    return {"payloads": payloads, "wamids": wamids}


def _send_failed(*, send: OutboundSend, comment_id: int, exc: client.GraphError, exhausted: bool) -> None:
    title = exc.title
    detail = exc.detail
    if exhausted:
        detail = f"{detail} (gave up after {send.attempts} attempts)".strip()
    with transaction.atomic():
        OutboundSend.objects.filter(pk=send.pk).update(state=OutboundSend.State.FAILED, last_error=str(exc)[:500])
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        delivery.delivery_fail(comment=comment, code=exc.code, title=title, detail=detail)


def unconfirmed_sends_fail(*, older_than_seconds: int = 300) -> int:
    """Sends left `sending` by a worker that died during the POST: fail them visibly rather than risk a duplicate."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    count = 0
    for send in OutboundSend.objects.filter(state=OutboundSend.State.SENDING, updated_at__lt=cutoff):
        exc = client.GraphError(
            "timeout",
            "Delivery not confirmed",
            "The worker stopped while sending; the message may or may not have reached WhatsApp and was not resent.",
        )
        _send_failed(send=send, comment_id=send.comment_id, exc=exc, exhausted=False)
        count += 1
    return count


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
        enqueue_send(comment_id)
        count += 1
    return count


# --- Accounts ----------------------------------------------------------------------------------------------------


@transaction.atomic
def account_create(*, actor=None, **fields) -> WhatsAppAccount:
    if WhatsAppAccount.objects.filter(phone_number_id=fields.get("phone_number_id")).exists():
        raise DomainError("This phone number id is already connected.", field="phone_number_id")
    return WhatsAppAccount.objects.create(**fields)


@transaction.atomic
def account_update(*, account: WhatsAppAccount, actor=None, **fields) -> WhatsAppAccount:
    changed = {}
    for name, value in fields.items():
        if name == "access_token":
            if value:
                account.access_token = value
                changed[name] = "(changed)"
            continue
        if getattr(account, name) != value:
            changed[name] = [getattr(account, name), value]
            setattr(account, name, value)
    account.save()
    if changed:
        logger.info(
            "WhatsApp account %s changed by %s: %s",
            account.pk,
            getattr(actor, "username", "system"),
            ", ".join(f"{k}={v}" for k, v in changed.items()),
        )
        AccountChange.objects.create(account=account, actor=actor, changes=changed)
    return account


def window_for_ticket(ticket: Ticket, now: datetime | None = None) -> window.Window:
    return window.window_at(ticket.last_customer_message_at, now or timezone.now())


def channel_info(ticket: Ticket) -> dict:
    """The ticket's `whatsapp` object in the API and pages. Reads only the ticket and its prefetched conversation."""
    conversation = getattr(ticket, "whatsapp", None)
    win = window_for_ticket(ticket)
    return {
        "account_id": conversation.account_id if conversation else None,
        "last_customer_message_at": ticket.last_customer_message_at,
        "window": win.as_dict(),
    }
