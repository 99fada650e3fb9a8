"""The Cloud API's wire shapes, as pure functions: error bodies, webhook envelopes, signing, template rendering.

No database and no HTTP here, so every shape can be checked in isolation. Field names follow
/work/shared/whatsapp-cloud-api.md (Meta's docs).
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
from typing import Any

SENDABLE_TYPES = (
    "text",
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "template",
    "reaction",
    "interactive",
    "location",
)
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
TEXT_MAX = 4096
CAPTION_MAX = 1024
PHONE_MEDIA_MAX = 100 * 1024 * 1024  # what a phone may send, and the store's cap

# What POST /media accepts, and how big each kind may be (Meta's media reference).
UPLOAD_LIMITS: dict[str, int] = {
    "image/jpeg": 5 * 1024 * 1024,
    "image/png": 5 * 1024 * 1024,
    "image/webp": 500 * 1024,
    "audio/aac": 16 * 1024 * 1024,
    "audio/amr": 16 * 1024 * 1024,
    "audio/mpeg": 16 * 1024 * 1024,
    "audio/mp4": 16 * 1024 * 1024,
    "audio/ogg": 16 * 1024 * 1024,
    "video/mp4": 16 * 1024 * 1024,
    "video/3gpp": 16 * 1024 * 1024,
    "text/plain": PHONE_MEDIA_MAX,
    "application/pdf": PHONE_MEDIA_MAX,
    "application/msword": PHONE_MEDIA_MAX,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": PHONE_MEDIA_MAX,
    "application/vnd.ms-excel": PHONE_MEDIA_MAX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": PHONE_MEDIA_MAX,
    "application/vnd.ms-powerpoint": PHONE_MEDIA_MAX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": PHONE_MEDIA_MAX,
}

ERROR_TITLES = {
    1: "An unknown error has occurred.",
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    130429: "(#130429) Rate limit hit",
    131000: "(#131000) Something went wrong",
    131008: "(#131008) Required parameter is missing",
    131009: "(#131009) Parameter value is not valid",
    131053: "(#131053) Media upload error",
    132000: "(#132000) Number of parameters does not match the expected number of params",
    132001: "(#132001) Template name does not exist in the translation",
    132012: "(#132012) Parameter format does not match format in the created template",
    132015: "(#132015) Template is Paused",
    132016: "(#132016) Template is Disabled",
}
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
RE_ENGAGEMENT_DETAILS = "More than 24 hours have passed since the recipient last replied to the sender number."


class GraphRequestError(Exception):
    """A synchronous Cloud API error: becomes `{"error": {...}}` with `http_status`."""

    def __init__(self, code: int, details: str = "", *, http_status: int = 400, message: str = ""):
        self.code = code
        self.details = details
        self.http_status = http_status
        self.message = message or ERROR_TITLES.get(code, f"(#{code}) Error")
        super().__init__(f"{self.message}: {details}" if details else self.message)

    def as_json(self) -> dict:
        return error_body(self.code, self.message, self.details, transient=self.http_status >= 500)


def fbtrace_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(27))


def error_body(code: int, message: str, details: str = "", *, transient: bool = False) -> dict:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if transient:
        error["is_transient"] = True
    error["fbtrace_id"] = fbtrace_id()
    return {"error": error}


def unknown_object(node_id: str) -> str:
    return (
        f"Unsupported request. Object with ID '{node_id}' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation."
    )


def unauthorized_body() -> dict:
    return error_body(190, ERROR_TITLES[190])


# --- Identifiers -----------------------------------------------------------------------------------------


def digits(value: str) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


def new_wamid(prefix: str = "HBgM") -> str:
    return f"wamid.{prefix}{secrets.token_hex(16).upper()}"


def new_media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def sha256_b64(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode("ascii")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header, or "" when there is none."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def base_mime(mime_type: str) -> str:
    return (mime_type or "").split(";", 1)[0].strip().lower()


def inbound_media_type(mime_type: str) -> str:
    """The webhook message type a phone's attachment arrives as."""
    mime = base_mime(mime_type)
    if mime == "image/webp":
        return "sticker"
    if mime in ("image/jpeg", "image/png"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    return "document"


# --- Templates -------------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


def placeholder_count(text: str) -> int:
    """How many positional parameters a text expects: the number of distinct `{{n}}`."""
    return len(set(PLACEHOLDER.findall(text or "")))


def render(text: str, params: list[str]) -> str:
    def fill(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        return params[index] if 0 <= index < len(params) else match.group(0)

    return PLACEHOLDER.sub(fill, text or "")


def parameter_text(param: Any) -> str:
    """The display text of one send parameter (text, currency, date_time...)."""
    if not isinstance(param, dict):
        return ""
    kind = param.get("type")
    if kind == "text":
        return str(param.get("text", ""))
    if kind in ("currency", "date_time"):
        return str((param.get(kind) or {}).get("fallback_value", ""))
    if kind == "payload":
        return str(param.get("payload", ""))
    return ""


def template_components(template: Any) -> list[dict]:
    """A registry template (model instance) in Meta's listing shape."""
    components: list[dict] = []
    if template.header_format == "TEXT":
        header: dict = {"type": "HEADER", "format": "TEXT", "text": template.header_text}
        if placeholder_count(template.header_text):
            header["example"] = {"header_text": ["example"]}
        components.append(header)
    elif template.header_format:
        components.append(
            {"type": "HEADER", "format": template.header_format, "example": {"header_handle": ["4::aW1hZ2U="]}}
        )
    body: dict = {"type": "BODY", "text": template.body}
    count = placeholder_count(template.body)
    if count:
        body["example"] = {"body_text": [[f"example {n}" for n in range(1, count + 1)]]}
    components.append(body)
    if template.footer:
        components.append({"type": "FOOTER", "text": template.footer})
    if template.buttons:
        components.append({"type": "BUTTONS", "buttons": list(template.buttons)})
    return components


def template_json(template: Any) -> dict:
    return {
        "name": template.name,
        "parameter_format": "POSITIONAL",
        "components": template_components(template),
        "language": template.language,
        "status": template.status,
        "category": template.category,
        "id": str(template.pk),
    }


# What GET /{waba-id}/message_templates may ask for in `fields` (Meta's MessageTemplate node); fields the
# simulator keeps no value for are left out of the answer, as Graph leaves out unset fields.
TEMPLATE_FIELDS = (
    "id",
    "name",
    "language",
    "status",
    "category",
    "components",
    "parameter_format",
    "previous_category",
    "correct_category",
    "rejected_reason",
    "quality_score",
    "message_send_ttl_seconds",
    "library_template_name",
    "cta_url_link_tracking_opted_out",
    "sub_category",
    "degrees_of_freedom_spec",
)
TEMPLATE_SUMMARY_FIELDS = (
    "total_count",
    "message_template_count",
    "message_template_limit",
    "are_translations_complete",
)
TEMPLATE_LIMIT_PER_WABA = 250


def nonexisting_field(name: str, node_type: str) -> str:
    return f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"


def requested_fields(raw: str, known: tuple[str, ...], *, node_type: str) -> list[str] | None:
    """The names of a Graph `fields` / `summary` parameter, or None when absent; an unknown name is refused
    with code 100 like Graph. Sub-selections (`quality_score{score}`) select the whole field."""
    if not raw:
        return None
    parts, depth, current = [], 0, ""
    for ch in raw:  # split on top-level commas only: `components{type,text}` is one field
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    names = [n for n in (part.split("{", 1)[0].split(".", 1)[0].strip() for part in parts) if n]
    for name in names:
        if name not in known:
            raise GraphRequestError(100, message=nonexisting_field(name, node_type))
    return names


def template_listing_json(template: Any, fields: list[str] | None) -> dict:
    """One template as the listing shows it: every field we hold, or only the requested ones (plus `id`)."""
    full = template_json(template)
    if fields is None:
        return full
    return {k: v for k, v in full.items() if k in fields or k == "id"}


def templates_summary(fields: list[str], *, total_count: int, waba_count: int) -> dict:
    values = {
        "total_count": total_count,
        "message_template_count": waba_count,
        "message_template_limit": TEMPLATE_LIMIT_PER_WABA,
        "are_translations_complete": True,
    }
    return {name: values[name] for name in fields}


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"sim:{pk}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    prefix, _, pk = raw.partition(":")
    return int(pk) if prefix == "sim" and pk.isdigit() else None


# --- Webhooks --------------------------------------------------------------------------------------------


def envelope(*, waba_id: str, phone_number_id: str, display_phone_number: str, value: dict) -> dict:
    """The `whatsapp_business_account` envelope Meta wraps every `messages` change in.

    `metadata.display_phone_number` is digits only on the wire, however the number is written in our settings.
    """
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": digits(display_phone_number),
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def user_id_for(wa_id: str) -> str:
    """The simulator's business-scoped user id (BSUID) of a phone."""
    return f"SIM.{digits(wa_id)}"


def contact_json(wa_id: str, name: str) -> dict:
    return {"profile": {"name": name}, "wa_id": wa_id, "user_id": user_id_for(wa_id)}


def status_value(*, status: dict, recipient_id: str, profile_name: str) -> dict:
    """A status webhook's `value` body: `statuses` plus the recipient in `contacts`, as Meta sends it today.

    Clients such as pywa build the status's user from `value.contacts[0]`; a phone without a profile name yet is
    named by its number, as WhatsApp shows it.
    """
    return {"contacts": [contact_json(recipient_id, profile_name or recipient_id)], "statuses": [status]}


def status_json(
    *,
    wamid: str,
    status: str,
    timestamp: int,
    recipient_id: str,
    callback_data: str = "",
    conversation_id: str = "",
    category: str = "service",
    pricing: bool = False,
    expiration_timestamp: int | None = None,
    errors: list[dict] | None = None,
) -> dict:
    """One `statuses[]` object: `conversation` and `pricing` as Graph v23 sends them, `errors` on `failed`."""
    obj: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": recipient_id}
    if callback_data:
        obj["biz_opaque_callback_data"] = callback_data
    if status == "failed":
        obj["errors"] = errors or []
        return obj
    conversation: dict[str, Any] = {"id": conversation_id}
    if expiration_timestamp is not None:
        conversation["expiration_timestamp"] = str(expiration_timestamp)
    conversation["origin"] = {"type": category}
    obj["conversation"] = conversation
    if pricing:
        free = category == "service"
        obj["pricing"] = {
            "billable": not free,
            "pricing_model": "PMP",
            "type": "free_customer_service" if free else "regular",
            "category": category,
        }
    return obj


def status_error(code: int, title: str, details: str) -> dict:
    return {"code": code, "title": title, "message": title, "error_data": {"details": details}, "href": ERROR_HREF}


def serialize(payload: dict) -> bytes:
    """Meta's serialization: compact JSON, non-ASCII escaped as \\uXXXX (lowercase hex)."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
