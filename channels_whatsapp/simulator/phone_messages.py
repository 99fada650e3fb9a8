"""The simulated phone: the customer's messages, recorded and posted to our webhook as signed Meta webhooks over
real HTTP. Tests drive it with `phone_send(PhoneMessage(...))`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_whatsapp.simulator import media_files, protocol, selectors
from channels_whatsapp.simulator.models import (
    SimContact,
    SimMedia,
    SimMessage,
)

logger = logging.getLogger(__name__)


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
    contact, _created = SimContact.objects.update_or_create(wa_id=wa, defaults={"name": (name or "").strip() or wa})
    return contact


@dataclass(frozen=True)
class PhoneMessage:
    """One message the phone writes to a business number. `kind` says which fields count:

    text: `text`. media: `content`, `filename`, `mime_type`, `text` as the caption (stored in the media store first,
    then announced with its media id, MIME type and base64 SHA-256, so the worker fetches it through the Graph API).
    reaction: `reaction_to` (the message reacted to), `emoji` ("" removes it). location: `latitude`, `longitude`,
    `location_name`, `address`.
    """

    wa_id: str
    name: str
    phone_number_id: str
    kind: str = "text"
    text: str = ""
    content: bytes = b""
    filename: str = ""
    mime_type: str = ""
    reaction_to: str = ""
    emoji: str = ""
    latitude: float = 0.0
    longitude: float = 0.0
    location_name: str = ""
    address: str = ""
    forwarded: bool = False
    frequently_forwarded: bool = False
    hours_ago: float = 0
    context_id: str | None = None


@dataclass(frozen=True)
class PhoneSend:
    """What the phone posted and what our webhook answered (0: unreachable)."""

    payload: dict
    wamid: str
    webhook_status: int


def phone_send(message: PhoneMessage) -> PhoneSend:
    """The phone sends `message`: recorded, then posted to our webhook as a signed Meta webhook over HTTP."""
    builder = _CONTENT.get(message.kind)
    if builder is None:
        raise SimulatorError(_("The phone cannot send a '%(kind)s' message.") % {"kind": message.kind})
    type_, content, summary = builder(message)
    return _phone_post(message, type_=type_, content=content, summary=summary)


def _text(message: PhoneMessage) -> tuple[str, dict, str]:
    if not message.text:
        raise SimulatorError(_("A text message needs a text."))
    return "text", {"body": message.text}, message.text


def _media(message: PhoneMessage) -> tuple[str, dict, str]:
    if len(message.content) > protocol.PHONE_MEDIA_MAX:
        raise SimulatorError(_("WhatsApp does not send files over 100 MB."))
    mime = protocol.base_mime(message.mime_type) or "application/octet-stream"
    media = media_files.media_store(
        content=message.content, mime_type=mime, filename=message.filename, origin=SimMedia.Origin.PHONE
    )
    type_ = protocol.inbound_media_type(mime)
    obj: dict = {"mime_type": mime, "sha256": media.sha256, "id": media.media_id}
    if type_ in ("image", "video", "document") and message.text:
        obj["caption"] = message.text
    if type_ == "document":
        obj["filename"] = message.filename or "file"
    if type_ == "audio":
        obj["voice"] = False
    if type_ == "sticker":
        obj["animated"] = False
    return type_, obj, message.text or message.filename


def _reaction(message: PhoneMessage) -> tuple[str, dict, str]:
    if not message.reaction_to:
        raise SimulatorError(_("A reaction needs the message it reacts to."))
    return "reaction", {"message_id": message.reaction_to, "emoji": message.emoji}, message.emoji


def _location(message: PhoneMessage) -> tuple[str, dict, str]:
    latitude, longitude = message.latitude, message.longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise SimulatorError(_("Latitude must be within ±90 and longitude within ±180."))
    obj: dict = {"latitude": latitude, "longitude": longitude}
    if message.location_name:
        obj["name"] = message.location_name
    if message.address:
        obj["address"] = message.address
    return "location", obj, message.location_name or message.address or f"{latitude}, {longitude}"


_CONTENT: dict[str, Callable[[PhoneMessage], tuple[str, dict, str]]] = {
    "text": _text,
    "media": _media,
    "reaction": _reaction,
    "location": _location,
}


def _wa_id(wa_id: str) -> str:
    wa = protocol.digits(wa_id)
    if not 5 <= len(wa) <= 20:
        raise SimulatorError(_("A WhatsApp id is the phone number's digits, with country code (5 to 20 digits)."))
    return wa


def _forward_kind(message: PhoneMessage) -> str:
    if message.frequently_forwarded:
        return "frequently_forwarded"
    return "forwarded" if message.forwarded else ""


def _phone_post(message: PhoneMessage, *, type_: str, content: dict, summary: str) -> PhoneSend:
    if not message.phone_number_id:
        raise SimulatorError(_("Pick the business number the phone writes to."))
    if not 0 <= message.hours_ago <= MAX_HOURS_AGO:
        raise SimulatorError(_("'Sent N hours ago' must be between 0 and %(max)s.") % {"max": MAX_HOURS_AGO})
    contact = contact_save(wa_id=message.wa_id, name=message.name)
    number = selectors.business_number(message.phone_number_id)
    sent_at = timezone.now() - timedelta(hours=message.hours_ago)
    wamid = protocol.new_wamid("SIM")
    body: dict = {
        "from": contact.wa_id,
        "from_user_id": protocol.user_id_for(contact.wa_id),
        "id": wamid,
        "timestamp": str(int(sent_at.timestamp())),
        "type": type_,
        type_: content,
    }
    quotes = message.kind in ("text", "media")  # a reaction names its message in its content, not as a quote
    context_id = message.context_id if quotes else None
    forwarded = _forward_kind(message) if quotes else ""
    context: dict = {}
    if forwarded:
        context[forwarded] = True
    if context_id:
        context.update({"from": protocol.digits(number.display_phone_number), "id": context_id})
    if context:
        body["context"] = context
    payload = protocol.envelope(
        waba_id=number.waba_id,
        phone_number_id=number.phone_number_id,
        display_phone_number=number.display_phone_number,
        value={"contacts": [protocol.contact_json(contact.wa_id, contact.name)], "messages": [body]},
    )
    record = SimMessage.objects.create(
        wamid=wamid,
        direction=SimMessage.Direction.INBOUND,
        phone_number_id=number.phone_number_id,
        wa_id=contact.wa_id,
        type=type_,
        body=body,
        text=summary,
        context_id=context_id or message.reaction_to,
        forwarded=forwarded,
        sent_at=sent_at,
    )
    status = post_webhook(payload)
    SimMessage.objects.filter(pk=record.pk).update(webhook_status=status)
    return PhoneSend(payload=payload, wamid=wamid, webhook_status=status)
