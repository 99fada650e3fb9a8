"""The simulator's media store: files the phone sends and files the business uploads (POST /{phone_number_id}/media)."""

from channels_whatsapp.simulator import protocol
from channels_whatsapp.simulator.models import (
    SimMedia,
)
from channels_whatsapp.simulator.protocol import GraphRequestError


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
