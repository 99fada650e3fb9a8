"""Webhook JSON -> small frozen dataclasses, so nothing else digs through nested dicts.

Parsing is defensive: a field of the wrong type is treated as missing, never as a crash. What cannot be used is
reported in `Change.problems` so it can be kept and shown.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
# The longest identifiers we keep: the widths of the columns that store them (a wa_id is also kept as "+wa_id" in 32).
WA_ID_MAX, USER_ID_MAX, WAMID_MAX, SHA256_MAX = 31, 64, 200, 64
# Set by the intake on a stored message: how many card numbers it masked in it (never taken from the body).
REDACTION_COUNT_KEY = "_supportdesk_redactions"


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _id(value: Any, max_length: int) -> str:
    """An identifier as text; one longer than any real one (and than the columns that keep it) counts as missing."""
    text = _s(value)
    return text if len(text) <= max_length else ""


def _ts(value: Any) -> datetime | None:
    try:
        seconds = int(_s(value))
    except ValueError:
        return None
    if not 0 < seconds < 32503680000:  # before year 3000
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass(frozen=True)
class GraphErrorInfo:
    code: str
    title: str
    detail: str

    @classmethod
    def from_json(cls, raw: Any) -> "GraphErrorInfo":
        raw = _d(raw)
        return cls(
            code=_s(raw.get("code")),
            title=_s(raw.get("title")) or _s(raw.get("message")),
            detail=_s(_d(raw.get("error_data")).get("details")) or _s(raw.get("message")),
        )


@dataclass(frozen=True)
class Media:
    id: str
    mime_type: str
    sha256: str
    caption: str = ""
    filename: str = ""
    voice: bool = False
    animated: bool = False
    url: str = ""


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    type: str
    sender_wa_id: str
    sender_user_id: str
    sent_at: datetime | None
    text: str = ""
    media: Media | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    context_id: str = ""
    reaction_to: str = ""
    reaction_emoji: str = ""
    original_id: str = ""  # for edit and revoke
    details: dict = field(default_factory=dict)
    errors: tuple[GraphErrorInfo, ...] = ()
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: str
    sent_at: datetime | None
    recipient_id: str
    callback_data: str
    errors: tuple[GraphErrorInfo, ...] = ()
    recipient_user_id: str = ""  # the recipient's BSUID, when Meta sends one


@dataclass(frozen=True)
class ContactProfile:
    wa_id: str
    user_id: str
    name: str


@dataclass(frozen=True)
class TemplateStatusUpdate:
    template_id: str
    name: str
    language: str
    event: str
    reason: str
    category: str


@dataclass(frozen=True)
class Change:
    field: str
    waba_id: str
    phone_number_id: str
    display_phone_number: str
    contacts: tuple[ContactProfile, ...] = ()
    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    errors: tuple[GraphErrorInfo, ...] = ()
    template_status: TemplateStatusUpdate | None = None
    problems: tuple[str, ...] = ()

    def profile_for(self, wa_id: str, user_id: str = "") -> ContactProfile | None:
        for profile in self.contacts:
            if (wa_id and profile.wa_id == wa_id) or (user_id and profile.user_id == user_id):
                return profile
        return self.contacts[0] if len(self.contacts) == 1 else None


def parse_payload(payload: Any) -> list[Change]:
    """Every entry and every change of a webhook body, in order."""
    changes: list[Change] = []
    for entry in _l(_d(payload).get("entry")):
        entry = _d(entry)
        for raw_change in _l(entry.get("changes")):
            raw_change = _d(raw_change)
            changes.append(_parse_change(_s(entry.get("id")), _s(raw_change.get("field")), _d(raw_change.get("value"))))
    return changes


def _parse_change(waba_id: str, field_name: str, value: dict) -> Change:
    metadata = _d(value.get("metadata"))
    problems: list[str] = []
    template_status = None
    if field_name == "message_template_status_update":
        template_status = TemplateStatusUpdate(
            template_id=_s(value.get("message_template_id")),
            name=_s(value.get("message_template_name")),
            language=_s(value.get("message_template_language")),
            event=_s(value.get("event")),
            reason=_s(value.get("reason")),
            category=_s(value.get("message_template_category")),
        )
    contacts = tuple(
        ContactProfile(
            wa_id=_id(c.get("wa_id"), WA_ID_MAX),
            user_id=_id(c.get("user_id"), USER_ID_MAX),
            name=_s(_d(c.get("profile")).get("name")),
        )
        for c in map(_d, _l(value.get("contacts")))
    )
    messages = []
    for raw in map(_d, _l(value.get("messages"))):
        message = _parse_message(raw)
        if message is None:
            problems.append(f"message without id: {str(raw)[:200]}")
        else:
            messages.append(message)
    statuses = []
    for raw in map(_d, _l(value.get("statuses"))):
        if not _id(raw.get("id"), WAMID_MAX) or not _s(raw.get("status")):
            problems.append(f"status without id or status: {str(raw)[:200]}")
            continue
        statuses.append(
            StatusUpdate(
                wamid=_id(raw.get("id"), WAMID_MAX),
                status=_s(raw.get("status")),
                sent_at=_ts(raw.get("timestamp")),
                recipient_id=_id(raw.get("recipient_id"), USER_ID_MAX),
                recipient_user_id=_id(raw.get("recipient_user_id"), USER_ID_MAX),
                callback_data=_s(raw.get("biz_opaque_callback_data")),
                errors=tuple(GraphErrorInfo.from_json(e) for e in _l(raw.get("errors"))),
            )
        )
    return Change(
        field=field_name,
        waba_id=waba_id,
        phone_number_id=_s(metadata.get("phone_number_id")),
        display_phone_number=_s(metadata.get("display_phone_number")),
        contacts=contacts,
        messages=tuple(messages),
        statuses=tuple(statuses),
        errors=tuple(GraphErrorInfo.from_json(e) for e in _l(value.get("errors"))),
        template_status=template_status,
        problems=tuple(problems),
    )


def _media(obj: dict) -> Media:
    return Media(
        id=_id(obj.get("id"), WAMID_MAX),
        mime_type=_s(obj.get("mime_type")),
        sha256=_id(obj.get("sha256"), SHA256_MAX),
        caption=_s(obj.get("caption")),
        filename=_s(obj.get("filename")),
        voice=obj.get("voice") is True,
        animated=obj.get("animated") is True,
        url=_s(obj.get("url")),
    )


def _parse_message(raw: dict) -> InboundMessage | None:
    wamid = _id(raw.get("id"), WAMID_MAX)
    if not wamid:
        return None
    type_ = _s(raw.get("type")) or "unknown"
    context = _d(raw.get("context"))
    body = _d(raw.get(type_))
    kwargs: dict[str, Any] = {}
    if type_ == "text":
        kwargs["text"] = _s(body.get("body"))
    elif type_ in MEDIA_TYPES:
        kwargs["media"] = _media(body)
        kwargs["text"] = _s(body.get("caption"))
    elif type_ == "location":
        kwargs["details"] = {k: body.get(k) for k in ("latitude", "longitude", "name", "address", "url") if k in body}
    elif type_ == "contacts":
        kwargs["details"] = {"contacts": _l(raw.get("contacts"))}
    elif type_ == "interactive":
        kind = _s(body.get("type"))
        reply = _d(body.get(kind))
        kwargs["text"] = _s(reply.get("title")) or _s(reply.get("body"))
        kwargs["details"] = {"kind": kind, **{k: reply.get(k) for k in ("id", "title", "description") if k in reply}}
        if kind == "nfm_reply":
            kwargs["details"]["response_json"] = _s(reply.get("response_json"))
        elif kind == "call_permission_reply":  # the customer's answer to our request to call them
            kwargs["details"].update(
                response=_s(reply.get("response")),
                expiration_timestamp=_s(reply.get("expiration_timestamp")),
                is_permanent=reply.get("is_permanent") is True,
                response_source=_s(reply.get("response_source")),
            )
    elif type_ == "button":
        kwargs["text"] = _s(body.get("text"))
        kwargs["details"] = {"payload": _s(body.get("payload"))}
    elif type_ == "reaction":
        kwargs["reaction_to"] = _s(body.get("message_id"))
        kwargs["reaction_emoji"] = _s(body.get("emoji"))
    elif type_ == "order":
        kwargs["text"] = _s(body.get("text"))
        kwargs["details"] = {"catalog_id": _s(body.get("catalog_id")), "items": _l(body.get("product_items"))}
    elif type_ == "edit":
        kwargs["original_id"] = _s(body.get("original_message_id"))
        inner = _d(body.get("message"))
        inner_type = _s(inner.get("type")) or "text"
        inner_body = _d(inner.get(inner_type))
        kwargs["text"] = _s(inner_body.get("body")) or _s(inner_body.get("caption"))
    elif type_ == "revoke":
        kwargs["original_id"] = _s(body.get("original_message_id"))
    elif type_ == "system":
        kwargs["text"] = _s(body.get("body"))
        kwargs["details"] = {
            "kind": _s(body.get("type")),
            "wa_id": _id(body.get("wa_id") or body.get("new_wa_id"), WA_ID_MAX),
        }
    elif type_ == "unsupported":
        kwargs["details"] = {"unsupported_type": _s(_d(raw.get("unsupported")).get("type"))}
    return InboundMessage(
        wamid=wamid,
        type=type_,
        sender_wa_id=_id(raw.get("from"), WA_ID_MAX),
        sender_user_id=_id(raw.get("from_user_id"), USER_ID_MAX),
        sent_at=_ts(raw.get("timestamp")),
        forwarded=context.get("forwarded") is True or context.get("frequently_forwarded") is True,
        frequently_forwarded=context.get("frequently_forwarded") is True,
        context_id=_s(context.get("id")),
        errors=tuple(GraphErrorInfo.from_json(e) for e in _l(raw.get("errors"))),
        raw=raw,
        **kwargs,
    )
