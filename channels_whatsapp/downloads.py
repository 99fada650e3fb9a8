"""Inbound media downloads: id -> URL -> bytes with the Bearer token, checked, stored on the attachment."""

import hashlib
import hmac
import logging

from django.utils.translation import gettext as _

from channels_whatsapp import (
    client,
    media,
    selectors,
)
from tickets import channel_writes
from tickets import services as ticket_services
from tickets.models import Attachment

logger = logging.getLogger(__name__)


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
            raise MediaRejected(
                _("it is %(size)s bytes, more than the %(limit)s bytes allowed for this type")
                % {"size": info.file_size, "limit": limit}
            )
        content, content_type = client.download_media(url=info.url, token=account.access_token, max_bytes=limit)
        if not _digest_matches(attachment=attachment, content=content, announced=info.sha256):
            raise MediaRejected(_("its checksum does not match what WhatsApp announced"))
    except MediaRejected as exc:
        _media_failed(
            attachment,
            _("The file %(filename)s was not stored: %(reason)s.") % {"filename": attachment.filename, "reason": exc},
        )
        return False
    except client.GraphError as exc:
        if exc.transient and attempt < 3:
            raise
        _media_failed(
            attachment,
            _("The file %(filename)s could not be downloaded from WhatsApp (%(error)s).")
            % {"filename": attachment.filename, "error": exc},
        )
        return False
    mime = media.base_mime(info.mime_type or content_type)
    channel_writes.attachment_content_store(attachment_id=attachment.pk, content=content, content_type=mime)
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
