"""The simulator's writes: the phone's messages (signed webhooks over real HTTP), accepted sends and their
status webhooks, the media store, the template registry and fault drills.

Tests drive the phone with `phone_send_text` / `phone_send_media` / `phone_send_reaction` / `phone_send_location`
and the Graph side with `fault_inject`, `template_create` and `templates_seed`. Status webhooks leave from a
daemon thread after commit; `STATUS_DELAY_SECONDS` (module level) spaces them and may be set to 0 in tests;
`status_threads_join()` waits for them.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import F
from django.utils import timezone

from channels_whatsapp.simulator import protocol, selectors
from channels_whatsapp.simulator.models import (
    DEFAULT_WABA_ID,
    SimContact,
    SimMedia,
    SimMessage,
    SimTemplate,
    SimulatorFault,
)
from channels_whatsapp.simulator.protocol import GraphRequestError

logger = logging.getLogger(__name__)

STATUS_DELAY_SECONDS = 0.2  # before each status webhook; tests set 0
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_HOURS_AGO = 24 * 365


class SimulatorError(ValueError):
    """The tester asked the phone for something impossible (bad number, file too big...)."""


# --- Webhooks: signing and posting -----------------------------------------------------------------------


def webhook_url() -> str:
    return settings.WHATSAPP_SIMULATOR_WEBHOOK_URL or f"{settings.SITE_URL.rstrip('/')}/whatsapp/webhook/"


def build_signed_webhook(payload: dict) -> tuple[bytes, dict[str, str]]:
    """The body exactly as Meta sends it (ASCII-escaped compact JSON) and its headers, signed with the app secret."""
    body = protocol.serialize(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature-256": protocol.signature(body, settings.WHATSAPP_APP_SECRET or ""),
    }
    return body, headers


def post_webhook(payload: dict) -> int:
    """POST a signed webhook to our own webhook URL over real HTTP. The HTTP status, or 0 when unreachable."""
    body, headers = build_signed_webhook(payload)
    url = webhook_url()
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT)
    except httpx.HTTPError as exc:
        logger.warning("simulator: webhook %s unreachable: %s", url, exc)
        return 0
    if response.status_code >= 300:
        logger.warning("simulator: webhook %s answered HTTP %s", url, response.status_code)
    return response.status_code


# --- The phone -------------------------------------------------------------------------------------------


def contact_save(*, wa_id: str, name: str) -> SimContact:
    wa = _wa_id(wa_id)
    contact, _ = SimContact.objects.update_or_create(wa_id=wa, defaults={"name": (name or "").strip() or wa})
    return contact


def phone_send_text(
    wa_id: str,
    name: str,
    text: str,
    *,
    phone_number_id: str,
    forwarded: bool = False,
    frequently_forwarded: bool = False,
    hours_ago: float = 0,
    context_id: str | None = None,
) -> dict:
    """The phone writes a text; returns the webhook payload it posted (signed, over HTTP)."""
    return phone_send_text_result(
        wa_id,
        name,
        text,
        phone_number_id=phone_number_id,
        forwarded=forwarded,
        frequently_forwarded=frequently_forwarded,
        hours_ago=hours_ago,
        context_id=context_id,
    ).payload


def phone_send_media(
    wa_id: str,
    name: str,
    *,
    phone_number_id: str,
    content: bytes,
    filename: str,
    mime_type: str,
    caption: str = "",
    forwarded: bool = False,
    frequently_forwarded: bool = False,
    hours_ago: float = 0,
    context_id: str | None = None,
) -> dict:
    """The phone sends a photo, video, voice note or file: stored in the media store first, then announced by
    webhook with its media id, MIME type and base64 SHA-256, so the worker can fetch it through the Graph API."""
    return phone_send_media_result(
        wa_id,
        name,
        phone_number_id=phone_number_id,
        content=content,
        filename=filename,
        mime_type=mime_type,
        caption=caption,
        forwarded=forwarded,
        frequently_forwarded=frequently_forwarded,
        hours_ago=hours_ago,
        context_id=context_id,
    ).payload


def phone_send_reaction(
    wa_id: str, name: str, *, phone_number_id: str, message_id: str, emoji: str, hours_ago: float = 0
) -> dict:
    """The phone reacts to a business message (an empty emoji removes the reaction)."""
    return phone_send_reaction_result(
        wa_id, name, phone_number_id=phone_number_id, message_id=message_id, emoji=emoji, hours_ago=hours_ago
    ).payload


def phone_send_location(
    wa_id: str,
    name: str,
    *,
    phone_number_id: str,
    latitude: float,
    longitude: float,
    location_name: str = "",
    address: str = "",
    hours_ago: float = 0,
) -> dict:
    return phone_send_location_result(
        wa_id,
        name,
        phone_number_id=phone_number_id,
        latitude=latitude,
        longitude=longitude,
        location_name=location_name,
        address=address,
        hours_ago=hours_ago,
    ).payload


@dataclass(frozen=True)
class PhoneSend:
    """What the phone posted and what our webhook answered (0: unreachable)."""

    payload: dict
    wamid: str
    webhook_status: int


def phone_send_text_result(
    wa_id: str,
    name: str,
    text: str,
    *,
    phone_number_id: str,
    forwarded: bool = False,
    frequently_forwarded: bool = False,
    hours_ago: float = 0,
    context_id: str | None = None,
) -> PhoneSend:
    """`phone_send_text`, also returning our webhook's HTTP status (the phone page shows it)."""
    if not text:
        raise SimulatorError("A text message needs a text.")
    return _phone_send(
        wa_id=wa_id,
        name=name,
        phone_number_id=phone_number_id,
        type_="text",
        content={"body": text},
        summary=text,
        forwarded=_forward_kind(forwarded, frequently_forwarded),
        hours_ago=hours_ago,
        context_id=context_id,
    )


