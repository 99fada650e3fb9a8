"""A failed WhatsApp reply's next steps: "Retry" (the same message, queued again, for a transient failure) and
"Send as template" (the composer's picker, when a template can reach the customer), shown under the failed bubble.

Registered with the core in AppConfig.ready (`hooks.register_failed_message_actions`).
"""

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_whatsapp import client, outbound, selectors, window
from channels_whatsapp.models import OutboundSend, WhatsAppConversation
from tickets import delivery
from tickets.errors import DomainError
from tickets.models import AuthorRole, Comment, DeliveryStatus, Ticket, Via

FAILED_ACTIONS_TEMPLATE = "whatsapp/_failed_actions.html"


@dataclass(frozen=True)
class TicketState:
    """What the actions of every failed bubble on one ticket page depend on, read once per page."""

    conversation: WhatsAppConversation | None
    window_open: bool


def ticket_state(ticket: Ticket) -> TicketState:
    cached = ticket.__dict__.get("_whatsapp_failure_state")
    if cached is None:
        cached = TicketState(
            conversation=selectors.conversation_for_ticket(ticket.pk),
            window_open=window.window_at(ticket.last_customer_message_at, timezone.now()).open,
        )
        ticket.__dict__["_whatsapp_failure_state"] = cached
    return cached


def retry_refusal(*, ticket: Ticket, comment: Comment, window_open: bool) -> str | None:
    """Why this message may not be sent again as it is (None: it may). The one rule for the button and the POST."""
    if ticket.is_closed:
        return _("This ticket is closed: nothing more can be sent on it.")
    if ticket.via != Via.WHATSAPP or not comment.public or comment.author_role == AuthorRole.END_USER:
        return _("Only a WhatsApp reply to the customer can be sent again.")
    if comment.delivery_status != DeliveryStatus.FAILED:
        return _("This message has not failed (it is %(status)s): there is nothing to retry.") % {
            "status": comment.get_delivery_status_display() if comment.delivery_status else _("not sent")
        }
    if comment.channel_message_id:
        return _("WhatsApp accepted this message and reported the failure later: write a new reply instead.")
    if not client.is_transient_failure(comment.delivery_error_code):
        return _("This failure is not temporary: the same message would fail the same way again.")
    if comment.template is None and not window_open:
        return _("The 24-hour window is closed: only a template can reach the customer now.")
    return None


def template_refusal(state: TicketState) -> str | None:
    """Why "Send as template" cannot help on this ticket (None: it can)."""
    conversation = state.conversation
    if conversation is None:
        return _("This ticket is not linked to a WhatsApp number and contact.")
    if not conversation.account.templates_enabled:
        return _("Templates are not enabled on this WhatsApp number: an admin can turn them on.")
    if not conversation.contact.whatsapp_opt_in:
        return _("Templates need the customer's opt-in.")
    return None


def failed_actions_context(ticket: Ticket, comment: Comment) -> dict | None:
    """The failed bubble's actions (hooks.register_failed_message_actions); None for anything but our failed reply."""
    if comment.delivery_status != DeliveryStatus.FAILED or ticket.is_closed:
        return None
    if not comment.public or comment.author_role == AuthorRole.END_USER:
        return None
    state = ticket_state(ticket)
    retryable = retry_refusal(ticket=ticket, comment=comment, window_open=state.window_open) is None
    return {
        "ticket": ticket,
        "comment": comment,
        "retry_url": reverse("whatsapp:comment-retry", args=[ticket.pk, comment.pk]) if retryable else "",
        "maybe_delivered": comment.delivery_error_code in ("timeout", "network_error"),
        "template_refusal": template_refusal(state) or "",
    }


def comment_retry(*, ticket: Ticket, comment: Comment, actor) -> Comment:
    """Send a failed reply again: the same comment (no copy), its send claimed back from `failed` to `queued` by a
    conditional UPDATE, so a double click or two agents at once queue it once; the other gets a DomainError.
    Audited (`delivery.retried`), the bubble goes back to queued live, and the send is enqueued after commit."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        refusal = retry_refusal(
            ticket=ticket,
            comment=locked,
            window_open=window.window_at(ticket.last_customer_message_at, timezone.now()).open,
        )
        if refusal is not None:
            raise DomainError(refusal)
        claimed = OutboundSend.objects.filter(comment_id=locked.pk, state=OutboundSend.State.FAILED).update(
            state=OutboundSend.State.QUEUED, attempts=0, last_error="", updated_at=timezone.now()
        )
        if not claimed or not delivery.delivery_requeue(comment=locked, actor=actor):
            raise DomainError(_("This message is already being sent again."))
        transaction.on_commit(lambda: outbound.enqueue_send(locked.pk))
    return locked
