"""Outbound: a public reply on a WhatsApp ticket -> queued send -> Graph POST, with retries and unconfirmed sends."""

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels_whatsapp import client, languages, media, selectors, template_replies, window
from channels_whatsapp.models import OutboundSend, WhatsAppConversation
from macros import shorthand
from tickets import delivery
from tickets.hooks import PreparedReply
from tickets.models import Comment, Contact, DeliveryStatus, Ticket

logger = logging.getLogger(__name__)


MAX_SEND_ATTEMPTS = 5
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

WINDOW_CLOSED_TITLE = _("Outside the 24-hour customer service window")
WINDOW_CLOSED_DETAIL = _(
    "More than 24 hours have passed since the customer's last WhatsApp message. The reply was kept on the ticket "
    "but not sent; only an approved message template can reach the customer now."
)
NO_CONVERSATION_TITLE = _("No WhatsApp conversation")
NO_CONVERSATION_DETAIL = _("This ticket has no WhatsApp number and contact to send to.")

# --- Outbound --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyPlan:
    """What the channel decides about one public reply, once, in the agent's transaction: the reply preparer makes
    it, the core hands it to the outbound handler. For a template shorthand reply it also carries the registry's
    template the shorthand named, so the send rules do not look it up again."""

    conversation: WhatsAppConversation | None
    window_open: bool
    template: Any = template_replies.LOOK_UP


def reply_plan(ticket: Ticket) -> ReplyPlan:
    return ReplyPlan(
        conversation=selectors.conversation_for_ticket(ticket.pk),
        window_open=window.window_at(ticket.last_customer_message_at, timezone.now()).open,
    )


def prepare_reply(ticket: Ticket, body: str) -> PreparedReply:
    """Registered with the core: the reply's plan, and its template shorthand rendered (see template_replies)."""
    plan = reply_plan(ticket)
    if "&((" not in body or not shorthand.contains(body):
        return PreparedReply(body=body, plan=plan)
    account = plan.conversation.account if plan.conversation else None
    prepared, template = template_replies.template_prepared(account=account, body=body)
    if account is not None:
        plan = replace(plan, template=template)
    return replace(prepared, plan=plan)


def outbound_handle(comment: Comment, plan: ReplyPlan | None = None) -> None:
    """Registered with the core for via=whatsapp: decide, inside the agent's transaction, whether this can go out."""
    if plan is None:  # a reply the preparer did not see (e.g. a template chosen by a macro)
        plan = reply_plan(comment.ticket)
    conversation = plan.conversation
    if conversation is None:
        fail_for_agent(
            comment=comment, code="no_whatsapp_conversation", title=NO_CONVERSATION_TITLE, detail=NO_CONVERSATION_DETAIL
        )
        return
    if comment.template is None:
        if not plan.window_open:
            fail_for_agent(
                comment=comment, code="window_closed", title=WINDOW_CLOSED_TITLE, detail=WINDOW_CLOSED_DETAIL
            )
            return
    else:
        refusal = template_replies.template_refusal(comment=comment, conversation=conversation, template=plan.template)
        if refusal is not None:  # worded again in the language of the agent it is reported to (a query, so only now)
            with translation.override(languages.failure_language(comment)):
                refusal = template_replies.template_refusal(
                    comment=comment, conversation=conversation, template=plan.template
                )
            code, title, detail = refusal
            delivery.delivery_fail(comment=comment, code=code, title=title, detail=detail)
            return
    delivery.delivery_queue(comment=comment)
    OutboundSend.objects.create(comment=comment, account=conversation.account)
    transaction.on_commit(lambda: enqueue_send(comment.pk))


def fail_for_agent(*, comment: Comment, code: str, title, detail) -> None:
    """Fail the message with our own (lazy) title and detail, written in the language of the agent it is reported
    to: the stored failure, the notification and the live `delivery.failed` frame all carry that text."""
    with translation.override(languages.failure_language(comment)):
        delivery.delivery_fail(comment=comment, code=code, title=str(title), detail=str(detail))


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


def retry_delay(attempt: int) -> float:
    return settings.WHATSAPP_RETRY_BASE_SECONDS * (2 ** (attempt - 1))


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
                fail_for_agent(
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
                time.sleep(retry_delay(attempt))
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
                comment.channel_sent_at = timezone.now()  # our send time: when the Cloud API accepted it
                comment.save(update_fields=["channel_message_id", "channel_sent_at"])
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
                _("Media type not accepted by WhatsApp"),
                format_lazy(
                    _("{filename} ({content_type}, {size} bytes) cannot be sent."),
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size=attachment.size,
                ),
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
    with transaction.atomic():
        OutboundSend.objects.filter(pk=send.pk).update(state=OutboundSend.State.FAILED, last_error=str(exc)[:500])
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        with translation.override(languages.failure_language(comment)):
            detail = str(exc.detail)
            if exhausted:
                gave_up = ngettext(
                    "(gave up after %(attempts)s attempts)", "(gave up after %(attempts)s attempts)", send.attempts
                ) % {"attempts": send.attempts}
                detail = f"{detail} {gave_up}".strip()
            delivery.delivery_fail(comment=comment, code=exc.code, title=str(exc.title), detail=detail)


def unconfirmed_sends_fail(*, older_than_seconds: int = 300) -> int:
    """Sends left `sending` by a worker that died during the POST: fail them visibly rather than risk a duplicate."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    count = 0
    for send in OutboundSend.objects.filter(state=OutboundSend.State.SENDING, updated_at__lt=cutoff):
        exc = client.GraphError(
            "timeout",
            _("Delivery not confirmed"),
            _("The worker stopped while sending; the message may or may not have reached WhatsApp and was not resent."),
        )
        _send_failed(send=send, comment_id=send.comment_id, exc=exc, exhausted=False)
        count += 1
    return count