def phone_send_media_result(
    wa_id: str,
    name: str,
    *,
    phone_number_id: str,
    content: bytes,
    filename: str,
    mime_type: str,
    caption: str = "",
    forwarded: bool = False,
    frequently_forwarded: bool = False,
    hours_ago: float = 0,
    context_id: str | None = None,
) -> PhoneSend:
    if len(content) > protocol.PHONE_MEDIA_MAX:
        raise SimulatorError("WhatsApp does not send files over 100 MB.")
    mime = protocol.base_mime(mime_type) or "application/octet-stream"
    media = media_store(
        content=content, mime_type=mime, filename=filename, origin=SimMedia.Origin.PHONE, phone_number_id=""
    )
    type_ = protocol.inbound_media_type(mime)
    obj: dict = {"mime_type": mime, "sha256": media.sha256, "id": media.media_id}
    if type_ in ("image", "video", "document") and caption:
        obj["caption"] = caption
    if type_ == "document":
        obj["filename"] = filename or "file"
    if type_ == "audio":
        obj["voice"] = False
    if type_ == "sticker":
        obj["animated"] = False
    return _phone_send(
        wa_id=wa_id,
        name=name,
        phone_number_id=phone_number_id,
        type_=type_,
        content=obj,
        summary=caption or filename,
        forwarded=_forward_kind(forwarded, frequently_forwarded),
        hours_ago=hours_ago,
        context_id=context_id,
    )


def phone_send_reaction_result(
    wa_id: str, name: str, *, phone_number_id: str, message_id: str, emoji: str, hours_ago: float = 0
) -> PhoneSend:
    if not message_id:
        raise SimulatorError("A reaction needs the message it reacts to.")
    return _phone_send(
        wa_id=wa_id,
        name=name,
        phone_number_id=phone_number_id,
        type_="reaction",
        content={"message_id": message_id, "emoji": emoji},
        summary=emoji,
        hours_ago=hours_ago,
        reaction_to=message_id,
    )


def phone_send_location_result(
    wa_id: str,
    name: str,
    *,
    phone_number_id: str,
    latitude: float,
    longitude: float,
    location_name: str = "",
    address: str = "",
    hours_ago: float = 0,
) -> PhoneSend:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise SimulatorError("Latitude must be within ±90 and longitude within ±180.")
    obj: dict = {"latitude": latitude, "longitude": longitude}
    if location_name:
        obj["name"] = location_name
    if address:
        obj["address"] = address
    summary = location_name or address or f"{latitude}, {longitude}"
    return _phone_send(
        wa_id=wa_id,
        name=name,
        phone_number_id=phone_number_id,
        type_="location",
        content=obj,
        summary=summary,
        hours_ago=hours_ago,
    )


def _wa_id(wa_id: str) -> str:
    wa = protocol.digits(wa_id)
    if not 5 <= len(wa) <= 20:
        raise SimulatorError("A WhatsApp id is the phone number's digits, with country code (5 to 20 digits).")
    return wa


