"""WhatsApp's media rules (sizes and MIME types, from the Cloud API reference), as pure functions."""

import base64
import hashlib

MB = 1024 * 1024
INBOUND_MAX_BYTES = 100 * MB

# Outbound: what we may send, by WhatsApp message type.
OUTBOUND_LIMITS: dict[str, tuple[int, frozenset[str]]] = {
    "audio": (16 * MB, frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"})),
    "document": (
        100 * MB,
        frozenset(
            {
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            }
        ),
    ),
    "image": (5 * MB, frozenset({"image/jpeg", "image/png"})),
    "sticker": (500 * 1024, frozenset({"image/webp"})),
    "video": (16 * MB, frozenset({"video/mp4", "video/3gpp"})),
}

# Inbound media: the customer's message type -> the largest file we accept for it.
INBOUND_LIMITS = {"image": 5 * MB, "sticker": 500 * 1024, "audio": 16 * MB, "video": 16 * MB, "document": 100 * MB}


def base_mime(mime_type: str) -> str:
    """`audio/ogg; codecs=opus` -> `audio/ogg`."""
    return mime_type.split(";")[0].strip().lower()


def sha256_b64(content: bytes) -> str:
    """The webhook's `sha256` is base64 of the raw digest, not hex."""
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


def sha256_digest(announced: str) -> bytes | None:
    """The 32-byte digest an announced `sha256` stands for, or None when it is not one.

    Webhooks carry base64 (standard alphabet, padded); the Graph media-info answer may carry hex. Accepted: 64 hex
    digits in any case, or base64 in the standard or URL-safe alphabet, with or without padding.
    """
    text = (announced or "").strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    unpadded = text.rstrip("=")
    if len(unpadded) != 43 or len(text) > 44:  # 32 bytes are 43 base64 characters and one "="
        return None
    try:
        digest = base64.b64decode(unpadded.translate(_URLSAFE) + "=", validate=True)
    except ValueError:
        return None
    return digest if len(digest) == 32 else None


_URLSAFE = str.maketrans("-_", "+/")


def outbound_type_for(mime_type: str, size: int) -> str | None:
    """The message type to send a file as, or None if WhatsApp would refuse it.

    Files of the document list go as `document`; anything else WhatsApp would refuse (131053).
    """
    mime = base_mime(mime_type)
    for kind in ("image", "video", "audio"):
        limit, mimes = OUTBOUND_LIMITS[kind]
        if mime in mimes and size <= limit:
            return kind
    limit, mimes = OUTBOUND_LIMITS["document"]
    if size <= limit and mime in mimes:
        return "document"
    return None


def inbound_limit(message_type: str) -> int:
    return INBOUND_LIMITS.get(message_type, INBOUND_MAX_BYTES)