def _forward_kind(forwarded: bool, frequently_forwarded: bool) -> str:
    if frequently_forwarded:
        return "frequently_forwarded"
    return "forwarded" if forwarded else ""


def _phone_send(
    *,
    wa_id: str,
    name: str,
    phone_number_id: str,
    type_: str,
    content: dict,
    summary: str,
    forwarded: str = "",
    hours_ago: float = 0,
    context_id: str | None = None,
    reaction_to: str = "",
) -> PhoneSend:
    if not phone_number_id:
        raise SimulatorError("Pick the business number the phone writes to.")
    if not 0 <= hours_ago <= MAX_HOURS_AGO:
        raise SimulatorError(f"'Sent N hours ago' must be between 0 and {MAX_HOURS_AGO}.")
    contact = contact_save(wa_id=wa_id, name=name)
    number = selectors.business_number(phone_number_id)
    sent_at = timezone.now() - timedelta(hours=hours_ago)
    wamid = protocol.new_wamid("SIM")
    message: dict = {
        "from": contact.wa_id,
        "from_user_id": protocol.user_id_for(contact.wa_id),
        "id": wamid,
        "timestamp": str(int(sent_at.timestamp())),
        "type": type_,
        type_: content,
    }
    context: dict = {}
    if forwarded:
        context[forwarded] = True
    if context_id:
        context.update({"from": protocol.digits(number.display_phone_number), "id": context_id})
    if context:
        message["context"] = context
    payload = protocol.envelope(
        waba_id=number.waba_id,
        phone_number_id=number.phone_number_id,
        display_phone_number=number.display_phone_number,
        value={"contacts": [protocol.contact_json(contact.wa_id, contact.name)], "messages": [message]},
    )
    record = SimMessage.objects.create(
        wamid=wamid,
        direction=SimMessage.Direction.INBOUND,
        phone_number_id=number.phone_number_id,
        wa_id=contact.wa_id,
        type=type_,
        body=message,
        text=summary,
        context_id=context_id or reaction_to,
        forwarded=forwarded,
        sent_at=sent_at,
    )
    status = post_webhook(payload)
    SimMessage.objects.filter(pk=record.pk).update(webhook_status=status)
    return PhoneSend(payload=payload, wamid=wamid, webhook_status=status)


# --- Media store -----------------------------------------------------------------------------------------


def media_store(
    *, content: bytes, mime_type: str, filename: str, origin: str, phone_number_id: str = "", token: str = ""
) -> SimMedia:
    if len(content) > protocol.PHONE_MEDIA_MAX:
        raise GraphRequestError(131053, "File is larger than 100 MB.")
    return SimMedia.objects.create(
        media_id=protocol.new_media_id(),
        origin=origin,
        phone_number_id=phone_number_id,
        content=content,
        mime_type=mime_type,
        filename=filename[:255],
        size=len(content),
        sha256=protocol.sha256_b64(content),
        token_hash=protocol.token_hash(token) if token else "",
    )


def media_upload(
    *, phone_number_id: str, token: str, messaging_product: str, mime_type: str, filename: str, content: bytes | None
) -> SimMedia:
    """POST /{phone_number_id}/media, validated like the Cloud API (MIME whitelist, size per kind)."""
    if not messaging_product:
        raise GraphRequestError(100, "The parameter messaging_product is required.")
    if messaging_product != "whatsapp":
        raise GraphRequestError(131009, "Param messaging_product must be 'whatsapp'.")
    if content is None:
        raise GraphRequestError(100, "The parameter file is required.")
    mime = protocol.base_mime(mime_type)
    limit = protocol.UPLOAD_LIMITS.get(mime)
    if limit is None:
        raise GraphRequestError(
            131053, f"Param file must be a file with one of the following types: {', '.join(protocol.UPLOAD_LIMITS)}."
        )
    if len(content) > limit:
        raise GraphRequestError(131053, f"{mime} files may be at most {limit} bytes; received {len(content)}.")
    if not content:
        raise GraphRequestError(131053, "The file is empty.")
    return media_store(
        content=content,
        mime_type=mime,
        filename=filename,
        origin=SimMedia.Origin.BUSINESS,
        phone_number_id=phone_number_id,
        token=token,
    )


def media_delete(*, media_id: str) -> None:
    deleted, _ = SimMedia.objects.filter(media_id=media_id).delete()
    if not deleted:
        raise GraphRequestError(100, protocol.unknown_object(media_id))


# --- Faults ----------------------------------------------------------------------------------------------


def fault_inject(kind: str, *, count: int = 1, delay_seconds: float = 0.0) -> SimulatorFault:
    """The next `count` sends (POST /messages) answer HTTP 500 / HTTP 429 code 130429 / sleep `delay_seconds`
    then answer normally / are accepted and then fail with a 131026 status."""
    if kind not in SimulatorFault.Kind.values:
        raise SimulatorError(f"Unknown fault {kind!r}; one of {', '.join(SimulatorFault.Kind.values)}.")
    if not 1 <= count <= 1000:
        raise SimulatorError("A fault applies to 1 to 1000 sends.")
    if not 0 <= delay_seconds <= 120:
        raise SimulatorError("A delay is 0 to 120 seconds.")
    return SimulatorFault.objects.create(kind=kind, remaining=count, delay_seconds=delay_seconds)


def faults_clear() -> int:
    deleted, _ = SimulatorFault.objects.all().delete()
    return deleted


def fault_take() -> SimulatorFault | None:
    """Consume one use of the oldest pending fault (atomically: two concurrent sends never share one use)."""
    for fault in SimulatorFault.objects.filter(remaining__gt=0).order_by("id")[:5]:
        if SimulatorFault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            SimulatorFault.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault
    return None


# --- Templates -------------------------------------------------------------------------------------------

SEED_TEMPLATES: list[dict] = [
    {"name": "order_update", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "body": "Hi {{1}}, your order {{2}} has shipped."},
    {"name": "ticket_followup", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "body": "Hello {{1}}, we have an update on your request #{{2}}. Reply to continue the conversation."},
    {"name": "welcome_offer", "language": "en_US", "category": "MARKETING", "status": "APPROVED",
     "body": "Hi {{1}}! Enjoy 10% off with code {{2}}."},
    {"name": "hello_world", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "body": "Hello World"},
    {"name": "spring_sale", "language": "en_US", "category": "MARKETING", "status": "REJECTED",
     "body": "Spring sale! {{1}} off everything this week."},
    {"name": "ticket_followup", "language": "pt_BR", "category": "UTILITY", "status": "APPROVED",
     "body": "Olá {{1}}, temos novidades sobre o seu pedido #{{2}}."},
    {"name": "order_receipt", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
     "header_format": "DOCUMENT", "body": "Hi {{1}}, here is the receipt for order {{2}}."},
]  # fmt: skip


def templates_seed(*, waba_id: str = DEFAULT_WABA_ID) -> int:
    """Add the demo templates that are missing; returns how many were created. Idempotent."""
    created = 0
    for spec in SEED_TEMPLATES:
        defaults = {k: v for k, v in spec.items() if k not in ("name", "language")}
        _, was_created = SimTemplate.objects.get_or_create(
            waba_id=waba_id, name=spec["name"], language=spec["language"], defaults=defaults
        )
        created += was_created
    return created


def templates_ensure_seeded() -> None:
    """An empty registry gets the demo templates on first use."""
    if not SimTemplate.objects.exists():
        templates_seed()


def template_create(
    *,
    name: str,
    language: str,
    body: str,
    category: str = SimTemplate.Category.UTILITY,
    status: str = SimTemplate.Status.APPROVED,
    waba_id: str = DEFAULT_WABA_ID,
    header_format: str = "",
    header_text: str = "",
    footer: str = "",
    buttons: list | None = None,
) -> SimTemplate:
    templates_ensure_seeded()  # a custom template joins the demo registry, it does not replace it
    template, _ = SimTemplate.objects.update_or_create(
        waba_id=waba_id,
        name=name,
        language=language,
        defaults={
            "body": body,
            "category": category,
            "status": status,
            "header_format": header_format,
            "header_text": header_text,
            "footer": footer,
            "buttons": buttons or [],
        },
    )
    return template


# --- Sends (POST /{phone_number_id}/messages) ------------------------------------------------------------


@dataclass
class _Accepted:
    type: str
    text: str
    category: str = "service"
    template_name: str = ""
    template_language: str = ""
    free_form: bool = True


def message_send(*, phone_number_id: str, token: str, body: object) -> dict:
    """Accept (or refuse, raising GraphRequestError) a send, record it, and schedule its status webhooks."""
    if not isinstance(body, dict):
        raise GraphRequestError(100, "The request body must be a JSON object.")
    if body.get("status") == "read" and "message_id" in body:
        return _mark_read(phone_number_id=phone_number_id, body=body)
    fault = fault_take()
    if fault is not None:
        if fault.kind == SimulatorFault.Kind.SERVER_ERROR:
            raise GraphRequestError(131000, "Simulated server error.", http_status=500)
        if fault.kind == SimulatorFault.Kind.RATE_LIMIT:
            raise GraphRequestError(130429, "Cloud API message throughput has been reached.", http_status=429)
        if fault.kind == SimulatorFault.Kind.DELAY:
            time.sleep(fault.delay_seconds)

    recipient = _validate_common(body)
    wa_id = protocol.digits(recipient)
    accepted = _validate_typed(body, phone_number_id=phone_number_id)
    context = body.get("context") if isinstance(body.get("context"), dict) else {}
    callback = body.get("biz_opaque_callback_data")
    callback = callback if isinstance(callback, str) else ""

    wamid = protocol.new_wamid()
    SimMessage.objects.create(
        wamid=wamid,
        direction=SimMessage.Direction.OUTBOUND,
        phone_number_id=phone_number_id,
        wa_id=wa_id,
        type=accepted.type,
        body=body,
        text=accepted.text,
        template_name=accepted.template_name,
        template_language=accepted.template_language,
        biz_opaque_callback_data=callback[:512],
        context_id=str(context.get("message_id", ""))[:200],
        sent_at=timezone.now(),
        status=SimMessage.Status.ACCEPTED,
        token_hash=protocol.token_hash(token),
    )

    if fault is not None and fault.kind == SimulatorFault.Kind.UNDELIVERABLE:
        plan = [("failed", protocol.status_error(131026, "Message undeliverable", "Message Undeliverable."))]
    elif accepted.free_form and not selectors.window_open(wa_id=wa_id, phone_number_id=phone_number_id):
        error = protocol.status_error(131047, "Re-engagement message", protocol.RE_ENGAGEMENT_DETAILS)
        plan = [("failed", error)]
    else:
        plan = [("sent", None), ("delivered", None), ("read", None)]
    number = selectors.business_number(phone_number_id)
    job = _StatusJob(
        wamid=wamid,
        recipient_id=wa_id,
        callback_data=callback,
        category=accepted.category,
        waba_id=number.waba_id,
        phone_number_id=phone_number_id,
        display_phone_number=number.display_phone_number,
        plan=plan,
        profile_name=selectors.contact_name(wa_id),
    )
    transaction.on_commit(lambda: _start_status_thread(job))
    logger.info("simulator: accepted %s message %s to %s", accepted.type, wamid, wa_id)
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": recipient, "wa_id": wa_id}],
        "messages": [{"id": wamid}],
    }


def _mark_read(*, phone_number_id: str, body: dict) -> dict:
    if body.get("messaging_product") != "whatsapp":
        raise GraphRequestError(131009, "Param messaging_product must be 'whatsapp'.")
    message = SimMessage.objects.filter(
        wamid=str(body.get("message_id")), direction=SimMessage.Direction.INBOUND, phone_number_id=phone_number_id
    ).first()
    if message is None:
        raise GraphRequestError(131009, "Invalid message_id.")
    # Meta marks the earlier messages of the chat read too.
    SimMessage.objects.filter(
        direction=SimMessage.Direction.INBOUND,
        wa_id=message.wa_id,
        phone_number_id=phone_number_id,
        sent_at__lte=message.sent_at,
    ).update(status=SimMessage.Status.READ)
    return {"success": True}


def _validate_common(body: dict) -> str:
    product = body.get("messaging_product")
    if product is None:
        raise GraphRequestError(100, "The parameter messaging_product is required.")
    if product != "whatsapp":
        raise GraphRequestError(131009, "Param messaging_product must be 'whatsapp'.")
    recipient = body.get("to") or body.get("recipient")
    if not recipient:
        raise GraphRequestError(100, "The parameter to is required.")
    if not isinstance(recipient, str) or not protocol.digits(recipient):
        raise GraphRequestError(131009, "Param to must be a valid phone number or WhatsApp id.")
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise GraphRequestError(131009, "Param recipient_type must be 'individual'.")
    type_ = body.get("type", "text")
    if type_ not in protocol.SENDABLE_TYPES:
        raise GraphRequestError(
            131009, f"Param type must be one of {{{', '.join(t.upper() for t in protocol.SENDABLE_TYPES)}}}."
        )
    if not isinstance(body.get(type_), dict):
        raise GraphRequestError(131008, f"The parameter {type_} is required.")
    return recipient


def _validate_typed(body: dict, *, phone_number_id: str) -> _Accepted:
    type_ = body.get("type", "text")
    obj: dict = body[type_]
    if type_ == "text":
        text = obj.get("body")
        if not isinstance(text, str) or not text:
            raise GraphRequestError(131008, "The parameter text['body'] is required.")
        if len(text) > protocol.TEXT_MAX:
            raise GraphRequestError(100, f"Param text['body'] must be at most {protocol.TEXT_MAX} characters long.")
        return _Accepted(type=type_, text=text)
    if type_ in protocol.MEDIA_TYPES:
        return _validate_media(type_, obj)
    if type_ == "reaction":
        if not obj.get("message_id"):
            raise GraphRequestError(131008, "The parameter reaction['message_id'] is required.")
        if "emoji" not in obj:
            raise GraphRequestError(131008, "The parameter reaction['emoji'] is required.")
        return _Accepted(type=type_, text=str(obj.get("emoji") or ""))
    if type_ == "location":
        for key in ("latitude", "longitude"):
            if obj.get(key) in (None, ""):
                raise GraphRequestError(131008, f"The parameter location['{key}'] is required.")
        text = str(obj.get("name") or obj.get("address") or f"{obj['latitude']}, {obj['longitude']}")
        return _Accepted(type=type_, text=text)
    if type_ == "interactive":
        if not obj.get("type"):
            raise GraphRequestError(131008, "The parameter interactive['type'] is required.")
        if not isinstance(obj.get("action"), dict):
            raise GraphRequestError(131008, "The parameter interactive['action'] is required.")
        text = (obj.get("body") or {}).get("text", "") if isinstance(obj.get("body"), dict) else ""
        return _Accepted(type=type_, text=str(text))
    return _validate_template(obj, phone_number_id=phone_number_id)


def _validate_media(type_: str, obj: dict) -> _Accepted:
    media_id, link = obj.get("id"), obj.get("link")
    if not media_id and not link:
        raise GraphRequestError(131008, f"The parameter {type_}['id'] or {type_}['link'] is required.")
    if media_id and not SimMedia.objects.filter(media_id=str(media_id)).exists():
        raise GraphRequestError(131009, f"Media id ({media_id}) is not valid.")
    caption = obj.get("caption") or ""
    if caption and type_ in ("audio", "sticker"):
        raise GraphRequestError(131009, f"Param {type_}['caption'] is not supported for {type_} messages.")
    if len(str(caption)) > protocol.CAPTION_MAX:
        raise GraphRequestError(100, f"Param {type_}['caption'] must be at most {protocol.CAPTION_MAX} characters.")
    text = str(caption or obj.get("filename") or "")
    return _Accepted(type=type_, text=text)


TEXT_PARAMS = ("text", "currency", "date_time")


def _component_params(components: list, kind: str) -> list:
    params: list = []
    for component in components:
        if isinstance(component, dict) and str(component.get("type", "")).lower() == kind:
            params.extend(component.get("parameters") or [])
    return params


def _validate_template(obj: dict, *, phone_number_id: str) -> _Accepted:
    name = obj.get("name")
    language = obj.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not name:
        raise GraphRequestError(131008, "The parameter template['name'] is required.")
    if not code:
        raise GraphRequestError(131008, "The parameter template['language']['code'] is required.")
    templates_ensure_seeded()
    template = selectors.template_for_send(phone_number_id=phone_number_id, name=str(name), language=str(code))
    if template is None or template.status in (SimTemplate.Status.PENDING, SimTemplate.Status.REJECTED):
        raise GraphRequestError(132001, f"template name ({name}) does not exist in {code}")
    if template.status == SimTemplate.Status.PAUSED:
        raise GraphRequestError(132015, f"Template {name} is paused because of low quality.")
    if template.status == SimTemplate.Status.DISABLED:
        raise GraphRequestError(132016, f"Template {name} has been disabled.")
    components = obj.get("components") or []
    if not isinstance(components, list):
        raise GraphRequestError(131009, "Param template['components'] must be an array.")

    body_params = _component_params(components, "body")
    expected = protocol.placeholder_count(template.body)
    if len(body_params) != expected:
        raise GraphRequestError(
            132000,
            f"body: number of localizable_params ({len(body_params)}) does not match the expected number of "
            f"params ({expected})",
        )
    header_params = _component_params(components, "header")
    if template.header_format == SimTemplate.HeaderFormat.TEXT:
        expected = protocol.placeholder_count(template.header_text)
        if len(header_params) != expected:
            raise GraphRequestError(
                132000,
                f"header: number of localizable_params ({len(header_params)}) does not match the expected number "
                f"of params ({expected})",
            )
    elif template.header_format:
        kind = template.header_format.lower()
        param = header_params[0] if header_params else {}
        media = param.get(kind) if isinstance(param, dict) else None
        if param.get("type") != kind or not isinstance(media, dict) or not (media.get("id") or media.get("link")):
            received = str(param.get("type") or "none").upper() if isinstance(param, dict) else "NONE"
            raise GraphRequestError(
                132012, f"header: Format mismatch, expected {template.header_format}, received {received}"
            )

    textual = [p for p in body_params + header_params if not isinstance(p, dict) or p.get("type") in TEXT_PARAMS]
    for text in map(protocol.parameter_text, textual):
        if not text.strip():
            raise GraphRequestError(131008, "Parameter of type text is missing text value")
        if "\n" in text or "\t" in text or "     " in text:
            raise GraphRequestError(
                132018,
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                message="(#132018) There was an issue with the parameters in your template.",
            )
    rendered = protocol.render(template.body, [protocol.parameter_text(p) for p in body_params])
    return _Accepted(
        type="template",
        text=rendered,
        category=template.category.lower(),
        template_name=template.name,
        template_language=template.language,
        free_form=False,
    )


# --- Status webhooks (a daemon thread after commit) ------------------------------------------------------


@dataclass
class _StatusJob:
    wamid: str
    recipient_id: str
    callback_data: str
    category: str
    waba_id: str
    phone_number_id: str
    display_phone_number: str
    plan: list[tuple[str, dict | None]]
    profile_name: str = ""
    conversation_id: str = field(default_factory=lambda: secrets.token_hex(16))


_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


def _start_status_thread(job: _StatusJob) -> None:
    thread = threading.Thread(target=_run_status_job, args=(job,), name=f"sim-status-{job.wamid[-8:]}", daemon=True)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()


def status_threads_join(timeout: float = 10.0) -> bool:
    """Wait (bounded) until every status thread has finished; True when none is left running."""
    deadline = time.monotonic() + timeout
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


def status_payload(job: _StatusJob, status: str, error: dict | None, *, timestamp: int) -> dict:
    obj = protocol.status_json(
        wamid=job.wamid,
        status=status,
        timestamp=timestamp,
        recipient_id=job.recipient_id,
        callback_data=job.callback_data,
        conversation_id=job.conversation_id,
        category=job.category,
        pricing=status in ("sent", "delivered"),  # on `sent` and on one of delivered/read, never both
        expiration_timestamp=timestamp + 24 * 3600 if status == "sent" else None,
        errors=[error] if error else None,
    )
    return protocol.envelope(
        waba_id=job.waba_id,
        phone_number_id=job.phone_number_id,
        display_phone_number=job.display_phone_number,
        value=protocol.status_value(status=obj, recipient_id=job.recipient_id, profile_name=job.profile_name),
    )


def _run_status_job(job: _StatusJob) -> None:
    try:
        for status, error in job.plan:
            time.sleep(STATUS_DELAY_SECONDS)
            post_webhook(status_payload(job, status, error, timestamp=int(time.time())))
            code = str(error["code"]) if error else ""
            _retry_db(
                lambda s=status, c=code: SimMessage.objects.filter(wamid=job.wamid).update(status=s, error_code=c)
            )
    except Exception:  # a daemon thread has nobody to report to but the log
        logger.exception("simulator: status webhooks for %s failed", job.wamid)
    finally:
        connections.close_all()  # this thread's connections only


def _retry_db(write: Callable[[], object], attempts: int = 6) -> None:
    """SQLite may be busy with the request thread for a moment; the status write is worth a short retry."""
    for attempt in range(attempts):
        try:
            write()
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
